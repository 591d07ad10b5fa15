"""Control sockets straight on the event loop's transport, on websockets' sans-I/O protocol.

Imported by :mod:`jambonz_runtime.server` when it starts (never at its own import, so
there is no import cycle).

Why: websockets' asyncio server gives every socket a handler task, a keepalive task, a
receive queue that wakes the reader once per message, and an async context manager per
send. For jambonz control sockets (short JSON messages, one ack each) that machinery
cost more CPU than parsing, validating and answering the messages, and every wake-up is
one more trip through the loop's queue that an ack waits in under load. Here each socket
is a plain ``asyncio.Protocol``: bytes go into websockets' ``ServerProtocol`` (which
does all of the WebSocket protocol: handshake parsing and negotiation, framing,
masking, UTF-8 and size limits, ping/pong, the closing handshake) unless a fast path
below knows them, and each complete message goes straight to the socket's
:class:`~jambonz_runtime.server._dispatch.Connection`, in the same callback; an ack is
framed and written in that same turn of the loop.

What this module adds around the protocol, as websockets' asyncio server does: the
``process_request`` hook (HTTP answers, auth), the ``Server`` header, a handshake
timeout, keepalive pings (one timer for all sockets, not a task each), a close timeout,
write flow control (a sender waits while the transport's buffer is over its high-water
mark), and graceful shutdown (stop accepting, let calls end, then 1001).

Fast paths, because jambonz opens a new socket for every call and sends ~5 short
messages on it, so the handshake and the per-frame machinery weigh as much as the
messages themselves (bench/, README "Performance"); each is taken only for the exact
case it knows and hands everything else to websockets unchanged:

* **the plain jambonz upgrade** (:func:`plain_upgrade`): a complete ``GET`` request in
  the first segment, HTTP/1.1, one each of ``Upgrade: websocket``, ``Connection:
  Upgrade``, a valid ``Sec-WebSocket-Key``, ``Sec-WebSocket-Version: 13`` and
  ``ws.jambonz.org`` offered, no body, to a path an app serves, on a server without
  basic auth or compression: answered with a templated 101 (the headers websockets'
  ``accept`` writes, byte for byte but the cached ``Date``). Anything else, including
  every request ``process_request`` would answer itself, goes through websockets'
  handshake;
* **whole masked text frames** (``FIN``, no RSV bits, at most 64 KiB, no fragmented
  message in progress) are unmasked and delivered here; every other frame (fragments,
  binary, bad masking, oversized, and control frames once websockets has the socket) is
  fed, whole, to websockets' parser, which therefore always sees frame boundaries and
  keeps all its checks;
* **ping, pong and close frames** (whole, masked, ``FIN``, at most 125 bytes) are
  answered here as websockets' ``recv_frame`` answers them (a pong with the ping's
  payload; the close payload checked by websockets' ``Close.parse`` and echoed as
  received) until something hands the socket over; a close frame websockets would
  refuse (one byte, a code no frame may carry, a reason not UTF-8) goes to it, so the
  close codes and reasons stay its own. A server close (``session.close``, drain,
  shutdown) is framed here too;
* **websockets' protocol object only when needed**: a plain call never builds one
  (it costs a ``uuid4``, i.e. a ``getrandom`` syscall, and two parser generators).
  :meth:`DirectSocket._protocol` is the one place that hands a socket over to it;
* **acks and commands** are framed here when no extension is negotiated (an unmasked
  text frame is a 2-10 byte header and the payload), and frames written while one
  segment is being handled go out in one ``write``;
* **after the closing handshake** (both close frames exchanged) the transport is
  closed instead of half-closed with ``write_eof``: the peer has nothing left to send,
  so the extra syscall and the wait for its FIN bought nothing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import hashlib
import http
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, cast

from websockets import frames as _ws_frames
from websockets.exceptions import ProtocolError
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Close, CloseCode, Frame, Opcode
from websockets.http11 import SERVER as SERVER_HEADER
from websockets.http11 import Request
from websockets.protocol import CLOSED, CLOSING, CONNECTING, OPEN, State
from websockets.server import ServerProtocol
from websockets.typing import BytesLike

from ..session import SocketGone
from ._common import SUBPROTOCOL, ServerSettings
from ._dispatch import Connection

__all__ = ["DirectServer", "DirectSocket", "plain_upgrade"]

_log = logging.getLogger("jambonz_runtime.server")

CLOSE_TIMEOUT: Final = 10.0
"""Seconds the closing handshake (and then the TCP close) may take before an abort."""
PING_TIMEOUT: Final = 20.0
"""Seconds a keepalive ping may wait for its pong before the socket is failed (1011)."""

_apply_mask: Callable[[bytes, bytes], bytes] = vars(_ws_frames)["apply_mask"]
"""websockets' unmasking (its C speedup when built), as its own frame parser uses it."""
_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_HEAD: Final = 4096
"""Longest request head the fast upgrade reads (jambonz's is ~300 bytes)."""
_SINGLE: Final = frozenset(
    {
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "authorization",
        "content-length",
        "transfer-encoding",
    }
)
"""Headers the fast upgrade must see at most once (else websockets decides)."""
_TIMER_SLACK: Final = 0.001
"""How early a loop timer may fire (libuv counts milliseconds): still on time."""
_TEXT_FIN: Final = 0x81
_CLOSE_FIN: Final = 0x88
_PING_FIN: Final = 0x89
_PONG_FIN: Final = 0x8A
_CONTROL_FIN: Final = frozenset({_CLOSE_FIN, _PING_FIN, _PONG_FIN})
_FAST_FRAME_MAX: Final = 0xFFFF
"""Longest frame payload the fast path unmasks (a 16-bit length); longer: websockets."""


_KEY_LINE: Final = b"\r\nsec-websocket-key:"
_SHAPES_MAX: Final = 64


def plain_upgrade(head: bytes, subprotocol: str) -> tuple[str, bytes] | None:
    """The request path and ``Sec-WebSocket-Accept`` of a plain upgrade request head.

    ``head`` is everything before the blank line. ``None`` unless the request is the
    plain kind jambonz sends (see the module docstring): then websockets' handshake
    decides, so an unusual request is answered exactly as before.

    jambonz sends the same head for every call but the ``Sec-WebSocket-Key``, so a head
    whose *shape* (the head without that key's value) was found plain before is plain
    again exactly when its key is valid: only the key is checked then (``_shapes``).
    """
    if len(head) > _MAX_HEAD or not head.isascii():
        return None
    start = head.lower().find(_KEY_LINE)
    if start < 0:
        return None  # no key: never plain
    start += len(_KEY_LINE)
    end = head.find(b"\r\n", start)
    if end < 0:
        end = len(head)
    shape = (head[:start] + head[end:], subprotocol)
    path = _shapes.get(shape)
    if path is None:
        path = _plain_path(head, subprotocol)
        if path is None:
            return None
        if len(_shapes) < _SHAPES_MAX:
            _shapes[shape] = path
    key_b64 = head[start:end].strip()
    try:
        raw_key = base64.b64decode(key_b64, validate=True)
    except binascii.Error:
        return None
    if len(raw_key) != 16:
        return None
    return path, base64.b64encode(hashlib.sha1(key_b64 + _GUID).digest())


_shapes: dict[tuple[bytes, str], str] = {}
"""Head shapes :func:`_plain_path` found plain, and their paths (at most
:data:`_SHAPES_MAX`; a head of a shape not kept is checked in full every time)."""


def _plain_path(head: bytes, subprotocol: str) -> str | None:
    """The path of a plain upgrade head, every rule checked but the key's value."""
    lines = head.split(b"\r\n")
    request = lines[0]
    if not request.startswith(b"GET /") or not request.endswith(b" HTTP/1.1"):
        return None
    path = request[4:-9]
    if not all(32 < c < 127 for c in path):  # visible ASCII, no space
        return None
    seen: dict[str, bytes] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or b" " in name:
            return None  # not a header line, or obsolete line folding
        key = name.decode().lower()
        if key in _SINGLE:
            if key in seen:
                return None
            seen[key] = value.strip()
    if "content-length" in seen or "transfer-encoding" in seen or "authorization" in seen:
        return None
    if seen.get("upgrade", b"").lower() != b"websocket":
        return None
    if b"upgrade" not in [t.strip().lower() for t in seen.get("connection", b"").split(b",")]:
        return None
    if seen.get("sec-websocket-version") != b"13":
        return None
    offered = seen.get("sec-websocket-protocol", b"")
    if subprotocol.encode() not in [t.strip() for t in offered.split(b",")]:
        return None
    return path.decode()


class _Http101:
    """The 101 answer to a plain upgrade, with a ``Date`` cached per second."""

    def __init__(self, subprotocol: str) -> None:
        self._tail = (
            f"\r\nSec-WebSocket-Protocol: {subprotocol}\r\nServer: {SERVER_HEADER}\r\n\r\n"
        ).encode()
        self._second = -1
        self._head = b""

    def render(self, accept: bytes) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            date = email.utils.formatdate(now, usegmt=True)
            self._head = (
                "HTTP/1.1 101 Switching Protocols\r\n"
                f"Date: {date}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: "
            ).encode()
        return self._head + accept + self._tail


def _text_frame(data: bytes) -> bytes:
    """One unmasked, final text frame (server to client, no extension)."""
    size = len(data)
    if size < 126:
        return bytes((_TEXT_FIN, size)) + data
    if size < 0x10000:
        return bytes((_TEXT_FIN, 126)) + size.to_bytes(2, "big") + data
    return bytes((_TEXT_FIN, 127)) + size.to_bytes(8, "big") + data


class _Deadline:
    """One socket's pending timeout in a :class:`_Deadlines` queue."""

    __slots__ = ("sock",)

    def __init__(self, sock: DirectSocket) -> None:
        self.sock: DirectSocket | None = sock

    def cancel(self) -> None:
        self.sock = None


class _Deadlines:
    """Timeouts of one fixed delay for many sockets, on one loop timer rather than one each.

    Why: a loop timer costs ~2-3 us to set and cancel on uvloop (a libuv timer each),
    and a call used two (the handshake and the close timeout) that a healthy call
    never lets fire. Every deadline here is ``delay`` after it was set, so they expire
    in the order they were set: a FIFO is sorted. Cancelling only clears the entry; the
    one loop timer waits for the oldest entry and drops cancelled ones when it fires.
    """

    def __init__(self, delay: float, expire: Callable[[DirectSocket], None]) -> None:
        self.delay = delay
        self._expire = expire
        self._queue: deque[tuple[float, _Deadline]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, sock: DirectSocket) -> _Deadline:
        """``sock``'s timeout, ``delay`` from now (``expire(sock)`` unless cancelled)."""
        loop = asyncio.get_running_loop()
        entry = _Deadline(sock)
        when = loop.time() + self.delay
        self._queue.append((when, entry))
        if self._timer is None:
            self._timer = loop.call_at(when, self._fire)
        return entry

    def _fire(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time() + _TIMER_SLACK
        queue = self._queue
        while queue:
            when, entry = queue[0]
            sock = entry.sock
            if sock is not None and when > now:
                break
            queue.popleft()
            if sock is not None:
                entry.sock = None
                self._expire(sock)
        self._timer = loop.call_at(queue[0][0], self._fire) if queue else None

    def close(self) -> None:
        """Stop the loop timer (the server is gone; its sockets are too)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()


class DirectSocket(asyncio.Protocol):
    """One control socket from jambonz, from the handshake to the TCP close.

    The socket runs on the fast path (templated 101, frames handled here) until it meets
    something only websockets knows; :meth:`_protocol` then hands it over to websockets'
    ``ServerProtocol`` for good. :attr:`state` and :attr:`close_code` answer for either.
    """

    def __init__(self, owner: DirectServer) -> None:
        self.owner = owner
        self.ws: ServerProtocol | None = None
        """websockets' protocol, once the socket needs it (:meth:`_protocol`)."""
        self.transport: asyncio.Transport | None = None
        self.conn: Connection | None = None
        self.ping: tuple[bytes, float] | None = None
        """The outstanding keepalive ping: its payload and when it was sent."""
        self._state = CONNECTING
        """The socket's state while :attr:`ws` is ``None`` (then websockets keeps it)."""
        self._close_sent: Close | None = None
        """The close frame the fast path sent (while :attr:`ws` is ``None``)."""
        self._close_rcvd: Close | None = None
        """The close frame the fast path received: from then on input is discarded."""
        self._fragments: list[BytesLike] = []
        self._fragment_text = False
        self._paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._timer: _Deadline | None = None
        """The pending handshake or close timeout."""
        self._gone = False
        """Whether the TCP connection is gone (``connection_lost``)."""
        self._lost: asyncio.Future[None] | None = None
        """Done when the TCP connection is gone; made for the first ``wait_closed``."""
        self._fast = False
        """Whether frames go through the fast path (plain upgrade, no extension)."""
        self._rest = b""
        """Bytes of an incomplete frame (fast path only)."""
        self._batch: list[bytes] | None = None
        """Frames written while a segment is handled, sent in one ``write``."""

    # -- state: the fast path's own, or websockets' once it has the socket ---------------

    @property
    def state(self) -> State:
        """The WebSocket state (``CONNECTING``, ``OPEN``, ``CLOSING``, ``CLOSED``)."""
        ws = self.ws
        return self._state if ws is None else ws.state

    @property
    def close_code(self) -> int | None:
        """The close code received (1005: none in the frame, 1006: no close frame), once
        ``CLOSED``; what websockets' ``close_code`` says."""
        ws = self.ws
        if ws is not None:
            return ws.close_code
        if self._state is not CLOSED:
            return None
        return CloseCode.ABNORMAL_CLOSURE if self._close_rcvd is None else self._close_rcvd.code

    def _protocol(self) -> ServerProtocol:
        """websockets' protocol for this socket; the first call hands the socket over.

        Before any byte: a protocol that parses the request. After the templated 101:
        one that starts open at a frame boundary (websockets' own ``state=OPEN``), told
        what the fast path did (the subprotocol, a close frame it sent). Never after the
        fast path received a close frame: the socket only waits for the TCP close then.
        """
        ws = self.ws
        if ws is not None:
            return ws
        owner = self.owner
        max_size = owner.max_size
        if self._state is CONNECTING:
            ws = ServerProtocol(
                subprotocols=owner.subprotocols,
                extensions=owner.extensions,
                max_size=max_size,
                logger=_log,
            )
        else:
            assert self._close_rcvd is None, "handed over after the closing handshake"
            ws = ServerProtocol(
                subprotocols=owner.subprotocols, state=OPEN, max_size=max_size, logger=_log
            )
            ws.subprotocol = SUBPROTOCOL
            if self._close_sent is not None:
                ws.close_sent = self._close_sent
                ws.state = CLOSING
        self.ws = ws
        return ws

    def _closed(self) -> None:
        """The stream ended on the fast path: ``CLOSED``, logged as websockets does."""
        if self._state is not CLOSED:
            self._state = CLOSED
            _log.info("connection closed")

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # cast, not isinstance: uvloop's transports are not asyncio.Transport subclasses
        self.transport = cast(asyncio.Transport, transport)
        self.owner.sockets.add(self)
        self._timer = self.owner.handshakes.add(self)

    def data_received(self, data: bytes) -> None:
        self._batch = []
        try:
            if self._fast:
                self._fast_frames(data)
            elif self.ws is None and self.owner.fast_upgrade and self._upgrade(data):
                pass  # the first segment was a plain upgrade
            else:
                self._receive(data)
            self._write_pending()
        finally:
            batch, self._batch = self._batch, None
            if batch and self.transport is not None:
                self.transport.write(batch[0] if len(batch) == 1 else b"".join(batch))

    def _receive(self, data: bytes) -> None:
        ws = self._protocol()
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Frame):
                self._on_frame(event)
            elif isinstance(event, Request):
                self._on_request(event)
        self._write_pending()

    def _upgrade(self, data: bytes) -> bool:
        """Answer a plain jambonz upgrade from the template; ``False``: not one."""
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return False
        owner = self.owner
        found = plain_upgrade(data[:end], SUBPROTOCOL)
        if found is None or not owner.serving:
            return False
        request_path, accept = found
        server = owner.server
        route = server._plain_route(request_path)
        if route is None:
            return False
        # Open, parsing frames from here on; no websockets protocol until one is needed.
        self._state = OPEN
        self._write(owner.http101.render(accept))
        _log.info("connection open")
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._fast = True
        app, app_path = route
        self.conn = server._connection(
            app, app_path, self._send, self._close, request_path, self._send_now
        )
        rest = data[end + 4 :]
        if rest:
            self._fast_frames(rest)
        return True

    def _fast_frames(self, data: bytes) -> None:
        """Handle whole masked frames here; feed every other frame to websockets.

        Here: text frames (``FIN``, no RSV bit) outside a fragmented message, and,
        until websockets has the socket, ping, pong and close frames. websockets' parser
        is only ever fed whole frames, so it stays at a frame boundary; anything this
        loop does not know (a 64-bit length, an unmasked or oversized frame, an
        incomplete frame of another kind) hands the rest of the connection to websockets.
        """
        if self._close_rcvd is not None:
            return  # after the closing handshake: discarded, as websockets does
        if self._rest:
            data = self._rest + data
            self._rest = b""
        limit = self.owner.max_size
        size = len(data)
        pos = 0
        while self._fast and size - pos >= 2:
            first, second = data[pos], data[pos + 1]
            length = second & 0x7F
            start = pos + 6
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 4], "big")
                start = pos + 8
            if length == 127 or not second & 0x80 or length > limit:
                break  # websockets reads (or refuses) it
            end = start + length
            ws = self.ws
            if ws is not None:
                own = first == _TEXT_FIN and ws.state is OPEN and ws.current_size is None
            elif first == _TEXT_FIN:
                own = self._state is OPEN
            else:  # a whole control frame of at most 125 bytes, as websockets requires
                own = first in _CONTROL_FIN and length < 126
            if end > size:
                if own:
                    self._rest = data[pos:]
                    return
                break
            if not own:
                self._receive(data[pos:end])
            elif first == _TEXT_FIN:
                self._text(_apply_mask(data[start:end], data[start - 4 : start]))
            elif not self._control(first, _apply_mask(data[start:end], data[start - 4 : start])):
                self._receive(data[pos:end])
            if self._close_rcvd is not None:
                return
            pos = end
        else:
            if pos < size:
                self._rest = data[pos:]
            return
        self._fast = False
        self._receive(data[pos:])

    def _control(self, first: int, payload: bytes) -> bool:
        """A ping, pong or close frame, as websockets' ``recv_frame`` answers it, before
        websockets has the socket; ``False``: a close frame websockets must refuse."""
        if first == _PING_FIN:
            self._write(bytes((_PONG_FIN, len(payload))) + payload)
        elif first == _PONG_FIN:
            if self.ping is not None and payload == self.ping[0]:
                self.ping = None
        else:
            try:
                close = Close.parse(payload)
            except (ProtocolError, UnicodeDecodeError):
                return False  # websockets fails the socket with its code (1002, 1007)
            self._close_rcvd = close
            if self._close_sent is None:
                # Echo the frame as received (websockets does: 1005 cannot be sent).
                self._write(bytes((_CLOSE_FIN, len(payload))) + payload)
                self._close_sent = close
                self._state = CLOSING
            # Closing handshake done: close (FIN), as _write_pending does.
            self._flush()
            if self.transport is not None:
                self.transport.close()
            self._expect_close()
        return True

    def eof_received(self) -> bool | None:
        if self.ws is None and self._close_rcvd is not None:
            self._closed()  # the closing handshake is done: nothing to answer
        else:
            self._protocol().receive_eof()
            self._write_pending()
        return None  # no half-open socket: close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.ws is None:
            self._closed()
        else:
            self.ws.receive_eof()  # idempotent; the protocol is CLOSED from here on
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._gone = True
        if self._lost is not None:
            self._lost.set_result(None)
        conn = self.conn
        if conn is None:
            self.owner.sockets.discard(self)
            self.owner.update_idle()
            return
        conn.connection_lost(self.close_code)
        if not conn.busy:
            self.owner.sockets.discard(self)
            self.owner.server._forget(conn)
            self.owner.update_idle()
            return
        # Handler tasks still running (a slow handler) finish before the socket counts
        # as gone for a graceful shutdown.
        self.owner.track(self, conn.drain())

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- handshake ------------------------------------------------------------------------

    def _on_request(self, request: Request) -> None:
        server = self.owner.server
        ws = self._protocol()
        try:
            response = server._process_request(None, request)
        except Exception:
            _log.error("process_request failed", exc_info=True)
            response = ws.reject(
                http.HTTPStatus.INTERNAL_SERVER_ERROR,
                "Failed to open a WebSocket connection.\nSee server log for more information.\n",
            )
        if response is None:
            response = ws.accept(request)
        if response.status_code == 101 and not self.owner.serving:
            response = ws.reject(http.HTTPStatus.SERVICE_UNAVAILABLE, "Server is shutting down.\n")
        response.headers["Server"] = SERVER_HEADER
        ws.send_response(response)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if response.status_code != 101:
            # An HTTP answer (OPTIONS, 401, 404, 400...) ends the connection, as
            # websockets' server does: written, then closed.
            self._write_pending()
            self._flush()
            if self.transport is not None:
                self.transport.close()
            return
        found = server.route(request.path)
        if found is None:  # process_request refused unknown paths already; defensive
            ws.send_close(1008, "no app at this path")
            self._expect_close()
            return
        app, path = found
        self.conn = server._connection(
            app, path, self._send, self._close, request.path, self._send_now
        )

    def handshake_timeout(self) -> None:
        """The opening handshake took longer than ``open_timeout``: abort."""
        self._timer = None
        if self.state is CONNECTING and self.transport is not None:
            _log.info("opening handshake timed out")
            self.transport.abort()

    # -- frames ---------------------------------------------------------------------------

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                self._deliver(frame.data, opcode is Opcode.TEXT)
            else:
                self._fragments = [frame.data]
                self._fragment_text = opcode is Opcode.TEXT
        elif opcode is Opcode.CONT:
            self._fragments.append(frame.data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                self._deliver(data, self._fragment_text)
        elif opcode is Opcode.PONG:
            if self.ping is not None and frame.data == self.ping[0]:
                self.ping = None
        elif opcode is Opcode.CLOSE:
            self._expect_close()
        # PING: websockets queued the pong already.

    def _deliver(self, data: BytesLike, text: bool) -> None:
        if text:
            self._text(bytes(data))
        elif self.conn is not None:
            self.conn.feed(bytes(data))

    def _text(self, data: bytes) -> None:
        """A whole text message: to the connection, or 1007 if it is not UTF-8."""
        conn = self.conn
        if conn is None:
            return
        try:
            message = data.decode()
        except UnicodeDecodeError:
            self._protocol().fail(1007, "invalid UTF-8 in a text frame")
            self._expect_close()
            return
        conn.feed(message)

    # -- output ---------------------------------------------------------------------------

    def _write(self, chunk: bytes) -> None:
        batch = self._batch
        if batch is not None:
            batch.append(chunk)
        elif self.transport is not None:
            self.transport.write(chunk)

    def _flush(self) -> None:
        """Write what is batched now (before the stream ends)."""
        batch = self._batch
        if batch and self.transport is not None:
            self.transport.write(b"".join(batch))
            batch.clear()

    def _write_pending(self) -> None:
        """Write what websockets queued, and end the stream where it says so."""
        ws = self.ws
        transport = self.transport
        if ws is None or transport is None:
            return
        for chunk in ws.data_to_send():
            if chunk:
                self._write(chunk)
                continue
            self._flush()  # end of stream: what is queued goes first
            if ws.close_rcvd is not None and ws.close_sent is not None:
                # Closing handshake done: the peer sends nothing more, so close (FIN)
                # rather than half-close and wait for the peer's FIN as well.
                transport.close()
            elif transport.can_write_eof():
                try:
                    transport.write_eof()
                except Exception:  # pragma: no cover  # socket already gone
                    transport.close()
            else:  # pragma: no cover  # TLS transports cannot half-close
                transport.close()
        if ws.close_expected():
            self._expect_close()

    def _expect_close(self) -> None:
        # The peer should close TCP soon; if it does not, abort after the close timeout.
        if self._timer is None and not self._gone:
            self._timer = self.owner.closes.add(self)

    def close_timeout(self) -> None:
        """The peer did not close TCP within :data:`CLOSE_TIMEOUT`: abort."""
        self._timer = None
        if self.transport is not None:
            self.transport.abort()

    def _send_close(self, code: int, reason: str) -> None:
        """Start the closing handshake (the socket is ``OPEN``)."""
        close = Close(code, reason)
        payload = close.serialize()  # ProtocolError for a code no frame may carry
        if self.ws is None and len(payload) < 126:
            self._write(bytes((_CLOSE_FIN, len(payload))) + payload)
            self._close_sent = close
            self._state = CLOSING
            self._expect_close()
        else:  # websockets' send_close (and its error for a reason too long)
            self._protocol().send_close(code, reason)
            self._write_pending()

    def _send_now(self, text: str) -> bool:
        """Write ``text`` now if nothing need be awaited; ``False``: nothing written.

        The dispatcher's path for acks (no coroutine per ack): taken only while the
        socket is open and the transport is not pushing back; every other case goes
        through :meth:`_send`, which raises or waits as it must.
        """
        if self._paused or not self._writable():
            return False
        self._write_text(text)
        return True

    def _writable(self) -> bool:
        """Whether a message may be written: ``OPEN`` and the transport not closing."""
        transport = self.transport
        return self.state is OPEN and transport is not None and not transport.is_closing()

    def _write_text(self, text: str) -> None:
        ws = self.ws
        if ws is None or (self._fast and not ws.writes):
            self._write(_text_frame(text.encode()))
        else:
            ws.send_text(text.encode())
            self._write_pending()

    async def _send(self, text: str) -> None:
        if not self._writable():
            raise SocketGone
        self._write_text(text)
        if self._paused:  # flow control: wait until the transport's buffer drains
            waiter = asyncio.get_running_loop().create_future()
            self._drain_waiters.append(waiter)
            await waiter
            if self._gone:
                raise SocketGone

    async def _close(self, code: int, reason: str) -> None:
        if self.state is OPEN:
            self._send_close(code, reason)
        await self.wait_closed()

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is gone."""
        if self._gone:
            return
        if self._lost is None:
            self._lost = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._lost)

    def send_ping(self, now: float) -> None:
        """Send a keepalive ping, or fail the socket if the last one got no pong in time."""
        if self.state is not OPEN:
            return
        if self.ping is not None:
            if now - self.ping[1] >= PING_TIMEOUT:
                self._protocol().fail(1011, "keepalive ping timeout")
                self._write_pending()
            return
        payload = os.urandom(4)
        self.ping = (payload, now)
        ws = self.ws
        if ws is None:
            self._write(bytes((_PING_FIN, len(payload))) + payload)
        else:
            ws.send_ping(payload)
            self._write_pending()

    def close_going_away(self) -> None:
        """Close with 1001 (shutdown deadline passed); jambonz reconnects elsewhere."""
        if self.conn is not None:
            self.conn.cancel_tasks()
        state = self.state
        if state is OPEN:
            self._send_close(1001, "server shutting down")
        elif state is not CLOSED and self.transport is not None:
            self.transport.abort()


class DirectServer:
    """The listening side: accepts sockets, pings them, and shuts them down gracefully."""

    def __init__(self, server: ServerSettings) -> None:
        self.server = server
        self.subprotocols = [SUBPROTOCOL]
        self.extensions = (
            [ServerPerMessageDeflateFactory()] if server.compression == "deflate" else None
        )
        self.fast_upgrade = server.compression is None
        """Whether plain upgrades may be answered from the template (``_upgrade``)."""
        self.http101 = _Http101(SUBPROTOCOL)
        self.max_size = server.max_message_size
        """The longest frame (and message) accepted, as websockets' ``max_size``."""
        self.sockets: set[DirectSocket] = set()
        self.handshakes = _Deadlines(server.open_timeout, DirectSocket.handshake_timeout)
        """Sockets still in the opening handshake, aborted after ``open_timeout``."""
        self.closes = _Deadlines(CLOSE_TIMEOUT, DirectSocket.close_timeout)
        """Sockets whose peer should close TCP, aborted after :data:`CLOSE_TIMEOUT`."""
        self.serving = False
        self._listener: asyncio.Server | None = None
        self._draining: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._pinger: asyncio.TimerHandle | None = None

    async def start(self) -> int:
        """Listen; returns the port bound."""
        loop = asyncio.get_running_loop()
        settings = self.server
        if settings.sock is not None:
            self._listener = await loop.create_server(
                lambda: DirectSocket(self), sock=settings.sock
            )
        else:
            self._listener = await loop.create_server(
                lambda: DirectSocket(self),
                settings.host,
                settings._port,
                reuse_port=settings.reuse_port or None,
            )
        self.serving = True
        self._schedule_pings()
        return int(self._listener.sockets[0].getsockname()[1])

    def track(self, sock: DirectSocket, drain: Awaitable[None]) -> None:
        """Keep ``sock`` counted as live until its handlers (``drain``) are done."""

        async def finish() -> None:
            try:
                await drain
            finally:
                self.sockets.discard(sock)
                if sock.conn is not None:
                    self.server._forget(sock.conn)
                self.update_idle()

        task = asyncio.get_running_loop().create_task(finish())
        self._draining.add(task)
        task.add_done_callback(self._draining.discard)

    def update_idle(self) -> None:
        """Tell a waiting shutdown when the last socket is gone."""
        if not self.sockets:
            self._idle.set()

    def _schedule_pings(self) -> None:
        interval = self.server.ping_interval
        if interval is None or not self.serving:
            return
        self._pinger = asyncio.get_running_loop().call_later(interval, self._ping_all)

    def _ping_all(self) -> None:
        now = asyncio.get_running_loop().time()
        for sock in list(self.sockets):
            sock.send_ping(now)
        self._schedule_pings()

    def stop_accepting(self) -> None:
        """Close the listener: no new sockets (a drain's first step)."""
        self.serving = False
        if self._listener is not None:
            self._listener.close()

    async def shutdown(self, deadline: float, on_timeout: Callable[[int], None]) -> None:
        """Stop accepting; wait up to ``deadline`` s for calls to end, then close with 1001."""
        self.stop_accepting()
        if self._pinger is not None:
            self._pinger.cancel()
        self._idle.clear()
        self.update_idle()
        try:
            await asyncio.wait_for(self._idle.wait(), deadline)
        except asyncio.TimeoutError:
            on_timeout(len(self.sockets))
            live = list(self.sockets)
            for sock in live:
                sock.close_going_away()
            for sock in live:
                try:
                    await asyncio.wait_for(sock.wait_closed(), CLOSE_TIMEOUT)
                except asyncio.TimeoutError:
                    if sock.transport is not None:
                        sock.transport.abort()
            if self._draining:
                await asyncio.wait(set(self._draining))
        if self._listener is not None:
            await self._listener.wait_closed()
            self._listener = None
        self.handshakes.close()
        self.closes.close()
