"""``Session``: one call as the app sees it, surviving socket reconnects.

A session is created by ``session:new`` (or ``session:adulting``, or a
``session:redirect`` that opens a new socket) and lives until the call ends. When
jambonz loses the socket it reconnects and sends ``session:reconnect``; the runtime
then re-attaches the *same* ``Session`` object, so whatever the app kept in
:attr:`Session.state` is still there. Commands sent while the socket is down are kept
in order and sent after the reconnect is acked (the server queues its own messages the
same way), never silently dropped.

Typed commands (redirect, whisper, mute, record, dtmf, ...) come from the
``SessionCommands`` mixin in ``_commands.py``; they all end in :meth:`_send_command`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, MutableMapping
from typing import Protocol

from pydantic import JsonValue

from jambonz_types.callbacks import SessionNewCallback

from .exceptions import SessionClosed
from .protocol import JambonzProtocol

__all__ = ["CallLogger", "Session", "SupportsToJson"]

_log = logging.getLogger("jambonz_runtime")


class CallLogger(logging.LoggerAdapter):  # type: ignore[type-arg]  # generic only in 3.11+ stubs
    """Adds ``call_sid`` to every record (``record.call_sid``) and to the message text."""

    def process(
        self, msg: object, kwargs: MutableMapping[str, object]
    ) -> tuple[object, MutableMapping[str, object]]:
        """Attach the call sid; see :class:`logging.LoggerAdapter`."""
        call_sid = (self.extra or {}).get("call_sid") or "-"
        extra = kwargs.get("extra")
        merged: dict[str, object] = dict(extra) if isinstance(extra, Mapping) else {}
        merged.setdefault("call_sid", call_sid)
        kwargs["extra"] = merged
        return f"[{call_sid}] {msg}", kwargs


def call_logger(call_sid: str | None, base: logging.Logger | None = None) -> CallLogger:
    """A logger whose records carry ``call_sid``."""
    return CallLogger(base or _log, {"call_sid": call_sid or "-"})


class SocketGone(Exception):
    """Raised by a link's ``send_text`` when its socket is already closed (internal)."""


class SupportsToJson(Protocol):
    """Anything that can be sent as one app -> jambonz message (commands, acks)."""

    def to_json(self) -> str:
        """The message as JSON text, exactly as the server reads it."""
        ...


class _Link(Protocol):
    """What a session needs from the socket it is attached to (see ``_dispatch``)."""

    protocol: JambonzProtocol

    @property
    def is_open(self) -> bool: ...

    async def send_text(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


# TODO(commands): once ``_commands.py`` lands, make this ``class Session(SessionCommands)``;
# its typed methods call ``_send_command`` below, which is already in place.
class Session:
    """One call. Handlers get it as their first argument.

    Attributes:
        call_sid: the call sid (``None`` only until the first payload names it).
        call: the ``session:new`` (or adulting/redirect) payload that started it.
        state: free storage for the app; kept across reconnects.
        path: the websocket URL path the call arrived on.
        log: a logger that stamps ``call_sid`` on every record.
    """

    def __init__(self, call_sid: str | None, call: SessionNewCallback, path: str) -> None:
        self.call_sid = call_sid
        self.call = call
        self.state: dict[str, object] = {}
        self.path = path
        self.log = call_logger(call_sid)
        self._link: _Link | None = None
        self._outbox: list[str] = []
        self._ended = False
        self._ended_event = asyncio.Event()
        # session:new answer, kept until acked: if the socket drops first, the ack to
        # session:reconnect must carry these verbs (protocol.md §4).
        self._initial_verbs: asyncio.Future[list[dict[str, JsonValue]]] | None = None
        self._initial_acked = False
        self._grace_timer: asyncio.TimerHandle | None = None
        self._on_end: list[Callable[[Session], None]] = []

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

    async def wait_ended(self) -> None:
        """Wait until the call ends."""
        await self._ended_event.wait()

    async def _send_command(self, command: SupportsToJson) -> None:
        """Send one command now, or after the reconnect if the socket is down.

        Raises:
            SessionClosed: the call has ended.
            MessageTooLarge: the command is over the 24 KiB cap (nothing was sent).
        """
        await self._send_text(command.to_json())

    async def _send_text(self, text: str) -> None:
        if self._ended:
            raise SessionClosed(f"call {self.call_sid} has ended; cannot send {text[:80]!r}")
        link = self._link
        if link is None:
            # Detached: keep it, in order; flushed right after session:reconnect is acked.
            self._outbox.append(text)
            return
        link.protocol.check_size(text)
        try:
            await link.send_text(text)
        except SocketGone:
            self._outbox.append(text)

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

    def _detach(self, link: _Link) -> None:
        if self._link is link:
            self._link = None

    def _take_outbox(self) -> list[str]:
        out, self._outbox = self._outbox, []
        return out

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
        self._ended_event.set()
        for callback in self._on_end:
            callback(self)
