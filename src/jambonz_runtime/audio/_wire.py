"""A lean websocket data path for audio sockets, after websockets' handshake.

Why: an audio socket carries 50 small binary frames a second each way, and at
hundreds of concurrent streams websockets' general-purpose frame parser and send path
(generator-based parsing, per-message assembler, send context) cost more CPU than the
system calls themselves. websockets still does everything up to and including the
opening handshake (routing, auth, subprotocol); then, if nothing unusual was
negotiated, :func:`take_over` routes the socket's bytes to :class:`AudioWire`, which
speaks the data-transfer part of RFC 6455 itself:

* client frames must be masked, with no reserved bits (no extension is negotiated
  on these sockets, else the fast path is not used); control frames unfragmented and
  at most 125 bytes; fragmented messages are reassembled; text must be UTF-8; a
  message over ``max_size`` fails the connection with 1009;
* pings are answered; a keepalive ping is sent after ``ping_interval`` of silence and
  the connection fails (1011) if nothing arrives within ``ping_timeout``;
* the close handshake either way (the server closes TCP after it), a close timeout,
  and read flow control (reading pauses while the app is behind by ``max_queue``
  messages) and write flow control (``send`` waits while the transport is paused).

It exposes what :class:`~jambonz_runtime.audio.AudioStream` needs (``recv``,
``send``, ``close``, ``close_code``) and raises websockets' own ``ConnectionClosed``
exceptions, so the stream code is the same on both paths. When a condition for the
fast path does not hold, the socket simply stays on websockets.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections import deque
from typing import Final

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    ProtocolError,
)
from websockets.frames import Close, CloseCode
from websockets.protocol import State

try:  # the C version ships with websockets wheels
    from websockets.speedups import apply_mask  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - pure-Python websockets
    from websockets.utils import apply_mask

__all__ = ["AudioConnection", "AudioWire", "take_over"]

_HEAD_SHORT: Final = struct.Struct("!BB")
_HEAD_MEDIUM: Final = struct.Struct("!BBH")
_HEAD_LONG: Final = struct.Struct("!BBQ")
_OK_CODES: Final = (CloseCode.NORMAL_CLOSURE, CloseCode.GOING_AWAY, CloseCode.NO_STATUS_RCVD)
_OPEN, _CLOSING, _CLOSED = 0, 1, 2


def _header(opcode: int, size: int) -> bytes:
    if size < 126:
        return _HEAD_SHORT.pack(0x80 | opcode, size)
    if size < 65536:
        return _HEAD_MEDIUM.pack(0x80 | opcode, 126, size)
    return _HEAD_LONG.pack(0x80 | opcode, 127, size)


class AudioConnection(ServerConnection):
    """websockets' server connection that can hand its socket to an :class:`AudioWire`."""

    wire: AudioWire | None = None
    """Set by :func:`take_over`: from then on, bytes go to the wire, not to websockets."""

    def data_received(self, data: bytes) -> None:
        """Feed the wire if it owns the socket, else websockets."""
        wire = self.wire
        if wire is None:
            super().data_received(data)
        else:
            wire.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        """Tell the wire (if any), then websockets (which then sees the socket CLOSED)."""
        wire = self.wire
        try:
            if wire is not None:
                wire.connection_lost(exc)
        finally:
            super().connection_lost(exc)

    def pause_writing(self) -> None:
        """Transport buffer full: the wire's ``send`` waits too."""
        super().pause_writing()
        if self.wire is not None:
            self.wire.writing_paused = True

    def resume_writing(self) -> None:
        """Transport buffer drained."""
        super().resume_writing()
        wire = self.wire
        if wire is not None:
            wire.writing_paused = False
            wire.wake_writers()


def _untouched(conn: ServerConnection) -> bool:
    """Whether websockets has read nothing past the handshake (and we can tell)."""
    protocol = conn.protocol
    reader = getattr(protocol, "reader", None)
    buffer = getattr(reader, "buffer", None)
    events = getattr(protocol, "events", None)
    frames = getattr(getattr(conn, "recv_messages", None), "frames", None)
    try:
        return (
            buffer is not None
            and len(buffer) == 0
            and events is not None
            and len(events) == 0
            and (frames is None or len(frames) == 0)
        )
    except TypeError:
        return False


def take_over(
    conn: ServerConnection,
    *,
    max_size: int | None,
    max_queue: int = 16,
    ping_interval: float | None = 20.0,
    ping_timeout: float | None = 20.0,
    close_timeout: float = 10.0,
) -> AudioWire | None:
    """Move an open audio socket onto the lean path; ``None`` if it must stay on websockets.

    Call it synchronously right after the handshake (first thing in the handler): no
    byte may have reached websockets' frame parser yet.
    """
    if not isinstance(conn, AudioConnection) or conn.wire is not None:
        return None
    if conn.protocol.state is not State.OPEN or conn.protocol.extensions:
        return None
    if not _untouched(conn):
        return None
    keepalive = getattr(conn, "keepalive_task", None)
    if isinstance(keepalive, asyncio.Task):  # its pongs would never reach websockets
        keepalive.cancel()
        conn.keepalive_task = None
    wire = AudioWire(
        conn,
        max_size=max_size,
        max_queue=max_queue,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        close_timeout=close_timeout,
    )
    conn.wire = wire
    return wire


class AudioWire:
    """The data-transfer half of a server websocket, for one audio socket.

    Use :func:`take_over`; see the module docstring for what it implements.
    """

    def __init__(
        self,
        conn: AudioConnection,
        *,
        max_size: int | None,
        max_queue: int,
        ping_interval: float | None,
        ping_timeout: float | None,
        close_timeout: float,
    ) -> None:
        self.conn = conn
        self.transport = conn.transport
        self.loop = asyncio.get_running_loop()
        self.max_size = max_size
        self.high = max(1, max_queue)
        self.low = max(0, self.high // 4)
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        self.writing_paused = bool(getattr(conn, "paused", False))
        self._state = _OPEN
        self._stop = False  # failed, or the peer's close frame came: read no further
        self._buf = bytearray()
        self._fragments: list[bytes] | None = None
        self._fragments_text = False
        self._fragments_size = 0
        self._messages: deque[str | bytes] = deque()
        self._reading_paused = False
        self._waiter: asyncio.Future[str | bytes] | None = None
        self._writers: list[asyncio.Future[None]] = []
        self._rcvd: Close | None = None
        self._sent: Close | None = None
        self._rcvd_then_sent: bool | None = None
        self._lost = self.loop.create_future()
        self._activity = True
        self._timer: asyncio.TimerHandle | None = None
        self._abort_timer: asyncio.TimerHandle | None = None
        if ping_interval is not None:
            self._timer = self.loop.call_later(ping_interval, self._keepalive)

    # -- state ---------------------------------------------------------------------

    @property
    def close_code(self) -> int | None:
        """The peer's close code once closed (1006 when it sent none), like websockets'."""
        if self._state != _CLOSED:
            return None
        return self._rcvd.code if self._rcvd is not None else CloseCode.ABNORMAL_CLOSURE

    def _closed_exc(self) -> ConnectionClosed:
        rcvd, sent = self._rcvd, self._sent
        ok = (
            rcvd is not None
            and sent is not None
            and rcvd.code in _OK_CODES
            and sent.code in _OK_CODES
        )
        cls = ConnectionClosedOK if ok else ConnectionClosedError
        both = rcvd is not None and sent is not None
        return cls(rcvd, sent, self._rcvd_then_sent if both else None)

    # -- incoming --------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        """Parse every whole frame in the buffered bytes."""
        if self._stop or self._state == _CLOSED:
            return
        self._activity = True
        buf = self._buf
        buf += data
        size = len(buf)
        pos = 0
        max_size = self.max_size
        while size - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if not second & 0x80:
                self._fail(CloseCode.PROTOCOL_ERROR, "incorrect masking")
                return
            if first & 0x70:
                self._fail(CloseCode.PROTOCOL_ERROR, "reserved bits must be 0")
                return
            if max_size is not None and length > max_size:
                self._fail(CloseCode.MESSAGE_TOO_BIG, f"over size limit ({length} > {max_size})")
                return
            start = pos + head + 4
            end = start + length
            if end > size:
                break
            payload = apply_mask(buf[start:end], buf[start - 4 : start])
            pos = end
            self._frame(first & 0x80, first & 0x0F, payload)
            if self._stop:
                buf.clear()
                return
        del buf[:pos]

    def _frame(self, fin: int, opcode: int, payload: bytes) -> None:
        if opcode == 2 or opcode == 1:
            if self._fragments is not None:
                self._fail(CloseCode.PROTOCOL_ERROR, "expected a continuation frame")
            elif fin:
                self._deliver(payload, opcode == 1)
            else:
                self._fragments = [payload]
                self._fragments_text = opcode == 1
                self._fragments_size = len(payload)
        elif opcode == 0:
            fragments = self._fragments
            if fragments is None:
                self._fail(CloseCode.PROTOCOL_ERROR, "unexpected continuation frame")
                return
            fragments.append(payload)
            self._fragments_size += len(payload)
            if self.max_size is not None and self._fragments_size > self.max_size:
                self._fail(CloseCode.MESSAGE_TOO_BIG, "over size limit")
            elif fin:
                self._fragments = None
                self._deliver(b"".join(fragments), self._fragments_text)
        elif opcode >= 8:
            if not fin or len(payload) > 125:
                self._fail(CloseCode.PROTOCOL_ERROR, "invalid control frame")
            elif opcode == 8:
                self._close_received(payload)
            elif opcode == 9:
                self._write(10, payload)
            elif opcode != 10:
                self._fail(CloseCode.PROTOCOL_ERROR, f"invalid opcode {opcode}")
        else:
            self._fail(CloseCode.PROTOCOL_ERROR, f"invalid opcode {opcode}")

    def _deliver(self, payload: bytes, text: bool) -> None:
        if self._state != _OPEN:
            return  # data after our close frame is discarded (RFC 6455 5.5.1)
        message: str | bytes = payload
        if text:
            try:
                message = payload.decode("utf-8")
            except UnicodeDecodeError:
                self._fail(CloseCode.INVALID_DATA, "invalid UTF-8 in a text frame")
                return
        waiter = self._waiter
        if waiter is not None and not waiter.done() and not self._messages:
            self._waiter = None
            waiter.set_result(message)
            return
        self._messages.append(message)
        if not self._reading_paused and len(self._messages) >= self.high:
            self._reading_paused = True
            self.transport.pause_reading()

    def _close_received(self, payload: bytes) -> None:
        try:
            close = Close.parse(payload)
        except (ProtocolError, UnicodeDecodeError):
            self._fail(CloseCode.PROTOCOL_ERROR, "invalid close frame")
            return
        self._rcvd = close
        self._stop = True
        if self._state == _OPEN:  # the peer starts the closing handshake: echo, then close
            self._rcvd_then_sent = True
            self._send_close(close if close.code != CloseCode.NO_STATUS_RCVD else None)
        self._state = _CLOSING
        self.transport.close()  # the server closes TCP after the close handshake

    async def recv(self) -> str | bytes:
        """The next message; raises websockets' ``ConnectionClosed`` once closed."""
        if self._messages:
            message = self._messages.popleft()
            if self._reading_paused and len(self._messages) <= self.low:
                self._reading_paused = False
                self.transport.resume_reading()
            return message
        if self._state == _CLOSED:
            raise self._closed_exc()
        if self._waiter is not None:
            raise ConcurrencyError("two coroutines called recv() concurrently")
        waiter: asyncio.Future[str | bytes] = self.loop.create_future()
        self._waiter = waiter
        try:
            return await waiter
        finally:
            if self._waiter is waiter:
                self._waiter = None

    # -- outgoing --------------------------------------------------------------------

    def _write(self, opcode: int, payload: bytes) -> None:
        self.transport.write(_header(opcode, len(payload)) + payload)

    async def send(self, message: str | bytes) -> None:
        """Send one text (``str``) or binary (bytes-like) message.

        Raises:
            ConnectionClosed: the connection is closing or closed.
        """
        if self._state != _OPEN:
            if self._state == _CLOSING:
                await asyncio.shield(self._lost)
            raise self._closed_exc()
        if isinstance(message, str):
            self._write(1, message.encode("utf-8"))
        else:
            self._write(2, bytes(message))
        if self.writing_paused:
            writer: asyncio.Future[None] = self.loop.create_future()
            self._writers.append(writer)
            try:
                await writer
            finally:
                if writer in self._writers:
                    self._writers.remove(writer)

    def wake_writers(self) -> None:
        """The transport can take more: let waiting senders go on."""
        writers, self._writers = self._writers, []
        for writer in writers:
            if not writer.done():
                writer.set_result(None)

    def _send_close(self, close: Close | None) -> None:
        self._sent = close if close is not None else Close(CloseCode.NO_STATUS_RCVD, "")
        self._write(8, close.serialize() if close is not None else b"")

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection: close frame (if still open), then close TCP."""
        self._stop = True
        if self._state == _OPEN:
            self._rcvd_then_sent = False
            self._send_close(Close(code, reason))
            self._state = _CLOSING
        self._fragments = None
        self.transport.close()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Start (or finish) the closing handshake and wait until the socket is closed."""
        if self._state == _OPEN:
            self._rcvd_then_sent = False
            self._send_close(Close(code, reason))
            self._state = _CLOSING
            self._abort_timer = self.loop.call_later(self.close_timeout, self.transport.abort)
        await asyncio.shield(self._lost)

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is closed."""
        await asyncio.shield(self._lost)

    # -- keepalive and end -------------------------------------------------------------

    def _keepalive(self) -> None:
        if self._state != _OPEN:
            return
        if self._activity:
            self._activity = False
            assert self.ping_interval is not None
            self._timer = self.loop.call_later(self.ping_interval, self._keepalive)
            return
        self._write(9, os.urandom(4))
        if self.ping_timeout is not None:
            self._timer = self.loop.call_later(self.ping_timeout, self._keepalive_expired)

    def _keepalive_expired(self) -> None:
        if self._state != _OPEN:
            return
        if self._activity:  # the pong (or anything) came back
            self._activity = False
            assert self.ping_interval is not None
            self._timer = self.loop.call_later(self.ping_interval, self._keepalive)
            return
        self._fail(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")

    def connection_lost(self, exc: Exception | None) -> None:
        """The TCP connection is gone: wake every waiter with ``ConnectionClosed``."""
        self._state = _CLOSED
        for timer in (self._timer, self._abort_timer):
            if timer is not None:
                timer.cancel()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(self._closed_exc())
        self.wake_writers()
        if not self._lost.done():
            self._lost.set_result(None)
