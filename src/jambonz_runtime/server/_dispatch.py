"""Per-socket dispatch: protocol events in, handler tasks out, one ack per msgid.

This is the layer between the sans-I/O :class:`~jambonz_runtime.protocol.JambonzProtocol`
and the websocket: it is given a ``send`` and a ``close`` coroutine and never imports
``websockets``, so tests can drive it with plain callables. Rules it enforces:

* every message is handled in its own task, so a slow handler delays nothing else
  (not the next hook on this call, not any other call); acks go by msgid. The task is
  started eagerly (``_eager``): a handler that does not wait on anything is answered
  within the same turn of the event loop and never needs a task at all;
* an ack-needing message with no handler is acked at once with ``[]``;
* a handler that raises is logged with its call_sid and acked with the app's
  ``error_reply``; a handler still running after ``ack_warning_after`` is logged;
* ``session:reconnect`` re-attaches the existing :class:`Session` and is acked at once
  (or, if ``session:new`` was never acked, with the ``session:new`` answer, as the
  server re-keys that pending answer to the reconnect msgid);
* commands queued while the socket was down are sent right after that ack;
* a call on an ``App.flow`` path runs its :class:`~jambonz_runtime.flow.CallFlow`,
  which is offered every ``verb:hook`` first and acks the ones it awaits itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final
from urllib.parse import urlsplit

from pydantic import BaseModel, JsonValue, ValidationError

from jambonz_types import check_jambonz_version
from jambonz_types.callbacks import SessionNewCallback

from .._eager import start_eagerly
from .._log import call_logger
from ..app import App, _Hook, _Notify
from ..exceptions import (
    AckError,
    HandlerError,
    InvalidPayload,
    MessageTooLarge,
    describe_validation_error,
    preview,
)
from ..flow import CallFlow
from ..protocol._machine import (
    MAX_OUTBOUND_BYTES,
    DuplicateMsgid,
    InvalidReceived,
    JambonzProtocol,
    MessageReceived,
    UnexpectedKeys,
    UnknownReceived,
)
from ..protocol._messages import InboundMessage, SessionAdultingCallback, validate_lenient
from ..protocol._replies import to_wire
from ..session import Session, SocketGone
from ._metrics import NO_METRICS, Metrics
from ._persist import Persistence

_HOOKED_NOTIFICATIONS: Final[frozenset[str]] = frozenset(
    {"llm:tool-call", "llm:event", "agent:tool-call", "agent:event"}
)
"""Notifications sent to a hook the app named in a verb (``toolHook``, ``eventHook``)."""

__all__ = ["Connection", "SocketGone"]

_log = logging.getLogger("jambonz_runtime")

PIN_QUERY: Final = "jambonz_pin=1"
"""Query string marking a socket opened by a pinning redirect."""

ACK_DEADLINE: Final = 5.0
"""The server's ack timeout (``JAMBONES_WS_API_MSG_RESPONSE_TIMEOUT`` default)."""

_CALL_OVER: Final = frozenset({"completed", "failed", "busy", "no-answer"})


class Connection:
    """One control socket from jambonz, for one call (or one handover)."""

    def __init__(
        self,
        app: App[Any],
        path: str,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        *,
        send_now: Callable[[str], bool] | None = None,
        max_outbound_bytes: int = MAX_OUTBOUND_BYTES,
        persist: Persistence | None = None,
        metrics: Metrics | None = None,
        pin_url: str | None = None,
        pinned: bool = False,
    ) -> None:
        self.app = app
        self.pin_url = pin_url
        """Pinning: this instance's own URL prefix (``JambonzServer(pin_url=...)``)."""
        self.pinned = pinned
        """Whether this socket came through a pinning redirect (``?jambonz_pin=1``)."""
        self.persist = persist
        self.metrics = metrics or NO_METRICS
        self.path = path
        self.protocol = JambonzProtocol(max_outbound_bytes=max_outbound_bytes)
        self.session: Session[Any] | None = None
        self._send = send
        self._send_now = send_now
        """Optional synchronous send: ``True`` once the frame is written and nothing need
        be awaited (no backpressure); ``False``: nothing written, use ``send``."""
        self._close = close
        self._open = True
        self._tasks: set[asyncio.Task[None]] = set()
        self._binary_seen = False
        self.log = call_logger(None)

    # -- _Link interface used by Session -------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the socket is still up."""
        return self._open

    async def send_text(self, text: str) -> None:
        """Send one frame; raises :class:`SocketGone` if the socket is closed."""
        if not self._open:
            raise SocketGone
        await self._send(text)

    async def close(self, code: int, reason: str) -> None:
        """Close the socket."""
        await self._close(code, reason)

    # -- input ---------------------------------------------------------------------------

    def feed(self, frame: str | bytes) -> None:
        """Handle one frame from jambonz. Never raises; never blocks on a handler."""
        # Every peer string in these log lines is bounded (parse_inbound bounds the
        # envelope; preview() the rest): at most one short line per frame, whatever it is.
        if isinstance(frame, bytes) and not self._binary_seen:
            self._binary_seen = True
            self.log.debug("binary frames on this socket are parsed as text, as jambonz does")
        received = self.protocol.receive_message(frame)
        if isinstance(received, InboundMessage):  # the common case: no event objects
            self._on_message_safely(received, frame)
            return
        for event in received:
            if isinstance(event, MessageReceived):
                self._on_message_safely(event.message, frame)
            elif isinstance(event, InvalidReceived):
                self.log.error("%s", event.error)
            elif isinstance(event, UnknownReceived):
                self.log.warning(
                    "ignoring message of unknown type %s: %s",
                    event.message.type,
                    preview(event.message.raw),
                )
            elif isinstance(event, UnexpectedKeys):
                self.log.info(
                    "%s envelope has %d unknown key(s) %s (kept)",
                    event.message.type,
                    len(event.keys),
                    preview(", ".join(event.keys[:5]), 80),
                )
            elif isinstance(event, DuplicateMsgid):
                self.log.warning(
                    "%s reuses pending msgid %s; it will get one ack",
                    event.message.type,
                    event.message.msgid,
                )

    def _on_message_safely(self, msg: InboundMessage, frame: str | bytes) -> None:
        try:
            self._on_message(msg)
        except Exception:  # a bug here must not kill the socket or other calls
            self.log.exception("internal error handling %s", preview(frame))

    def connection_lost(self, code: int | None) -> None:
        """The socket closed with ``code`` (``None``: no close frame, i.e. 1006)."""
        if code is not None:
            # websockets hands over its ``CloseCode`` enum, which Python 3.10 formats as
            # "CloseCode.ABNORMAL_CLOSURE": log the number on every Python.
            code = int(code)
        self._open = False
        lost = self.protocol.abandon()
        if lost:
            shown = ", ".join(f"{m.type}/{preview(m.msgid or '', 40)}" for m in lost[:3])
            self.log.warning(
                "socket closed (code %s) with %d unacked message(s): %s%s",
                code,
                len(lost),
                shown,
                ", ..." if len(lost) > 3 else "",
            )
        session = self.session
        if session is None or session._link is not self:
            return
        session._detach(self)
        if code == 1000:
            session.log.info("socket closed normally: call over")
            self._end_session(session)
            return
        session.log.warning(
            "socket dropped (code %s); keeping the session %.0f s for session:reconnect",
            code,
            self.app.reconnect_grace,
        )

        def expire() -> None:
            if session._link is None and not session.ended:
                session.log.warning("no session:reconnect within the grace time; ending")
                self._end_session(session)

        session._grace_timer = asyncio.get_running_loop().call_later(
            self.app.reconnect_grace, expire
        )

    @property
    def busy(self) -> bool:
        """Whether a handler task of this socket is still running."""
        return bool(self._tasks)

    async def drain(self) -> None:
        """Wait for every handler task of this socket to finish."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def hand_over(self, timeout: float) -> None:
        """Drain this call off the server: answer hooks in flight, release, close 1001.

        jambonz then reconnects to the app URL, i.e. through the balancer to another
        instance, which resumes the call from the session store. Each round waits for
        the handlers running now; a hook that arrives meanwhile gets its own round (a
        hook sent while the socket closes would be lost on jambonz's side).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for _ in range(8):  # bounded: a peer cannot keep a drain busy forever
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - loop.time()))
            session = self.session
            if self.persist is not None and session is not None and not session.ended:
                await self.persist.release(self.app, session)
            if not self._tasks or loop.time() >= deadline:
                break
        if self._open:
            try:
                await asyncio.wait_for(
                    self._close(1001, "server draining"), max(0.1, deadline - loop.time())
                )
            except (asyncio.TimeoutError, SocketGone):
                pass

    def cancel_tasks(self) -> None:
        """Cancel every running handler task (shutdown deadline passed)."""
        for task in self._tasks:
            task.cancel()

    # -- dispatch --------------------------------------------------------------------------

    def _spawn(
        self,
        coro: Coroutine[None, None, None],
        slow: tuple[InboundMessage, Session[Any]] | None = None,
    ) -> None:
        # Started eagerly (see _eager): a handler that returns without waiting on
        # anything is answered right here, in this turn of the loop; one that waits goes
        # on in its own task, so it still delays nothing else. ``slow``: the message and
        # session to warn about if the handler is still running near the ack deadline.
        task = start_eagerly(coro, self._internal_error)
        if task is None:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if slow is not None:
            timer = asyncio.get_running_loop().call_later(
                self.app.ack_warning_after, self._warn_slow, *slow
            )
            task.add_done_callback(lambda _: timer.cancel())

    def _internal_error(self, exc: BaseException) -> None:
        # Our coroutines catch handler errors themselves; this is a bug in the runtime.
        self.log.error("internal error in a message task: %r", exc, exc_info=exc)

    def _warn_slow(self, msg: InboundMessage, session: Session[Any]) -> None:
        session.log.warning(
            "handler for %s (msgid %s) still running after %.1f s; jambonz drops acks after %.0f s",
            msg.type,
            msg.msgid,
            self.app.ack_warning_after,
            ACK_DEADLINE,
        )

    def _end_session(self, session: Session[Any]) -> None:
        if session.ended:
            return
        session._end()
        self.metrics.call_ended()
        if self.persist is not None:
            self.persist.end_soon(self.app, session)
        if session.call_sid is not None and self.app.sessions.get(session.call_sid) is session:
            del self.app.sessions[session.call_sid]

    def _bind(self, session: Session[Any]) -> None:
        self.session = session
        self.log = session.log
        session._attach(self)
        persist = self.persist
        if persist is not None:
            app = self.app
            session._on_queued = lambda: persist.outbox_changed(app, session)
        if session.call_sid is not None:
            self.app.sessions[session.call_sid] = session

    def _new_session(self, msg: InboundMessage, model: type[SessionNewCallback]) -> Session[Any]:
        call, error = validate_lenient(model, msg.data)
        if error is not None:
            # Keep the call going with typed call info: the fields that do not fit are
            # dropped (None), never kept with the wrong type behind a typed attribute.
            call_logger(msg.call_sid).error(
                "%s payload does not fit %s (those fields dropped): %s",
                msg.type,
                model.__name__,
                describe_validation_error(error),
            )
        data_sid = msg.data.get("call_sid")
        call_sid = msg.call_sid or (data_sid if isinstance(data_sid, str) else None)
        return Session[Any](
            call_sid,
            call,
            self.path,
            env_vars=self.app.env_vars,
            max_outbound_bytes=self.protocol.max_outbound_bytes,
            state=self.app.new_state(),
        )

    def _session_for(self, msg: InboundMessage) -> Session[Any]:
        if self.session is None:
            # A hook on a socket that never carried session:new (redirect handover).
            existing = self.app.sessions.get(msg.call_sid or "")
            self._bind(existing or self._new_session(msg, SessionNewCallback))
        assert self.session is not None
        return self.session

    def _on_message(self, msg: InboundMessage) -> None:
        kind = msg.type
        if kind == "session:new":
            self._on_session_new(msg)
        elif kind == "session:reconnect":
            self._on_reconnect(msg)
        elif kind == "session:adulting":
            session = self._new_session(msg, SessionAdultingCallback)
            self._bind(session)
            self._begin(session, msg)
            route = self.path
            hook = self.app._adulting_handlers.get(route) or self._typed_hook(kind)
            self._answer_with(msg, session, hook)
        elif kind == "session:redirect" and self.pinned and self._unknown_call(msg):
            self._on_session_new(msg)  # the pinning redirect: the call starts here
        elif kind == "session:redirect":
            session = self._session_for(msg)
            self._answer_with(msg, session, self._find_hook(msg.hook) or self._typed_hook(kind))
        elif kind in ("verb:hook", "dial:confirm"):
            session = self._session_for(msg)
            if session._flow is not None and session._flow._claim(msg, self):
                return  # a hook a call flow awaits: the flow's next verbs are its ack
            self._answer_with(msg, session, self._find_hook(msg.hook) or self._typed_hook(kind))
        else:
            self._on_notification(msg)

    def _typed_hook(self, kind: str) -> _Hook | None:
        entry = self.app._by_type.get(kind)
        return entry if isinstance(entry, _Hook) else None

    def _find_hook(self, hook: str | None) -> _Hook | None:
        if not hook:
            return None
        hooks = self.app._hooks
        if hook in hooks:
            return hooks[hook]
        # An absolute ws(s) hook comes back as written; match it by its path too.
        parts = urlsplit(hook)
        for candidate in (parts.path, hook.split("?", 1)[0]):
            if candidate in hooks:
                return hooks[candidate]
        return None

    def _unknown_call(self, msg: InboundMessage) -> bool:
        return self.session is None and (msg.call_sid or "") not in self.app.sessions

    def _pin(self, msg: InboundMessage) -> None:
        """Answer ``session:new`` with a redirect to this instance's own URL.

        jambonz then opens a socket to that URL (``session:redirect``) and every later
        reconnect of the call goes there too, i.e. through the balancer's route for
        this instance: state that cannot leave the process (a running call flow, open
        files) stays reachable.
        """
        assert self.pin_url is not None
        target = f"{self.pin_url.rstrip('/')}{self.path}?{PIN_QUERY}"
        call_logger(msg.call_sid).info("pinning the call to %s", target)
        self._spawn(self._ack_only(msg, [{"verb": "redirect", "actionHook": target}], None))

    def _on_session_new(self, msg: InboundMessage) -> None:
        if msg.type == "session:new" and self.pin_url is not None and not self.pinned:
            self._pin(msg)
            return
        if self.session is not None:
            self.log.warning("second session:new on one socket; starting a new session")
        session = self._new_session(msg, SessionNewCallback)
        self._bind(session)
        self._begin(session, msg)
        if msg.type == "session:new":
            session._initial_verbs = asyncio.get_running_loop().create_future()
        flow = self.app._flows.get(self.path)
        if flow is not None:
            self._spawn(CallFlow(flow, session, msg, self, error_reply=self.app.error_reply)._run())
            return
        handler = self.app._session_handlers.get(self.path)
        if handler is None:
            session.log.error("no on_session handler for path %r", self.path)
            self._spawn(self._ack_only(msg, to_wire(self.app.error_reply), session))
            return
        self._spawn(self._answer(msg, session, handler, None), (msg, session))

    def _begin(self, session: Session[Any], msg: InboundMessage) -> None:
        self.metrics.call_started()
        if self.persist is not None:
            self.persist.begin_soon(self.app, session, msg.type, msg.data)

    def _on_reconnect(self, msg: InboundMessage) -> None:
        data_sid = msg.data.get("call_sid")
        call_sid = msg.call_sid or (data_sid if isinstance(data_sid, str) else None)
        session = self.app.sessions.get(call_sid or "")
        if self.persist is not None and call_sid:
            local = None if session is None or session.ended else session
            self._spawn(self._reconnect_via_store(msg, call_sid, local))
            return
        if session is None or session.ended:
            call_logger(call_sid).warning(
                "session:reconnect for a call this process does not know; new session"
            )
            session = self._new_session(msg, SessionNewCallback)
        else:
            session.log.info("session:reconnect: resuming the existing session")
            self.metrics.resumed("local")
        self._bind(session)
        self._spawn(self._resume(msg, session))

    async def _reconnect_via_store(
        self, msg: InboundMessage, call_sid: str, local: Session[Any] | None
    ) -> None:
        assert self.persist is not None
        session, initial = await self.persist.take_over(self.app, call_sid, self.path, local)
        if session is None:
            call_logger(call_sid).warning(
                "session:reconnect for a call neither this process nor the store knows; new session"
            )
            session = self._new_session(msg, SessionNewCallback)
            self.metrics.call_started()
        elif session is local:
            session.log.info("session:reconnect: resuming the existing session")
            self.metrics.resumed("local")
        else:
            session.log.info("session:reconnect: resumed from the session store")
            self.metrics.resumed("store")
            if session.call_sid is not None:
                self.app.sessions[session.call_sid] = session
            self.metrics.call_started()
        self._bind(session)
        if initial:
            # session:new was never acked on the old instance: this ack answers it.
            session._initial_verbs = asyncio.get_running_loop().create_future()
            session._initial_verbs.set_result([v for v in initial if isinstance(v, dict)])
        await self._resume(msg, session)
        if session is not local and self.persist is not None:
            self.persist.save_soon(self.app, session, {"initial": "", "outbox": "[]"})

    async def _resume(self, msg: InboundMessage, session: Session[Any]) -> None:
        verbs: list[dict[str, JsonValue]] = []
        initial = session._initial_verbs
        if initial is not None and not session._initial_acked:
            # session:new was never acked: the server re-keyed it to this msgid, so this
            # ack is the answer to session:new and its verbs run (protocol.md §4).
            verbs = await initial
            session._initial_acked = True
        await self._send_ack(msg, verbs, session)
        for text in session._take_outbox():
            try:
                await self.send_text(text)
            except SocketGone:
                session._outbox.append(text)
            except Exception:
                session.log.exception("could not send queued command %s", text[:120])
        entry = self.app._by_type.get("session:reconnect")
        if isinstance(entry, _Notify):
            await self._notify(msg, session, entry)

    def _on_notification(self, msg: InboundMessage) -> None:
        session = self._session_for(msg)
        # The session's TTS streamer sees results and stream events first, synchronously
        # and in arrival order, before any app handler of the same message runs; what it
        # has to send (a resend after stream_resumed, a tts:clear on barge-in) goes out
        # from its own task, in order (the streamer has a single FIFO drainer).
        if msg.type == "tts:tokens-result":
            session.tts.receive_tokens_result(msg.data)
            self._spawn(session.tts.send_pending())
        elif msg.type == "tts:streaming-event":
            session.tts.receive_streaming_event(msg.data)
            self._spawn(session.tts.send_pending())
        entry = self.app._by_type.get(msg.type)
        hook = self._find_hook(msg.hook) if msg.type in _HOOKED_NOTIFICATIONS else None
        if hook is not None:
            # The verb's toolHook/eventHook names a handler registered with
            # app.action_hook/event_hook (its HookRef is typed with this payload): it
            # handles the notification; like every notification, nothing is acked.
            self._spawn(self._notify(msg, session, _Notify(hook.model, hook.handler)))
        elif isinstance(entry, _Notify):
            self._spawn(self._notify(msg, session, entry))
        if msg.type == "call:status":
            status = msg.data.get("call_status")
            sid = msg.data.get("call_sid")
            # isinstance first: a peer's [1] or {} is unhashable (found by bench/fuzz.py)
            over = isinstance(status, str) and status in _CALL_OVER
            if over and (sid is None or sid == session.call_sid):
                session.log.info("call %s", status)
                self._end_session(session)

    def _answer_with(self, msg: InboundMessage, session: Session[Any], hook: _Hook | None) -> None:
        if hook is None:
            # Nobody handles it: ack at once so the server does not wait 5 s.
            self._spawn(self._ack_only(msg, [], session))
            return
        self._spawn(self._answer(msg, session, hook.handler, hook.model), (msg, session))

    def _validate(
        self, msg: InboundMessage, session: Session[Any], model: type[BaseModel]
    ) -> BaseModel:
        # A payload that does not fit is the peer's fault, not the app's: InvalidPayload
        # is logged by the caller in one line, without a traceback.
        try:
            return msg.payload(model)
        except ValidationError as exc:
            raise InvalidPayload(describe_validation_error(exc), model, msg.raw) from None

    async def _answer(
        self,
        msg: InboundMessage,
        session: Session[Any],
        handler: Callable[[Session[Any], Any], Awaitable[object]],
        model: type[BaseModel] | None,
    ) -> None:
        """Run ``handler`` on the payload (validated as ``model``; ``None``: the call info)
        and ack with what it returns (one coroutine per message, no wrapper)."""
        started = time.monotonic()
        try:
            payload = session.call if model is None else self._validate(msg, session, model)
            verbs = to_wire(await handler(session, payload))  # type: ignore[arg-type]  # to_wire rejects non-verbs
            if self.app.jambonz_version is not None:
                check_jambonz_version(verbs, self.app.jambonz_version)
        except InvalidPayload as exc:
            session.log.error(
                "%s (hook %s): %s; answered with the error reply", msg.type, msg.hook, exc
            )
            verbs = to_wire(self.app.error_reply)
        except Exception as exc:
            error = HandlerError(msg.type, msg.msgid, session.call_sid)
            error.__cause__ = exc
            session.log.error("%s: %r", error, exc, exc_info=exc)
            verbs = to_wire(self.app.error_reply)
        elapsed = time.monotonic() - started
        if elapsed > ACK_DEADLINE:
            session.log.error(
                "ack to %s (msgid %s) after %.1f s: jambonz gave up at %.0f s",
                msg.type,
                msg.msgid,
                elapsed,
                ACK_DEADLINE,
            )
        new = msg.type == "session:new"
        if new:
            initial = session._initial_verbs
            if initial is not None and not initial.done():
                initial.set_result(verbs)
        if self.persist is not None:
            # Saved before the ack leaves. A session:new whose socket is gone keeps its
            # verbs in the store too: the reconnect, wherever it lands, must carry them.
            dropped = new and not self._can_ack(msg)
            if not await self.persist.after_handler(
                self.app, session, initial=list(verbs) if dropped else None
            ):
                return  # another instance owns the call now: nothing goes out from here
            if new and not dropped and not self._can_ack(msg):
                await self.persist.after_handler(self.app, session, initial=list(verbs))
        if new:
            if not self._can_ack(msg):
                return  # the socket dropped: session:reconnect will carry these verbs
            session._initial_acked = True
        sent = await self._send_ack(msg, verbs, session)
        self.metrics.hook_answered(msg.type, time.monotonic() - started, sent)

    def _can_ack(self, msg: InboundMessage) -> bool:
        return bool(self._open and msg.msgid and self.protocol.is_pending(msg.msgid))

    async def _ack_only(
        self,
        msg: InboundMessage,
        verbs: list[dict[str, JsonValue]],
        session: Session[Any] | None,
    ) -> None:
        await self._send_ack(msg, verbs, session)

    async def _send_ack(
        self,
        msg: InboundMessage,
        verbs: list[dict[str, JsonValue]],
        session: Session[Any] | None,
    ) -> bool:
        """Send the ack; ``True`` if it went out on the socket."""
        log = session.log if session is not None else self.log
        assert msg.msgid is not None
        too_large: tuple[MessageTooLarge, ...] = ()
        try:
            try:
                text: str | None = self.protocol.ack(msg.msgid, verbs)
            except MessageTooLarge:
                # verbs, else the error reply, else []: never raises MessageTooLarge
                text, too_large = self.protocol.ack_first_fitting(
                    msg.msgid, (verbs, to_wire(self.app.error_reply))
                )
        except AckError as exc:
            if self._open:
                log.warning("%s", exc)
            return False
        if too_large:
            log.error(
                "%s; %s", too_large[0], "acked with a smaller answer" if text else "not acked"
            )
        if text is None:
            return False
        send_now = self._send_now
        if send_now is not None and self._open and send_now(text):
            return True  # written in this turn of the loop: no coroutine per ack
        try:
            await self.send_text(text)
        except SocketGone:
            log.warning("socket closed before the ack to %s could be sent", msg.type)
        except Exception:
            log.exception("sending the ack to %s failed", msg.type)
        else:
            return True
        return False

    async def _notify(self, msg: InboundMessage, session: Session[Any], entry: _Notify) -> None:
        try:
            payload = self._validate(msg, session, entry.model)
            await entry.handler(session, payload)
        except InvalidPayload as exc:
            session.log.error("%s not handled: %s", msg.type, exc)
        except Exception as exc:
            session.log.error("handler for %s raised: %r", msg.type, exc, exc_info=exc)
        if self.persist is not None and not session.ended:
            # A notification handler may change the state too (no ack to wait for).
            await self.persist.after_handler(self.app, session)
