"""Linear call flows: ``await`` a verb chain and get its typed result, no hook wiring.

Why: with hooks, a multi-step call is a web of named handlers that share state and must
each remember to answer. A flow is one coroutine per call that reads top to bottom::

    @app.flow("/ivr")
    async def ivr(call: CallFlow) -> None:
        result = await call.gather(input=["digits"], num_digits=1, say={"text": "Press 1"})
        if result.digits == "1":                      # result: GatherCallback
            await call.say(text="Connecting").dial(target=[...])
        await call.say(text="Goodbye").hangup()       # None: sent, nothing to wait for

The verb methods (generated: ``jambonz_types.flow.FlowVerbs``) return a ``FlowChain``
typed by its last verb: ``FlowChain[GatherCallback]`` for a gather, ``FlowChain[None]``
for a verb without an action hook. What ``await chain`` does:

1. **Send.** If a message is waiting for an ack (``session:new``, or the hook this flow
   awaited last), the chain's verbs are that ack: jambonz replaces the rest of its app
   with them. Otherwise they go as a ``redirect`` command with ``queueCommand: true``:
   appended after what is still running, or waking a session idle for commands, so the
   verbs run in the order the flow sent them. So every hook is acked exactly once, by
   its msgid, by construction: the verbs sent after an await are that hook's ack.
2. **Wait.** If the last verb has an action hook, the runtime sets it to a fresh path
   (``/jambonz-flow/<token>/<n>``) and resolves the await with the payload of the
   ``verb:hook`` jambonz sends there when the verb ends, validated with the verb's
   callback model (:class:`~jambonz_runtime.exceptions.InvalidPayload` if it does not
   fit). Otherwise the await returns ``None`` once the verbs are sent (jambonz does not
   report when a ``say`` ends; chain a verb with a hook, e.g. ``play``, to wait).
   An action-hook verb that is not last in its chain is sent without a hook: jambonz
   drops its result and runs the next verb.

The server's rules, and what the runtime does about them (feature-server 0.9.8:
``lib/tasks/task.js`` ``performAction``, ``lib/session/call-session.js``):

* an ack with verbs replaces the task list; an ack with ``[]`` leaves it, and a WS app
  whose list is empty is then idle until a command arrives (``_awaitCommandsOrHangup``).
  When the flow returns with a hook still waiting, the runtime acks it with ``[]``
  (and with the app's ``error_reply`` if the flow raised);
* a hook not acked within 5 s is failed ("invalid actionHook response") and a late ack
  is discarded. So ``filler_after`` seconds (``App.flow``, default 3.5) after a hook
  arrived without an answer, the runtime logs a warning and acks it with the flow's
  ``filler`` (or ``[]``); the flow's verbs then go as a ``redirect`` command with
  ``queueCommand: false``, which kills the running filler verb and replaces the list
  (or wakes the idle session). ``session:new`` is only acked early with a filler:
  ``[]`` would reject the call. The server's own interim prompts (a gather's
  ``action_hook_delay_action``) work too: they run until that ``redirect`` arrives;
* a server started with ``JAMBONES_INJECT_CONTENT`` inserts queued ``redirect`` verbs
  before a gather still on its list and kills a running gather; a flow only meets this
  after sending a gather that was not last in its chain (and so has no hook);
* the call ending (``call:status`` completed, socket closed with 1000, no reconnect in
  time) makes the pending await, and every later one, raise
  :class:`~jambonz_runtime.exceptions.CallEnded`; the flow's ``finally`` blocks run;
* on a socket drop the server fails its pending hooks and, after ``session:reconnect``,
  sends new hooks on the new socket: the flow belongs to the session, so an await
  resolves there just the same. Verbs meant as the ack of a hook lost with the old
  socket go as a ``redirect`` command instead (queued until the reconnect is acked); a
  ``session:new`` answer goes into the ack of ``session:reconnect``, as the server
  re-keys it. A ``verb:hook`` the server sent just as the socket dropped is lost by the
  server (nothing re-sends it): wrap such an await in ``asyncio.wait_for`` if it must
  not wait forever; a cancelled await forgets its hook (a late one is acked ``[]``).

Hooks the app registers (``@app.action_hook`` for a gather's ``partial_result_hook``,
``@app.on("call:status")``, tool calls, ``session.tts``) keep working while a flow
awaits: only the paths the flow assigned are routed to it. One chain at a time: a second
``await`` while one is pending raises :class:`~jambonz_runtime.exceptions.FlowUsageError`.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeVar, cast

from pydantic import JsonValue, ValidationError

from jambonz_types import JambonzCallback, Verbs
from jambonz_types.callbacks import SessionNewCallback
from jambonz_types.flow import FlowRunner, FlowStep, FlowVerbs

from ._log import CallLogger
from .exceptions import CallEnded, FlowUsageError, InvalidPayload, MessageTooLarge, SessionClosed
from .protocol._messages import InboundMessage
from .protocol._replies import Reply, to_wire
from .session import Session, SocketGone, _Link

if TYPE_CHECKING:
    from jambonz_types import Verb
    from jambonz_types.flow import FlowChainBase

__all__ = ["HOOK_PREFIX", "CallFlow", "FlowHandler", "FlowRoute"]

T = TypeVar("T")

HOOK_PREFIX: Final = "/jambonz-flow/"
"""Start of every hook path a call flow assigns (``/jambonz-flow/<token>/<n>``)."""

FlowHandler = Callable[["CallFlow"], Awaitable[None]]
"""A call flow: ``async def main(call: CallFlow) -> None``, registered with ``App.flow``."""


@dataclass(frozen=True)
class FlowRoute:
    """One ``App.flow`` registration: the flow, and how a slow hook is bridged."""

    handler: FlowHandler
    filler: list[dict[str, JsonValue]] | None
    filler_after: float


@dataclass(eq=False)
class _Pending:
    """A message waiting for an ack that the flow's next verbs answer."""

    msg: InboundMessage
    link: _Link
    timer: asyncio.TimerHandle | None = None


@dataclass(eq=False)
class _Waiter:
    """The hook path an await is waiting on, and the model of its payload."""

    path: str
    model: type[JambonzCallback]
    future: asyncio.Future[JambonzCallback] = field(repr=False)


class CallFlow(FlowVerbs):
    """One call, driven by a linear flow; the argument of an ``App.flow`` handler.

    Its verb methods (``say``, ``gather``, ``dial``, ...) start a typed chain; ``await``
    the chain to send it (see the module docstring). Created by the runtime.

    Attributes:
        session: the call's :class:`Session` (typed commands, ``state``, ``tts``, ...).
    """

    def __init__(
        self,
        route: FlowRoute,
        session: Session,
        first: InboundMessage,
        link: _Link,
        *,
        error_reply: Reply = None,
    ) -> None:
        self.session: Session = session
        self._error_reply = error_reply
        self._route = route
        self._token = secrets.token_hex(4)
        self._seq = 0
        self._busy = False
        self._pending: _Pending | None = None
        self._waiter: _Waiter | None = None
        self._background: asyncio.Task[None] | None = None
        self._replace_next = False
        self._closed = False
        session._flow = self
        session._on_end.append(self._on_end)
        self._set_pending(first, link)

    def __repr__(self) -> str:
        return f"<CallFlow {self.session.call_sid} {self._route.handler.__qualname__}>"

    @property
    def info(self) -> SessionNewCallback:
        """The call as ``session:new`` described it (``from_``, ``to``, ``env_vars``, ...)."""
        return self.session.call

    @property
    def log(self) -> CallLogger:
        """The session's logger (stamps the call sid on every record)."""
        return self.session.log

    @property
    def ended(self) -> bool:
        """Whether the call is over (any further ``await`` raises :class:`CallEnded`)."""
        return self.session.ended

    # -- FlowVerbs / FlowRunner ------------------------------------------------------------

    def _flow_state(self) -> tuple[FlowRunner, tuple[FlowStep, ...]]:
        return self, ()

    async def _run_chain(self, chain: FlowChainBase[T]) -> T:
        """Send ``chain``; with a hook verb last, wait for and return its payload."""
        if chain.runner is not self:
            raise FlowUsageError("this verb chain was started on another call's flow")
        if self._closed:
            raise FlowUsageError("this call flow has finished; it sends nothing more")
        if self._busy:
            raise FlowUsageError(
                "a call flow sends one verb chain at a time: await each chain before the next"
            )
        self._check_alive()
        self._busy = True
        try:
            steps = chain.steps
            model = chain.payload
            if model is None:
                await self._send([step.verb for step in steps])
                return cast(T, None)  # FlowChain[None]: nothing to return
            self._seq += 1
            path = f"{HOOK_PREFIX}{self._token}/{self._seq}"
            verbs = [step.verb for step in steps[:-1]]
            verbs.append(steps[-1].with_hook(path))
            waiter = _Waiter(
                path,
                cast("type[JambonzCallback]", model),  # FlowChain[P]: P is a callback model
                asyncio.get_running_loop().create_future(),
            )
            self._waiter = waiter
            try:
                await self._send(verbs)
                return cast(T, await waiter.future)  # validated with chain.payload
            finally:
                if self._waiter is waiter:
                    self._waiter = None  # cancelled or failed: a late hook is not ours
                if waiter.future.done() and not waiter.future.cancelled():
                    waiter.future.exception()  # retrieved, whatever happened
                else:
                    waiter.future.cancel()
        finally:
            self._busy = False

    # -- sending ---------------------------------------------------------------------------

    def _check_alive(self) -> None:
        if self.session.ended:
            raise CallEnded(f"call {self.session.call_sid} has ended")

    def _set_pending(self, msg: InboundMessage, link: _Link) -> None:
        pending = _Pending(msg, link)
        pending.timer = asyncio.get_running_loop().call_later(
            self._route.filler_after, self._on_slow, pending
        )
        self._pending = pending

    async def _send(self, verbs: list[Verb]) -> None:
        """The ack of the pending message if there is one, else a ``redirect`` command."""
        if self._background is not None:
            # A filler ack is on its way: it goes out before these verbs.
            await asyncio.wait({self._background})
            self._background = None
        self._check_alive()
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                sent = await self._ack(pending, [verb.to_dict() for verb in verbs])
            except MessageTooLarge:
                self._pending = pending  # still unacked: the flow may send less
                raise
            if pending.timer is not None:
                pending.timer.cancel()
            if sent:
                return
            # Its socket is gone: the server has failed that hook and waits for commands.
        queue = not self._replace_next
        self._replace_next = False
        try:
            await self.session.redirect(verbs, queue=queue)
        except SessionClosed as exc:
            raise CallEnded(f"call {self.session.call_sid} has ended") from exc

    async def _ack(self, pending: _Pending, verbs: list[dict[str, JsonValue]]) -> bool:
        """Ack ``pending`` with ``verbs``; ``False`` if it can no longer be acked.

        Raises:
            MessageTooLarge: the ack is over the 24 KiB cap (nothing was sent).
        """
        msg, link, session = pending.msg, pending.link, self.session
        assert msg.msgid is not None  # an ack-needing message always has one
        live = link is session._link and link.is_open and link.protocol.is_pending(msg.msgid)
        if msg.type == "session:new":
            initial = session._initial_verbs
            if not live:
                # The server re-keyed session:new to session:reconnect: its ack carries these.
                if initial is not None and not initial.done():
                    initial.set_result(verbs)
                return True
            text = link.protocol.ack(msg.msgid, verbs)
            if initial is not None and not initial.done():
                initial.set_result(verbs)
            session._initial_acked = True
        elif not live:
            return False
        else:
            text = link.protocol.ack(msg.msgid, verbs)
        try:
            await link.send_text(text)
        except SocketGone:
            return msg.type == "session:new"
        return True

    def _on_slow(self, pending: _Pending) -> None:
        """``filler_after`` passed with ``pending`` unanswered: ack it before jambonz gives up."""
        if self._pending is not pending or self.session.ended:
            return
        msg, filler = pending.msg, self._route.filler
        if msg.type == "session:new" and not filler:
            self.log.warning(
                "call flow has sent nothing %.1f s after session:new; jambonz rejects the "
                "call if it is not answered within 5 s (App.flow(filler=...) answers it early)",
                self._route.filler_after,
            )
            return
        self.log.warning(
            "call flow has not answered %s (hook %s) after %.1f s; acked with %s before "
            "jambonz's 5 s deadline, its next verbs go as a redirect command",
            msg.type,
            msg.hook,
            self._route.filler_after,
            "the filler" if filler else "[]",
        )
        self._pending = None
        self._replace_next = True
        self._background = asyncio.get_running_loop().create_task(
            self._ack_quietly(pending, filler or [])
        )

    async def _ack_quietly(self, pending: _Pending, verbs: list[dict[str, JsonValue]]) -> None:
        try:
            await self._ack(pending, verbs)
        except Exception:
            self.log.exception("could not ack %s with the filler", pending.msg.type)

    # -- inbound, from the dispatcher ----------------------------------------------------

    def _claim(self, msg: InboundMessage, link: _Link) -> bool:
        """Take ``msg`` if it is the hook an await is waiting on (called by ``_dispatch``)."""
        waiter = self._waiter
        if msg.type != "verb:hook" or waiter is None or msg.hook != waiter.path:
            return False
        self._waiter = None
        if self.session.ended:
            return False
        self._set_pending(msg, link)  # the flow's next verbs are this hook's ack
        if waiter.future.done():
            return True
        try:
            payload = msg.payload(waiter.model)
        except ValidationError as exc:
            self.log.error(
                "verb:hook %s payload does not fit %s: %s", msg.hook, waiter.model.__name__, exc
            )
            waiter.future.set_exception(InvalidPayload(str(exc), waiter.model, msg.raw))
            return True
        waiter.future.set_result(cast(JambonzCallback, payload))
        return True

    def _on_end(self, session: Session) -> None:
        """The call ended: fail the pending await; nothing is left to ack."""
        pending, self._pending = self._pending, None
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.future.done():
            waiter.future.set_exception(CallEnded(f"call {session.call_sid} ended"))

    # -- the flow's task ---------------------------------------------------------------------

    async def _run(self) -> None:
        """Run the handler, then answer whatever it left waiting."""
        error: Exception | None = None
        try:
            await self._route.handler(self)
        except CallEnded as exc:
            self.log.info("call flow stopped: %s", exc)
        except asyncio.CancelledError:
            self._close()
            raise
        except Exception as exc:
            error = exc
            self.log.error(
                "call flow %s raised: %r", self._route.handler.__qualname__, exc, exc_info=exc
            )
        try:
            await self._finish(error)
        except Exception:
            self.log.exception("could not answer after the call flow ended")
        finally:
            self._close()

    async def _finish(self, error: Exception | None) -> None:
        if self._background is not None:
            await asyncio.wait({self._background})
        if self.session.ended:
            return
        reply = to_wire(self._error_reply) if error is not None else []
        pending, self._pending = self._pending, None
        if pending is not None:
            if pending.timer is not None:
                pending.timer.cancel()
            if pending.msg.type == "session:new" and not reply:
                self.log.warning(
                    "call flow ended without sending any verbs; jambonz rejects the call"
                )
            elif error is None:
                self.log.info(
                    "call flow ended with %s (hook %s) unanswered; acked with [] (the call "
                    "now waits for commands)",
                    pending.msg.type,
                    pending.msg.hook,
                )
            if await self._ack(pending, reply) or not reply:
                return
        if reply:
            await self.session.redirect(Verbs.from_wire(reply), queue=False)

    def _close(self) -> None:
        self._closed = True
        session = self.session
        if session._flow is self:
            session._flow = None
        if self._on_end in session._on_end:
            session._on_end.remove(self._on_end)
        pending, self._pending = self._pending, None
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.future.done():
            waiter.future.cancel()
