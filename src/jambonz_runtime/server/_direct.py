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
masking, UTF-8 and size limits, ping/pong, the closing handshake) and each complete
message goes straight to the socket's :class:`~jambonz_runtime.server._dispatch.Connection`,
in the same callback; an ack is framed and written in that same turn of the loop.

What this module adds around the protocol, as websockets' asyncio server does: the
``process_request`` hook (HTTP answers, auth), the ``Server`` header, a handshake
timeout, keepalive pings (one timer for all sockets, not a task each), a close timeout,
write flow control (a sender waits while the transport's buffer is over its high-water
mark), and graceful shutdown (stop accepting, let calls end, then 1001).
"""

from __future__ import annotations

import asyncio
import http
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Final, cast

from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import SERVER as SERVER_HEADER
from websockets.http11 import Request
from websockets.protocol import CLOSED, CONNECTING, OPEN
from websockets.server import ServerProtocol
from websockets.typing import BytesLike

from ..session import SocketGone
from ._common import SUBPROTOCOL, ServerSettings
from ._dispatch import Connection

__all__ = ["DirectServer", "DirectSocket"]

_log = logging.getLogger("jambonz_runtime.server")

CLOSE_TIMEOUT: Final = 10.0
"""Seconds the closing handshake (and then the TCP close) may take before an abort."""
PING_TIMEOUT: Final = 20.0
"""Seconds a keepalive ping may wait for its pong before the socket is failed (1011)."""


class DirectSocket(asyncio.Protocol):
    """One control socket from jambonz, from the handshake to the TCP close."""

    def __init__(self, owner: DirectServer) -> None:
        self.owner = owner
        server = owner.server
        self.ws = ServerProtocol(
            subprotocols=owner.subprotocols,
            extensions=owner.extensions,
            max_size=server.max_message_size,
            logger=_log,
        )
        self.transport: asyncio.Transport | None = None
        self.conn: Connection | None = None
        self.ping: tuple[bytes, float] | None = None
        """The outstanding keepalive ping: its payload and when it was sent."""
        self._fragments: list[BytesLike] = []
        self._fragment_text = False
        self._paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # cast, not isinstance: uvloop's transports are not asyncio.Transport subclasses
        self.transport = cast(asyncio.Transport, transport)
        self.owner.sockets.add(self)
        self._timer = asyncio.get_running_loop().call_later(
            self.owner.server.open_timeout, self._handshake_timeout
        )

    def data_received(self, data: bytes) -> None:
        ws = self.ws
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Frame):
                self._on_frame(event)
            elif isinstance(event, Request):
                self._on_request(event)
        self._write_pending()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._write_pending()
        return None  # no half-open socket: close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.ws.receive_eof()  # idempotent; the protocol is CLOSED from here on
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._lost.set_result(None)
        conn = self.conn
        if conn is None:
            self.owner.sockets.discard(self)
            self.owner.update_idle()
            return
        conn.connection_lost(self.ws.close_code)
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
        try:
            response = server._process_request(None, request)
        except Exception:
            _log.error("process_request failed", exc_info=True)
            response = self.ws.reject(
                http.HTTPStatus.INTERNAL_SERVER_ERROR,
                "Failed to open a WebSocket connection.\nSee server log for more information.\n",
            )
        if response is None:
            response = self.ws.accept(request)
        if response.status_code == 101 and not self.owner.serving:
            response = self.ws.reject(
                http.HTTPStatus.SERVICE_UNAVAILABLE, "Server is shutting down.\n"
            )
        response.headers["Server"] = SERVER_HEADER
        self.ws.send_response(response)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if response.status_code != 101:
            # An HTTP answer (OPTIONS, 401, 404, 400...) ends the connection, as
            # websockets' server does: written, then closed.
            self._write_pending()
            if self.transport is not None:
                self.transport.close()
            return
        found = server.route(request.path)
        if found is None:  # process_request refused unknown paths already; defensive
            self.ws.send_close(1008, "no app at this path")
            self._expect_close()
            return
        app, path = found
        self.conn = server._connection(app, path, self._send, self._close, request.path)

    def _handshake_timeout(self) -> None:
        self._timer = None
        if self.ws.state is CONNECTING and self.transport is not None:
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
        conn = self.conn
        if conn is None:
            return
        if not text:
            conn.feed(bytes(data))
            return
        try:
            message = bytes(data).decode()
        except UnicodeDecodeError:
            self.ws.fail(1007, "invalid UTF-8 in a text frame")
            self._expect_close()
            return
        conn.feed(message)

    # -- output ---------------------------------------------------------------------------

    def _write_pending(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for chunk in self.ws.data_to_send():
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                try:
                    transport.write_eof()
                except Exception:  # pragma: no cover  # socket already gone
                    transport.close()
            else:  # pragma: no cover  # TLS transports cannot half-close
                transport.close()
        if self.ws.close_expected():
            self._expect_close()

    def _expect_close(self) -> None:
        # The peer should close TCP soon; if it does not, abort after the close timeout.
        if self._timer is None and not self._lost.done():
            self._timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._abort)

    def _abort(self) -> None:
        self._timer = None
        if self.transport is not None:
            self.transport.abort()

    async def _send(self, text: str) -> None:
        ws = self.ws
        if ws.state is not OPEN or self.transport is None or self.transport.is_closing():
            raise SocketGone
        ws.send_text(text.encode())
        self._write_pending()
        if self._paused:  # flow control: wait until the transport's buffer drains
            waiter = asyncio.get_running_loop().create_future()
            self._drain_waiters.append(waiter)
            await waiter
            if self._lost.done():
                raise SocketGone

    async def _close(self, code: int, reason: str) -> None:
        if self.ws.state is OPEN:
            self.ws.send_close(code, reason)
            self._write_pending()
        await self.wait_closed()

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is gone."""
        await asyncio.shield(self._lost)

    def send_ping(self, now: float) -> None:
        """Send a keepalive ping, or fail the socket if the last one got no pong in time."""
        if self.ws.state is not OPEN:
            return
        if self.ping is not None:
            if now - self.ping[1] >= PING_TIMEOUT:
                self.ws.fail(1011, "keepalive ping timeout")
                self._write_pending()
            return
        payload = os.urandom(4)
        self.ping = (payload, now)
        self.ws.send_ping(payload)
        self._write_pending()

    def close_going_away(self) -> None:
        """Close with 1001 (shutdown deadline passed); jambonz reconnects elsewhere."""
        if self.conn is not None:
            self.conn.cancel_tasks()
        if self.ws.state is OPEN:
            self.ws.send_close(1001, "server shutting down")
            self._write_pending()
        elif self.ws.state is not CLOSED and self.transport is not None:
            self.transport.abort()


class DirectServer:
    """The listening side: accepts sockets, pings them, and shuts them down gracefully."""

    def __init__(self, server: ServerSettings) -> None:
        self.server = server
        self.subprotocols = [SUBPROTOCOL]
        self.extensions = (
            [ServerPerMessageDeflateFactory()] if server.compression == "deflate" else None
        )
        self.sockets: set[DirectSocket] = set()
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
