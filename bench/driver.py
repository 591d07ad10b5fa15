"""The load driver: plays the jambonz side of the control protocol against an app under test.

It behaves like a jambonz feature-server (docs/protocol.md): it is the websocket
*client*, offers the ``ws.jambonz.org`` subprotocol (and permessage-deflate, as the
``ws`` library jambonz uses does), sends the real envelope (``type``, ``msgid``,
``call_sid``, ``hook``, ``data``) with payloads taken from the jambonz docs, waits for
each ack-needing message to be acked *by its msgid*, treats notifications as needing no
ack, and answers ``tts:tokens`` with ``tts:tokens-result`` under the server's buffer
rules (1,000 characters, ``full`` plus one ``stream_paused``, ``stream_resumed`` once
drained). Anything else is an error of the app and counted as such.

Why it is written on websockets' sans-I/O ``ClientProtocol`` over a bare
``asyncio.Protocol`` instead of the asyncio client: it must not be the bottleneck on a
2-core machine where it shares the CPU with the app. No task per connection, no stream
reader, frames timestamped the moment they arrive; masking uses websockets' C speedups.
It measures its own CPU time and reports its utilisation, so a run can say when the
driver, not the app, was the limit (see ``run.py``).

Scenarios (each bounded: a fixed number of calls, every wait with a timeout):

* ``echo``: ``session:new`` -> ack with a gather; 3 ``verb:hook`` to the gather's
  actionHook, each acked with the next verbs; ``call:status`` completed; close 1000.
  Closed loop at a given concurrency.
* ``tts``: ``session:new`` -> ack; the app streams 20 ``tts:tokens`` (1,200 characters,
  so the 1,000-character buffer fills once per call) and a ``tts:flush``; the driver
  answers every command, pauses and resumes like the server, then ends the call.
* ``idle``: N calls opened (``session:new`` acked) and held, to read the app's RSS.

Linux only: app CPU and RSS are read from ``/proc/<pid>``.

    python -m bench.driver --url ws://127.0.0.1:3000 --pid 1234 --plan echo:50:1000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import statistics
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar, cast

from websockets import frames as _ws_frames
from websockets.client import ClientProtocol
from websockets.extensions import Extension
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Frame, Opcode
from websockets.headers import parse_extension
from websockets.protocol import OPEN
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

__all__ = [
    "TOKENS",
    "TTS_BUFFER",
    "Conn",
    "DriverError",
    "Payloads",
    "ProcStats",
    "ScenarioResult",
    "main",
    "open_conn",
    "run_echo",
    "run_idle",
    "run_plan",
    "run_tts",
]

SUBPROTOCOL: Final = Subprotocol("ws.jambonz.org")
TTS_BUFFER: Final = 1000
"""The feature-server's TTS buffer, in characters (``HIGH_WATER_BUFFER_SIZE``)."""
TOKEN_COUNT: Final = 20
TOKENS: Final[tuple[str, ...]] = tuple(
    f"Sentence {i:02d} of the answer, streamed to jambonz by the app.".ljust(60)
    for i in range(TOKEN_COUNT)
)
"""What every TTS app streams per call: 20 tokens of 60 characters (the apps build the
same strings: ``f"Sentence {i:02d} of the answer, streamed to jambonz by the app."``
padded with spaces to 60)."""
ACK_DEADLINE: Final = 5.0
"""jambonz's ack timeout (``JAMBONES_WS_API_MSG_RESPONSE_TIMEOUT`` default)."""
TIMEOUT: Final = 10.0
"""Seconds any single wait may take before the call counts as failed."""
_PAYLOADS = Path(__file__).with_name("payloads.json")
_R = TypeVar("_R")
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class DriverError(Exception):
    """The app under test broke the protocol (or timed out); the call counts as failed."""


# ---------------------------------------------------------------------------
# /proc readers
# ---------------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all threads) from ``/proc``."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def proc_rss(pid: int) -> int:
    """Resident set size of process ``pid`` in bytes (``VmRSS``)."""
    with open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmRSS:"):
                return int(line.split()[1]) * 1024
    raise DriverError(f"no VmRSS for pid {pid}")


@dataclass
class ProcStats:
    """CPU seconds of the app and of this driver between :meth:`start` and :meth:`stop`."""

    pid: int | None
    app_cpu: float = 0.0
    driver_cpu: float = 0.0
    wall: float = 0.0
    _t0: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def start(self) -> None:
        """Take the first reading."""
        app = proc_cpu(self.pid) if self.pid else 0.0
        self._t0 = (time.perf_counter(), time.process_time(), app)

    def stop(self) -> None:
        """Take the second reading and store the differences."""
        wall0, drv0, app0 = self._t0
        self.wall = time.perf_counter() - wall0
        self.driver_cpu = time.process_time() - drv0
        self.app_cpu = (proc_cpu(self.pid) if self.pid else 0.0) - app0


# ---------------------------------------------------------------------------
# a lean websocket client on the sans-I/O protocol
# ---------------------------------------------------------------------------


_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_apply_mask: Callable[[bytes, bytes], bytes] = vars(_ws_frames)["apply_mask"]


class Conn(asyncio.Protocol):
    """One jambonz control socket, client side. Use :func:`open_conn`.

    Lean where it can be, so the driver is not the bottleneck: the upgrade request is
    a template (with the headers jambonz's ``ws`` client sends), the answer is checked
    by hand (101, ``Sec-WebSocket-Accept``, the subprotocol), and frames are masked
    and parsed here. If the app accepts permessage-deflate, the socket continues on
    websockets' sans-I/O ``ClientProtocol`` with the negotiated extension.
    """

    def __init__(self, url: str, *, deflate: bool) -> None:
        self.uri = parse_uri(url)
        self.deflate_offered = deflate
        self.deflate = False
        """Whether the app accepted permessage-deflate."""
        self.ws: ClientProtocol | None = None
        self.transport: asyncio.Transport | None = None
        self.inbox: deque[tuple[float, str]] = deque()
        self.sent = 0
        self.received = 0
        loop = asyncio.get_running_loop()
        self._opened: asyncio.Future[None] = loop.create_future()
        self._closed: asyncio.Future[None] = loop.create_future()
        self._waiter: asyncio.Future[None] | None = None
        self._buf = b""
        self._key = base64.b64encode(os.urandom(16))
        self._mask = os.urandom(4)
        self._close_sent = False

    # asyncio.Protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # cast, not isinstance: uvloop's transports are not asyncio.Transport subclasses
        self.transport = cast(asyncio.Transport, transport)
        uri = self.uri
        offer = (
            b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            if self.deflate_offered
            else b""
        )
        self.transport.write(
            b"GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
            b"%sSec-WebSocket-Protocol: %s\r\nUser-Agent: jambonz\r\n\r\n"
            % (
                uri.resource_name.encode(),
                uri.host.encode(),
                uri.port,
                self._key,
                offer,
                SUBPROTOCOL.encode(),
            )
        )

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if self.ws is not None:
            self._ws_data(data, now)
        else:
            if self._buf:
                data, self._buf = self._buf + data, b""
            if not self._opened.done():
                data = self._handshake(data)
            if data and self.ws is not None:
                self._ws_data(data, now)
            elif data:
                self._frames(data, now)
        if self._waiter is not None and not self._waiter.done() and self.inbox:
            self._waiter.set_result(None)

    def _handshake(self, data: bytes) -> bytes:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            self._buf = data
            return b""
        head, rest = data[:end].decode("latin-1"), data[end + 4 :]
        lines = head.split("\r\n")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1(self._key + _GUID).digest()).decode()
        if not lines[0].startswith("HTTP/1.1 101"):
            self._opened.set_exception(DriverError(f"handshake: {lines[0]}"))
        elif headers.get("sec-websocket-accept") != accept:
            self._opened.set_exception(DriverError("handshake: bad Sec-WebSocket-Accept"))
        elif headers.get("sec-websocket-protocol") != SUBPROTOCOL:
            self._opened.set_exception(DriverError("app did not select ws.jambonz.org"))
        else:
            extensions = headers.get("sec-websocket-extensions")
            if extensions:
                self._use_websockets(extensions)
            self._opened.set_result(None)
        return rest

    def _use_websockets(self, extensions: str) -> None:
        """The app accepted permessage-deflate: websockets does the frames from here."""
        ws = ClientProtocol(self.uri, state=OPEN, max_size=2**24)
        factory = enable_client_permessage_deflate(None)
        assert factory is not None
        accepted: list[Extension] = []
        for name, params in parse_extension(extensions):
            for offered in factory:
                if offered.name == name:
                    accepted.append(offered.process_response_params(params, accepted))
        ws.extensions = accepted
        self.deflate = True
        self.ws = ws

    def _ws_data(self, data: bytes, now: float) -> None:
        ws = self.ws
        assert ws is not None
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
                self.received += 1
                self.inbox.append((now, bytes(event.data).decode()))
        self._flush()

    def _frames(self, data: bytes, now: float) -> None:
        """Unmasked server frames; text ones go to the inbox."""
        size = len(data)
        pos = 0
        while size - pos >= 2:
            first, length = data[pos], data[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                start = pos + 10
            end = start + length
            if end > size:
                break
            opcode = first & 0x0F
            if opcode == 0x1 and first & 0x80:
                self.received += 1
                self.inbox.append((now, data[start:end].decode()))
            elif opcode == 0x9:
                self._write_frame(0xA, data[start:end])
            elif opcode == 0x8 and not self._close_sent:
                self._close_sent = True
                self._write_frame(0x8, data[start : start + 2])
            elif opcode not in (0x8, 0xA):
                raise DriverError(f"unexpected frame opcode {opcode:#x}")
            pos = end
        self._buf = data[pos:]

    def _write_frame(self, opcode: int, payload: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        size = len(payload)
        if size < 126:
            head = bytes((0x80 | opcode, 0x80 | size))
        elif size < 0x10000:
            head = bytes((0x80 | opcode, 0xFE)) + size.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0xFF)) + size.to_bytes(8, "big")
        transport.write(head + self._mask + _apply_mask(payload, self._mask))

    def eof_received(self) -> bool | None:
        if self.ws is not None:
            self.ws.receive_eof()
            self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self._opened, self._closed):
            if not future.done():
                if future is self._opened:
                    future.set_exception(DriverError(f"connection lost: {exc}"))
                else:
                    future.set_result(None)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # API -------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether the TCP connection is gone."""
        return self._closed.done()

    def _flush(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing() or self.ws is None:
            return
        for chunk in self.ws.data_to_send():
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                transport.write_eof()

    def send(self, text: str) -> float:
        """Send one text frame; returns the time it was handed to the socket."""
        if self.ws is not None:
            self.ws.send_text(text.encode())
            self._flush()
        else:
            self._write_frame(0x1, text.encode())
        self.sent += 1
        return time.perf_counter()

    async def recv(self, timeout: float = TIMEOUT) -> tuple[float, str]:
        """The next text message and the time it arrived."""
        if not self.inbox:
            if self._closed.done():
                raise DriverError("socket closed by the app")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, timeout)
            except asyncio.TimeoutError:
                raise DriverError(f"no message from the app within {timeout:.0f} s") from None
            finally:
                self._waiter = None
            if not self.inbox:
                raise DriverError("socket closed by the app")
        return self.inbox.popleft()

    async def close(self, code: int = 1000, timeout: float = TIMEOUT) -> None:
        """Closing handshake, then wait for the app to close TCP (as a client does)."""
        if not self._closed.done():
            if self.ws is not None:
                self.ws.send_close(code)
                self._flush()
            elif not self._close_sent:
                self._close_sent = True
                self._write_frame(0x8, code.to_bytes(2, "big"))
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), timeout)
            except asyncio.TimeoutError:
                raise DriverError("app did not close the socket after the close frame") from None
            finally:
                if self.transport is not None:
                    self.transport.close()

    def abort(self) -> None:
        """Drop the TCP connection at once (after an error)."""
        if self.transport is not None:
            self.transport.abort()


async def open_conn(url: str, *, deflate: bool = True, timeout: float = TIMEOUT) -> Conn:
    """Connect and complete the websocket handshake."""
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    _, conn = await asyncio.wait_for(
        loop.create_connection(lambda: Conn(url, deflate=deflate), uri.host, uri.port), timeout
    )
    try:
        await asyncio.wait_for(asyncio.shield(conn._opened), timeout)
    except BaseException:
        conn.abort()
        raise
    return conn


# ---------------------------------------------------------------------------
# payloads
# ---------------------------------------------------------------------------


class Payloads:
    """Envelopes of the messages jambonz sends, pre-encoded; only ids change per call."""

    _SID = "00000000-0000-4000-8000-00000000SID0"

    def __init__(self, path: Path = _PAYLOADS) -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        self._data: dict[str, str] = {}
        for kind in ("session:new", "verb:hook", "call:status"):
            data = dict(doc[kind])
            data["call_sid"] = self._SID
            self._data[kind] = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self._seq = 0

    def msgid(self) -> str:
        """A fresh msgid (jambonz uses 22-character short uuids; any string will do)."""
        self._seq += 1
        return f"bench{self._seq:017d}"

    def call_sid(self) -> str:
        """A fresh call sid."""
        self._seq += 1
        return f"00000000-0000-4000-8000-{self._seq:012d}"

    def message(
        self, kind: str, call_sid: str, *, msgid: str | None = None, hook: str | None = None
    ) -> str:
        """One envelope: ``{"type","msgid","call_sid"[,"hook"],"data"}``."""
        data = self._data[kind].replace(self._SID, call_sid)
        head = f'{{"type":"{kind}"'
        if msgid is not None:
            head += f',"msgid":"{msgid}"'
        head += f',"call_sid":"{call_sid}"'
        if hook is not None:
            head += f',"hook":{json.dumps(hook)}'
        return f'{head},"data":{data}}}'

    @staticmethod
    def event(kind: str, call_sid: str, data: str) -> str:
        """A notification with an already encoded ``data``."""
        return f'{{"type":"{kind}","msgid":"n","call_sid":"{call_sid}","data":{data}}}'


# ---------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    calls_ok: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    msgs_in: int = 0
    msgs_out: int = 0
    tts_commands: int = 0
    tts_full: int = 0
    tts_chars: int = 0
    tts_expected: int = 0

    def fail(self, error: BaseException) -> None:
        self.error_count += 1
        if len(self.errors) < 5:
            self.errors.append(f"{type(error).__name__}: {error}")

    deflate_conns: int = 0

    def count(self, conn: Conn) -> None:
        self.msgs_in += conn.received
        self.msgs_out += conn.sent
        self.deflate_conns += conn.deflate


@dataclass
class ScenarioResult:
    """What one scenario measured (JSON-serialisable via :meth:`to_json`)."""

    scenario: str
    concurrency: int
    calls: int
    calls_ok: int
    errors: list[str]
    error_count: int
    wall: float
    app_cpu: float
    driver_cpu: float
    messages: int
    latency_ms: dict[str, float]
    late_acks: int = 0
    """Acks that came after jambonz's 5 s deadline (the real server would have failed
    the call); acks that never came within the driver's 10 s are in ``error_count``."""
    extra: dict[str, float] = field(default_factory=dict)
    driver_procs: int = 1
    """Driver processes that shared the load."""
    driver_cores: int = 1
    """CPU cores the driver may run on (its utilisation is ``driver_cpu / wall / cores``)."""
    latencies: list[float] = field(default_factory=list, repr=False)
    """Every ack latency in seconds (merged across driver processes; not in the JSON)."""

    def to_json(self) -> dict[str, object]:
        """Plain dict for ``json.dumps`` (without the raw latencies)."""
        out = dict(vars(self))
        del out["latencies"]
        return out


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    last = len(ordered) - 1

    def pick(q: float) -> float:
        return round(ordered[min(last, int(q * len(ordered)))] * 1000.0, 3)

    return {
        "p50": pick(0.50),
        "p90": pick(0.90),
        "p99": pick(0.99),
        "mean": round(statistics.fmean(ordered) * 1000.0, 3),
    }


async def _expect_ack(conn: Conn, msgid: str, sent_at: float, tally: _Tally) -> list[object]:
    """Wait for the ack of ``msgid``; other messages in between are a protocol error."""
    arrived, text = await conn.recv()
    message = json.loads(text)
    if message.get("type") != "ack" or message.get("msgid") != msgid:
        raise DriverError(f"expected the ack of {msgid}, got {text[:160]}")
    data = message.get("data")
    if not isinstance(data, list):
        raise DriverError(f"ack data is not a verb array: {text[:160]}")
    tally.latencies.append(arrived - sent_at)
    return data


def _gather_hook(verbs: list[object]) -> str:
    for verb in verbs:
        if isinstance(verb, dict) and verb.get("verb") == "gather":
            hook = verb.get("actionHook")
            if isinstance(hook, str):
                return hook
    raise DriverError(f"ack has no gather with an actionHook: {json.dumps(verbs)[:160]}")


async def _echo_call(url: str, payloads: Payloads, tally: _Tally, deflate: bool) -> None:
    conn = await open_conn(url, deflate=deflate)
    try:
        sid = payloads.call_sid()
        msgid = payloads.msgid()
        sent = conn.send(payloads.message("session:new", sid, msgid=msgid))
        hook = _gather_hook(await _expect_ack(conn, msgid, sent, tally))
        for _ in range(3):
            msgid = payloads.msgid()
            sent = conn.send(payloads.message("verb:hook", sid, msgid=msgid, hook=hook))
            hook = _gather_hook(await _expect_ack(conn, msgid, sent, tally))
        conn.send(payloads.message("call:status", sid))
        await conn.close(1000)
        tally.calls_ok += 1
    except BaseException:
        conn.abort()
        raise
    finally:
        tally.count(conn)


class _TtsServer:
    """The feature-server's side of one call's TTS stream (lib/utils/tts-streaming-buffer.js)."""

    def __init__(self, conn: Conn, sid: str, tally: _Tally, drain_after: float) -> None:
        self.conn = conn
        self.sid = sid
        self.tally = tally
        self.buffered = 0
        self.paused = False
        self.drain_after = drain_after
        self._drain: asyncio.TimerHandle | None = None

    def tokens(self, data: object) -> None:
        if not isinstance(data, dict) or "id" not in data:
            return  # 0.9.8: no id, no answer
        ident = json.dumps(data["id"])
        tokens = data.get("tokens")
        self.tally.tts_commands += 1
        if not isinstance(tokens, str):
            result = f'{{"id":{ident},"status":"failed","reason":"missing tokens"}}'
        elif self.buffered + len(tokens) > TTS_BUFFER:
            result = f'{{"id":{ident},"status":"failed","reason":"full"}}'
            self.tally.tts_full += 1
            self.conn.send(self.conn_event("tts:tokens-result", result))
            if not self.paused:
                self.paused = True
                self.conn.send(
                    self.conn_event("tts:streaming-event", '{"event_type":"stream_paused"}')
                )
            if self._drain is None:
                # The vendor speaks the buffer; then the server resumes the stream.
                self._drain = asyncio.get_running_loop().call_later(self.drain_after, self.drain)
            return
        else:
            self.buffered += len(tokens)
            self.tally.tts_chars += len(tokens)
            result = f'{{"id":{ident},"status":"ok"}}'
        self.conn.send(self.conn_event("tts:tokens-result", result))

    def conn_event(self, kind: str, data: str) -> str:
        return Payloads.event(kind, self.sid, data)

    def drain(self) -> None:
        self._drain = None
        self.buffered = 0
        if self.paused and not self.conn.is_closed:
            self.paused = False
            self.conn.send(
                self.conn_event("tts:streaming-event", '{"event_type":"stream_resumed"}')
            )

    def clear(self) -> None:
        self.buffered = 0
        self.paused = False

    def cancel(self) -> None:
        if self._drain is not None:
            self._drain.cancel()


async def _tts_call(
    url: str, payloads: Payloads, tally: _Tally, deflate: bool, drain_after: float
) -> None:
    conn = await open_conn(url, deflate=deflate)
    server: _TtsServer | None = None
    try:
        sid = payloads.call_sid()
        msgid = payloads.msgid()
        server = _TtsServer(conn, sid, tally, drain_after)
        sent = conn.send(payloads.message("session:new", sid, msgid=msgid))
        acked = False
        flushed = False
        for _ in range(10 * TOKEN_COUNT + 10):  # bounded: 20 tokens, resends, a flush
            arrived, text = await conn.recv()
            message = json.loads(text)
            kind = message.get("type")
            if kind == "ack":
                if acked or message.get("msgid") != msgid:
                    raise DriverError(f"unexpected ack {text[:120]}")
                acked = True
                tally.latencies.append(arrived - sent)
            elif kind == "command":
                command = message.get("command")
                if command == "tts:tokens":
                    server.tokens(message.get("data"))
                elif command == "tts:flush":
                    flushed = True
                elif command == "tts:clear":
                    server.clear()
                else:
                    raise DriverError(f"unexpected command {text[:120]}")
            else:
                raise DriverError(f"unexpected message {text[:120]}")
            if acked and flushed:
                break
        else:
            raise DriverError("the app neither acked nor flushed within the message budget")
        server.cancel()
        tally.tts_expected += sum(len(t) for t in TOKENS)
        conn.send(payloads.message("call:status", sid))
        await conn.close(1000)
        tally.calls_ok += 1
    except BaseException:
        if server is not None:
            server.cancel()
        conn.abort()
        raise
    finally:
        tally.count(conn)


async def _closed_loop(
    concurrency: int,
    calls: int,
    budget: float | None,
    one_call: Callable[[], Awaitable[None]],
    tally: _Tally,
) -> None:
    """``concurrency`` workers run calls back to back until ``calls`` have started or,
    after the first wave, ``budget`` seconds have passed (calls in flight finish)."""
    remaining = calls
    deadline = None if budget is None else time.perf_counter() + budget

    async def worker(first: bool) -> None:
        nonlocal remaining
        while remaining > 0 and (first or deadline is None or time.perf_counter() < deadline):
            first = False
            remaining -= 1
            try:
                await one_call()
            except Exception as exc:
                tally.fail(exc)

    await asyncio.gather(*(worker(True) for _ in range(min(concurrency, calls))))


async def _measure(
    name: str,
    concurrency: int,
    calls: int,
    pid: int | None,
    body: Callable[[_Tally], Awaitable[None]],
    extra: Callable[[_Tally], dict[str, float]] | None = None,
) -> ScenarioResult:
    tally = _Tally()
    stats = ProcStats(pid)
    stats.start()
    await body(tally)
    stats.stop()
    return ScenarioResult(
        scenario=name,
        concurrency=concurrency,
        calls=calls,
        calls_ok=tally.calls_ok,
        errors=tally.errors,
        error_count=tally.error_count,
        wall=stats.wall,
        app_cpu=stats.app_cpu,
        driver_cpu=stats.driver_cpu,
        messages=tally.msgs_in + tally.msgs_out,
        latency_ms=_percentiles(tally.latencies),
        late_acks=sum(1 for latency in tally.latencies if latency > ACK_DEADLINE),
        extra={**(extra(tally) if extra else {}), "deflate_conns": float(tally.deflate_conns)},
        latencies=tally.latencies,
    )


async def run_echo(
    base: str,
    concurrency: int,
    calls: int,
    *,
    budget: float | None = None,
    pid: int | None = None,
    deflate: bool = True,
) -> ScenarioResult:
    """The echo scenario, closed loop: ``calls`` calls (or ``budget`` seconds),
    ``concurrency`` at a time."""
    payloads = Payloads()
    url = base.rstrip("/") + "/echo"

    async def body(tally: _Tally) -> None:
        await _closed_loop(
            concurrency,
            calls,
            budget,
            lambda: _echo_call(url, payloads, tally, deflate),
            tally,
        )

    return await _measure("echo", concurrency, calls, pid, body)


async def run_tts(
    base: str,
    concurrency: int,
    calls: int,
    *,
    budget: float | None = None,
    pid: int | None = None,
    deflate: bool = True,
    drain_after: float = 0.002,
) -> ScenarioResult:
    """The TTS scenario: per call 20 tokens streamed under the server's backpressure."""
    payloads = Payloads()
    url = base.rstrip("/") + "/tts"

    async def body(tally: _Tally) -> None:
        await _closed_loop(
            concurrency,
            calls,
            budget,
            lambda: _tts_call(url, payloads, tally, deflate, drain_after),
            tally,
        )

    def extra(tally: _Tally) -> dict[str, float]:
        return {
            "app_tokens": float(TOKEN_COUNT * tally.calls_ok),
            "tts_commands": float(tally.tts_commands),
            "tts_full": float(tally.tts_full),
            "chars_accepted": float(tally.tts_chars),
            "chars_expected": float(tally.tts_expected),
        }

    return await _measure("tts", concurrency, calls, pid, body, extra)


async def run_idle(
    base: str, calls: int, *, pid: int | None = None, deflate: bool = True, settle: float = 1.0
) -> ScenarioResult:
    """Open ``calls`` calls (``session:new`` acked), read the app's RSS, then end them."""
    payloads = Payloads()
    url = base.rstrip("/") + "/echo"
    conns: list[tuple[Conn, str]] = []
    rss: dict[str, float] = {}
    opening = asyncio.Semaphore(50)

    async def open_one(tally: _Tally) -> None:
        async with opening:
            conn = await open_conn(url, deflate=deflate)
            sid = payloads.call_sid()
            msgid = payloads.msgid()
            sent = conn.send(payloads.message("session:new", sid, msgid=msgid))
            conns.append((conn, sid))
            await _expect_ack(conn, msgid, sent, tally)

    async def body(tally: _Tally) -> None:
        if pid:
            await asyncio.sleep(settle)
            rss["rss_before"] = float(proc_rss(pid))
        outcomes = await asyncio.gather(
            *(open_one(tally) for _ in range(calls)), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                tally.fail(outcome)
        if pid:
            await asyncio.sleep(settle)
            rss["rss_open"] = float(proc_rss(pid))
        for conn, sid in conns:
            if not conn.is_closed:
                conn.send(payloads.message("call:status", sid))
        closing = await asyncio.gather(
            *(conn.close(1000) for conn, _ in conns), return_exceptions=True
        )
        for conn, _ in conns:
            tally.count(conn)
        tally.calls_ok = sum(1 for c in closing if not isinstance(c, BaseException))

    def extra(tally: _Tally) -> dict[str, float]:
        out = dict(rss)
        if "rss_open" in out and "rss_before" in out and calls:
            out["rss_per_call"] = (out["rss_open"] - out["rss_before"]) / calls
        return out

    return await _measure("idle", calls, calls, pid, body, extra)


async def run_plan(
    base: str, plan: list[str], *, pid: int | None, deflate: bool
) -> list[ScenarioResult]:
    """Run scenarios in order. Items: ``echo:<conc>:<calls>[:<budget s>]``,
    ``tts:<conc>:<calls>[:<budget s>]``, ``idle:<calls>`` and ``warmup:<calls>``
    (echo and tts calls, not reported)."""
    results: list[ScenarioResult] = []
    for item in plan:
        name, *nums = item.split(":")
        budget = float(nums[2]) if len(nums) > 2 else None
        if name == "echo":
            results.append(
                await run_echo(
                    base, int(nums[0]), int(nums[1]), budget=budget, pid=pid, deflate=deflate
                )
            )
        elif name == "tts":
            results.append(
                await run_tts(
                    base, int(nums[0]), int(nums[1]), budget=budget, pid=pid, deflate=deflate
                )
            )
        elif name == "idle":
            results.append(await run_idle(base, int(nums[0]), pid=pid, deflate=deflate))
        elif name == "warmup":
            calls = int(nums[0])
            await run_echo(base, min(5, calls), calls, deflate=deflate)
            await run_tts(base, min(5, calls), max(1, calls // 2), deflate=deflate)
        else:
            raise ValueError(f"unknown scenario {item!r}")
    return results


def _loop_run(main: Coroutine[object, object, _R]) -> _R:
    """Run ``main`` on uvloop when installed (a leaner driver), else asyncio."""
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]  # optional
    except ImportError:
        return asyncio.run(main)
    result: _R = uvloop.run(main)
    return result


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_forked(
    base: str,
    name: str,
    concurrency: int,
    calls: int,
    budget: float | None,
    *,
    pid: int | None,
    deflate: bool,
    procs: int,
) -> ScenarioResult:
    """One echo or tts point split over ``procs`` forked driver processes.

    The children start together (a shared "go" pipe) after the app's CPU is read; each
    reports its result, its own CPU time and its raw latencies, merged here, so the
    percentiles are over every call and the driver's CPU is the sum of its processes.
    """
    scenario = run_echo if name == "echo" else run_tts
    go_read, go_write = os.pipe()
    children: list[tuple[int, int]] = []
    for conc, share in zip(_shares(concurrency, procs), _shares(calls, procs), strict=True):
        out_read, out_write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover  # the child
            status = 1
            try:
                os.close(out_read)
                os.close(go_write)
                os.read(go_read, 1)
                cpu0 = time.process_time()
                result = _loop_run(scenario(base, conc, share, budget=budget, deflate=deflate))
                data = result.to_json()
                data["driver_cpu"] = time.process_time() - cpu0
                data["latencies"] = result.latencies
                payload = json.dumps(data).encode()
                with os.fdopen(out_write, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                os._exit(status)
        os.close(out_write)
        children.append((child, out_read))
    os.close(go_read)
    stats = ProcStats(pid)
    stats.start()
    os.write(go_write, b"g" * len(children))
    os.close(go_write)
    parts: list[dict[str, object]] = []
    for child, out_read in children:
        with os.fdopen(out_read, "rb") as pipe:
            raw = pipe.read()
        os.waitpid(child, 0)
        if not raw:
            raise DriverError(f"driver process {child} failed")
        parts.append(json.loads(raw))
    stats.stop()
    latencies = [float(x) for p in parts for x in cast(list[float], p["latencies"])]
    extra: dict[str, float] = {}
    for part in parts:
        for key, value in cast(dict[str, float], part["extra"]).items():
            extra[key] = extra.get(key, 0.0) + value
    errors = [str(e) for p in parts for e in cast(list[str], p["errors"])]

    def total(key: str) -> int:
        return sum(int(cast(int, p[key])) for p in parts)

    return ScenarioResult(
        scenario=name,
        concurrency=concurrency,
        calls=calls,
        calls_ok=total("calls_ok"),
        errors=errors[:5],
        error_count=total("error_count"),
        wall=stats.wall,
        app_cpu=stats.app_cpu,
        driver_cpu=sum(float(cast(float, p["driver_cpu"])) for p in parts),
        messages=total("messages"),
        latency_ms=_percentiles(latencies),
        late_acks=total("late_acks"),
        extra=extra,
        driver_procs=len(parts),
        latencies=latencies,
    )


def main(argv: list[str] | None = None) -> int:
    """Run a plan against a running app and print the results as one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="ws://127.0.0.1:PORT of the app")
    parser.add_argument("--pid", type=int, help="app process id, for CPU and RSS")
    parser.add_argument("--plan", nargs="+", required=True, help="scenarios, in order")
    parser.add_argument("--no-deflate", action="store_true", help="do not offer compression")
    parser.add_argument(
        "--procs",
        type=int,
        default=0,
        help="driver processes for echo/tts points (default: one per core it may use)",
    )
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    procs = args.procs or cores
    deflate = not args.no_deflate
    results: list[ScenarioResult] = []
    for item in args.plan:
        name, *nums = item.split(":")
        if name in ("echo", "tts") and procs > 1 and int(nums[0]) >= procs:
            budget = float(nums[2]) if len(nums) > 2 else None
            result = run_forked(
                args.url,
                name,
                int(nums[0]),
                int(nums[1]),
                budget,
                pid=args.pid,
                deflate=deflate,
                procs=procs,
            )
            results.append(result)
        else:
            results += _loop_run(run_plan(args.url, [item], pid=args.pid, deflate=deflate))
    for result in results:
        result.driver_cores = cores
    json.dump([r.to_json() for r in results], sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
