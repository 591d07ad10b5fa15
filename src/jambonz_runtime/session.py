"""``Session``: one call as the app sees it, surviving socket reconnects.

A session is created by ``session:new`` (or ``session:adulting``, or a
``session:redirect`` that opens a new socket) and lives until the call ends. When
jambonz loses the socket it reconnects and sends ``session:reconnect``; the runtime
then re-attaches the *same* ``Session`` object, so whatever the app kept in
:attr:`Session.state` is still there. Commands sent while the socket is down are kept
in order and sent after the reconnect is acked (the server queues its own messages the
same way), never silently dropped.

Typed commands (redirect, whisper, mute, record, dtmf, tool output, ...) come from the
``SessionCommands`` mixin in ``_commands.py``; they all end in :meth:`_send_command`,
which encodes through the one size-checked encoder (``_wire``), so an oversize command
raises :class:`~jambonz_runtime.exceptions.MessageTooLarge` before anything is sent,
attached or not. Each session owns one :class:`~jambonz_runtime.tts.TtsStreamer`
(:attr:`Session.tts`), fed by the dispatcher and closed when the call ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, cast

from pydantic import JsonValue
from typing_extensions import TypeVar

from jambonz_types.callbacks import SessionNewCallback

from ._log import CallLogger, call_logger
from .envvars import EnvValue, EnvVar, read_env
from .exceptions import MAX_MESSAGE_BYTES, SessionClosed, SessionMoved
from .protocol._commands import Command, SessionCommands, encode
from .protocol._machine import JambonzProtocol
from .protocol._messages import InboundMessage
from .tts import TtsStreamer

__all__ = ["CallLogger", "HookClaimer", "Session", "StateT"]

StateT = TypeVar("StateT", default=dict[str, object])
"""The type of a session's :attr:`Session.state`: the app's state model
(``App(state=MyState)``), or a plain ``dict[str, object]`` by default."""


class SocketGone(Exception):
    """Raised by a link's ``send_text`` when its socket is already closed (internal)."""


class _Link(Protocol):
    """What a session needs from the socket it is attached to (see ``_dispatch``)."""

    protocol: JambonzProtocol

    @property
    def is_open(self) -> bool: ...

    async def send_text(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class HookClaimer(Protocol):
    """Something that takes over some of a session's hooks (a running ``CallFlow``).

    Why a protocol: the session only needs to ask "is this hook yours?"; depending on
    the flow module itself would tie the two into an import cycle.
    """

    def _claim(self, msg: InboundMessage, link: _Link) -> bool:
        """Take ``msg`` (and answer it on ``link``) if it is one of this claimer's hooks."""
        ...


class Session(SessionCommands, Generic[StateT]):
    """One call. Handlers get it as their first argument.

    The typed command methods (:meth:`redirect`, :meth:`tool_output`, :meth:`mute`,
    :meth:`start_recording`, :meth:`send_dtmf`, ..., and the escape hatch
    :meth:`send_raw_command`) are inherited from ``SessionCommands``.

    Attributes:
        call_sid: the call sid (``None`` only until the first payload names it).
        call: the ``session:new`` (or adulting/redirect) payload that started it.
        state: the app's per-call state: an instance of its state model
            (``App(state=MyState)``, so ``Session[MyState]`` in handler signatures) or a
            plain dict. Kept across reconnects; with a session store, saved after every
            handler that changed it and restored on whichever instance the reconnect
            reaches.
        path: the websocket URL path the call arrived on.
        log: a logger that stamps ``call_sid`` on every record.
        tts: this call's TTS token streamer (``tts:tokens`` with backpressure).
    """

    def __init__(
        self,
        call_sid: str | None,
        call: SessionNewCallback,
        path: str,
        *,
        env_vars: Mapping[str, EnvVar] | None = None,
        max_outbound_bytes: int = MAX_MESSAGE_BYTES,
        state: StateT | None = None,
    ) -> None:
        self.call_sid = call_sid
        self.call = call
        self.state: StateT = cast(StateT, {}) if state is None else state
        self.path = path
        self.log: CallLogger = call_logger(call_sid)
        self.max_outbound_bytes: int = max_outbound_bytes
        self._tts: TtsStreamer | None = None
        self._env_decl: Mapping[str, EnvVar] = env_vars or {}
        self._env: dict[str, EnvValue] | None = None
        self._link: _Link | None = None
        self._outbox: list[str] = []
        self._ended = False
        self._ended_event: asyncio.Event | None = None  # made by the first wait_ended()
        # session:new answer, kept until acked: if the socket drops first, the ack to
        # session:reconnect must carry these verbs (protocol.md §4).
        self._initial_verbs: asyncio.Future[list[dict[str, JsonValue]]] | None = None
        self._initial_acked = False
        self._grace_timer: asyncio.TimerHandle | None = None
        self._on_end: list[Callable[[Session[Any]], None]] = []
        # The linear call flow running this call, if the app uses one (``App.flow``): the
        # dispatcher offers it every verb:hook first (it owns the hook paths it assigned).
        self._flow: HookClaimer | None = None
        # Session store bookkeeping (server/_persist.py): the fencing token this process
        # holds, the state as last saved, and whether the call moved to another instance.
        self._token: int | None = None
        self._saved_state: str | None = None
        self._store_failing = False
        self._moved = False
        self._on_queued: Callable[[], None] | None = None
        self._closing: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = "ended" if self._ended else ("attached" if self.connected else "detached")
        return f"<Session {self.call_sid} {state}>"

    @property
    def connected(self) -> bool:
        """Whether a live socket is attached right now."""
        return self._link is not None and self._link.is_open

    @property
    def ended(self) -> bool:
        """Whether the call is over (no command can be sent any more)."""
        return self._ended

    @property
    def tts(self) -> TtsStreamer:
        """This call's TTS token stream (``say`` with ``stream=True``), with backpressure.

        Made on first use: most calls never stream, and a session is built per call.
        """
        tts = self._tts
        if tts is None:
            tts = self._tts = TtsStreamer(self._send_command)
            if self._ended:
                tts.close("the call ended")
        return tts

    async def wait_ended(self) -> None:
        """Wait until the call ends."""
        if self._ended:
            return
        if self._ended_event is None:
            self._ended_event = asyncio.Event()
        await self._ended_event.wait()

    @property
    def env(self) -> dict[str, EnvValue]:
        """The app's declared env vars (``App(env_vars=...)``), typed, from ``session:new``.

        Read once per session with :func:`~jambonz_runtime.envvars.read_env`: defaults
        filled in, numbers and booleans given as strings converted, undeclared keys left
        out (they stay in ``session.call.env_vars``).

        Raises:
            EnvVarsError: a required variable is missing or a value has the wrong type.
        """
        if self._env is None:
            self._env = read_env(self._env_decl, self.call.env_vars)
        return dict(self._env)

    async def _send_command(self, command: Command) -> None:
        """Send one command now, or after the reconnect if the socket is down.

        Raises:
            SessionClosed: the call has ended.
            MessageTooLarge: the command is over the 24 KiB cap (nothing was sent or
                queued).
        """
        if self._moved:
            raise SessionMoved(
                f"call {self.call_sid} moved to another instance; the {command.command} "
                "command was not sent from here"
            )
        if self._ended:
            raise SessionClosed(
                f"call {self.call_sid} has ended; cannot send the {command.command} command"
            )
        await self._send_text(encode(command, limit=self.max_outbound_bytes))

    async def _send_text(self, text: str) -> None:
        if self._moved:
            raise SessionMoved(f"call {self.call_sid} moved to another instance; not sent")
        if self._ended:
            raise SessionClosed(f"call {self.call_sid} has ended; cannot send {text[:80]!r}")
        link = self._link
        if link is None:
            # Detached: keep it, in order; flushed right after session:reconnect is acked.
            self._queue(text)
            return
        try:
            await link.send_text(text)
        except SocketGone:
            self._queue(text)

    def _queue(self, text: str) -> None:
        self._outbox.append(text)
        if self._on_queued is not None:
            self._on_queued()  # a session store keeps the outbox for another instance

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket from the app side.

        With 1000 jambonz will not reconnect and drops later messages; verbs already
        queued keep running (protocol.md §1). Other codes make it reconnect.
        """
        if self._link is not None:
            await self._link.close(code, reason)

    # -- lifecycle, driven by the dispatcher -------------------------------------------

    def _attach(self, link: _Link) -> None:
        if self._grace_timer is not None:
            self._grace_timer.cancel()
            self._grace_timer = None
        self._link = link
        self.max_outbound_bytes = link.protocol.max_outbound_bytes

    def _detach(self, link: _Link) -> None:
        if self._link is link:
            self._link = None

    def _take_outbox(self) -> list[str]:
        out, self._outbox = self._outbox, []
        return out

    def _move(self) -> None:
        """Another instance owns the call now: stop here without ending it in the store."""
        if self._ended:
            return
        self._moved = True
        self._outbox.clear()  # already in the store for the new owner, or refused there
        link, self._link = self._link, None
        self.log.warning("call moved to another instance; this process stops driving it")
        self._end()
        if link is not None and link.is_open:
            # Kept on the session so the task is not garbage-collected mid-close.
            self._closing = asyncio.get_running_loop().create_task(
                link.close(1001, "call moved to another instance")
            )

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        if self._grace_timer is not None:
            self._grace_timer.cancel()
        if self._outbox:
            self.log.error(
                "call ended with %d unsent command(s): %s",
                len(self._outbox),
                "; ".join(t[:120] for t in self._outbox),
            )
            self._outbox.clear()
        if self._tts is not None:
            self._tts.close("the call ended")
        if self._ended_event is not None:
            self._ended_event.set()
        for callback in self._on_end:
            callback(self)
