"""The project's own fuzzer: hostile jambonz peers against a real server, with a canary call.

``python -m bench.fuzz`` starts the app under test (``bench/apps/hostile_app.py``) in
its own process on 127.0.0.1 and plays hostile clients against it, seeded and bounded in
frames and time, while a canary call keeps doing what jambonz does (``session:new``,
a ``verb:hook`` to the gather's action hook, ``call:status``) and checks every answer.
Categories (each case is one *hostile frame*, or one hostile connection where the
protocol allows only one):

* ``bytes`` / ``unicode``: random binary and text frames;
* ``truncated``: valid envelopes cut short;
* ``huge``: 100-500 KB strings in each envelope field (and data keys and values);
* ``deep``: JSON nested up to 100,000 deep, in the envelope and in ``data``;
* ``types``: wrong JSON types in every envelope field and in hook payload fields;
* ``odd``: unknown and odd types, known types with odd data, NaN / Infinity;
* ``duplicate``: a msgid reused while its hook is still running;
* ``fragmented``: valid messages split over many frames, with pings in between;
* ``oversized``: frames just under and just over ``max_message_size``;
* ``rfc6455``: protocol violations (unmasked, reserved bits, bad opcodes, bad control
  frames, stray continuations, invalid UTF-8, bad close frames), each on a fresh socket
  with the RFC 6455 close code it must get;
* ``http``: garbage instead of a handshake; ``slowloris``: a handshake trickled in
  slower than the server's open timeout (sent in the background all along);
* ``audio`` (with ``--audio``): bad first frames on the listen socket.

The report says: app alive, canary hooks ok / lost / wrong, per category the frames,
the close codes received (and any that differ from RFC 6455's), log lines and bytes per
hostile frame (lines of the canary's own call excluded), the longest log line,
tracebacks, acks duplicated or to unknown msgids, RSS at start, peak and end.

    python -m bench.fuzz --seed 1 --frames 6000 --seconds 120 [--audio] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Final

from bench.driver import DriverError, open_conn
from bench.hostile import ABNORMAL, RawSocket, ServerProcess, frame

__all__ = ["Case", "FuzzReport", "main", "run_fuzz"]

TEXT, BINARY, CONT, CLOSE, PING = 0x1, 0x2, 0x0, 0x8, 0x9
MAX_SIZE: Final = 1 << 20
"""The server's ``max_message_size`` during the fuzz (small, so oversized frames are cheap)."""
ANY_CLOSE: Final = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, ABNORMAL})


@dataclass(frozen=True)
class Case:
    """One hostile frame (or one hostile connection)."""

    category: str
    data: bytes
    fatal: frozenset[int] = frozenset()
    """Close codes RFC 6455 allows for it; empty: the socket must stay open."""
    path: str = "/"
    proto: str = "ws.jambonz.org"
    handshake: bool = True
    ack: str | None = None
    """A msgid the case itself needs acked (a duplicate pair gets exactly one ack)."""
    frames: int = 1
    """Websocket frames in ``data`` (a duplicate pair is two, a fragmented message many)."""


def _env(kind: str = "verb:hook", **fields: object) -> dict[str, object]:
    env: dict[str, object] = {"type": kind, "msgid": "m", "call_sid": "hostile", "data": {}}
    if kind == "verb:hook":
        env["hook"] = "/menu"
    env.update(fields)
    return env


def _text(obj: object) -> bytes:
    return frame(TEXT, json.dumps(obj).encode())


def _raw_text(text: str) -> bytes:
    return frame(TEXT, text.encode("utf-8", "surrogatepass"))


class Cases:
    """Seeded generators of hostile cases, one method per category."""

    def __init__(self, rng: random.Random, audio: bool) -> None:
        self.rng = rng
        self.n = 0
        self.issued: set[str] = set()
        """Every msgid a case was given (an ack to anything else is an unknown-msgid ack)."""
        self.categories: list[Callable[[], Case]] = [
            self.bytes_,
            self.unicode,
            self.truncated,
            self.huge,
            self.deep,
            self.types,
            self.odd,
            self.duplicate,
            self.fragmented,
            self.oversized,
            self.rfc6455,
            self.http,
        ]
        if audio:
            self.categories.append(self.audio)

    def _id(self) -> str:
        self.n += 1
        self.issued.add(f"h{self.n}")
        return f"h{self.n}"

    def bytes_(self) -> Case:
        return Case("bytes", frame(BINARY, self.rng.randbytes(self.rng.randint(0, 4000))))

    def unicode(self) -> Case:
        size = self.rng.randint(0, 2000)
        text = "".join(
            chr(
                self.rng.choice(
                    [
                        self.rng.randint(32, 0x7F),
                        self.rng.randint(0x80, 0xD7FF),
                        self.rng.randint(0xE000, 0x10FFFF),
                    ]
                )
            )
            for _ in range(size)
        )
        return Case("unicode", _raw_text(text))

    def truncated(self) -> Case:
        text = json.dumps(_env(msgid=self._id(), data={"digits": "1", "reason": "dtmfDetected"}))
        return Case("truncated", _raw_text(text[: self.rng.randint(0, len(text) - 1)]))

    def huge(self) -> Case:
        big = "x" * self.rng.randint(100_000, 500_000)
        key = self.rng.choice(
            ["type", "msgid", "call_sid", "hook", "b3", "data-key", "data-value", "unknown-key"]
        )
        env = _env(msgid=self._id())
        if key == "data-key":
            env["data"] = {big: 1}
        elif key == "data-value":
            env["data"] = {"digits": big}
        elif key == "unknown-key":
            env[big] = 1
        else:
            env[key] = big
        return Case("huge", _text(env))

    def deep(self) -> Case:
        depth = self.rng.choice([500, 1000, 5000, 100_000])
        nest = "[" * depth + "]" * depth
        inner = self.rng.random() < 0.5
        text = (
            json.dumps(_env(msgid=self._id())).replace('"data": {}', f'"data": {{"x": {nest}}}')
            if inner
            else nest
        )
        return Case("deep", _raw_text(text))

    def types(self) -> Case:
        wrong = self.rng.choice([0, 1.5, True, None, [], ["x"], {}, {"a": 1}, "x"])
        field_ = self.rng.choice(
            ["type", "msgid", "call_sid", "hook", "data", "b3", "digits", "reason", "speech"]
        )
        env = _env(msgid=self._id(), data={"digits": "1", "reason": "dtmfDetected"})
        if field_ in ("digits", "reason", "speech"):
            assert isinstance(env["data"], dict)
            env["data"][field_] = wrong
        else:
            if field_ == "msgid" and isinstance(wrong, str):
                wrong = self._id()  # a valid msgid after all: unique, its ack is expected
            env[field_] = wrong
        return Case("types", _text(env))

    def odd(self) -> Case:
        msgid = self._id()
        pick = self.rng.randrange(6)
        if pick == 0:
            return Case(
                "odd",
                _text(
                    _env(
                        self.rng.choice(["x:y", "", "verb:hooks", "ack", "session:New", "t" * 64]),
                        msgid=msgid,
                    )
                ),
            )
        if pick == 1:
            kind = self.rng.choice(
                [
                    "call:status",
                    "verb:status",
                    "llm:event",
                    "llm:tool-call",
                    "tts:tokens-result",
                    "tts:streaming-event",
                    "jambonz:error",
                    "queue:status",
                    "agent:event",
                ]
            )
            return Case(
                "odd",
                _text(
                    _env(
                        kind,
                        msgid=msgid,
                        data={"call_status": [1], "id": {}, "event": 5, "status": None},
                    )
                ),
            )
        if pick == 2:
            literal = self.rng.choice(["NaN", "Infinity", "-Infinity"])
            return Case(
                "odd",
                _raw_text(
                    json.dumps(_env(msgid=msgid)).replace(
                        '"data": {}', f'"data": {{"confidence": {literal}}}'
                    )
                ),
            )
        if pick == 3:
            return Case(
                "odd",
                _text(_env("session:reconnect", msgid=msgid, call_sid=f"unknown-{msgid}")),
                ack=msgid,
            )
        if pick == 4:
            return Case("odd", _text(_env("dial:confirm", msgid=msgid, hook="/nowhere")), ack=msgid)
        return Case("odd", _text([_env(msgid=msgid)]))

    def duplicate(self) -> Case:
        msgid = self._id()
        env = _env(msgid=msgid, hook="/slow")
        return Case("duplicate", _text(env) + _text(env), ack=msgid, frames=2)

    def fragmented(self) -> Case:
        msgid = self._id()
        data = json.dumps(
            _env(msgid=msgid, data={"digits": "1", "reason": "dtmfDetected"})
        ).encode()
        cuts = sorted(self.rng.sample(range(1, len(data)), self.rng.randint(1, 7)))
        parts = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        out = b""
        count = 0
        for i, part in enumerate(parts):
            out += frame(TEXT if i == 0 else CONT, part, fin=i == len(parts) - 1)
            count += 1
            if self.rng.random() < 0.2:
                out += frame(PING, b"p")
                count += 1
        return Case("fragmented", out, ack=msgid, frames=count)

    def oversized(self) -> Case:
        msgid = self._id()
        if self.rng.random() < 0.5:
            env = _env(msgid=msgid, data={"digits": "1", "pad": ""})
            pad = MAX_SIZE - len(json.dumps(env)) - 16
            assert isinstance(env["data"], dict)
            env["data"]["pad"] = "p" * pad
            return Case("oversized", _text(env), ack=msgid)
        return Case(
            "oversized",
            frame(TEXT, b"x" * (MAX_SIZE + self.rng.randint(1, 1000))),
            fatal=frozenset({1009}),
        )

    def rfc6455(self) -> Case:
        ok_text = json.dumps(_env(msgid=self._id())).encode()
        violations: list[tuple[bytes, frozenset[int]]] = [
            (frame(TEXT, ok_text, mask=False), frozenset({1002})),
            (frame(TEXT, ok_text, rsv=self.rng.choice([1, 2, 4])), frozenset({1002})),
            (
                frame(self.rng.choice([0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xF]), b"x"),
                frozenset({1002}),
            ),
            (frame(PING, b"x" * 200), frozenset({1002})),
            (frame(PING, b"x", fin=False), frozenset({1002})),
            (frame(CONT, b"stray"), frozenset({1002})),
            (frame(TEXT, b"part", fin=False) + frame(TEXT, b"again"), frozenset({1002})),
            (frame(TEXT, b"\xff\xfe invalid utf-8"), frozenset({1007})),
            (
                frame(
                    CLOSE,
                    struct.pack(
                        "!H", self.rng.choice([0, 999, 1004, 1005, 1006, 1015, 2999, 5000])
                    ),
                ),
                frozenset({1002}),
            ),
            (frame(CLOSE, b"\x03"), frozenset({1002})),
            (frame(CLOSE, struct.pack("!H", 1000) + b"\xff\xfe"), frozenset({1007})),
            (frame(TEXT, b"", length=1 << 63), frozenset({1009, 1002})),
        ]
        data, codes = self.rng.choice(violations)
        return Case("rfc6455", data, fatal=codes)

    def http(self) -> Case:
        junk = self.rng.choice(
            [
                self.rng.randbytes(self.rng.randint(1, 3000)),
                b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 70_000 + b"\r\n\r\n",
                b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
                b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # a TLS ClientHello on a plain port
            ]
        )
        return Case("http", junk, handshake=False, fatal=ANY_CLOSE)

    def audio(self) -> Case:
        first = self.rng.choice(
            [
                "[" * 100_000 + "]" * 100_000,
                '{"sampleRate": NaN, "mixType": "mono", "callSid": "x"}',
                "not json",
                json.dumps({"sampleRate": "x", "mixType": [], "callSid": 1}),
                json.dumps({"sampleRate": 8000, "mixType": "mono", "callSid": "c" * 200_000}) + "x",
            ]
        )
        return Case(
            "audio",
            _raw_text(first),
            path="/audio",
            proto="audio.drachtio.org",
            fatal=frozenset({1007}),
        )


@dataclass
class CategoryStats:
    """What one category of hostile cases did."""

    frames: int = 0
    log_lines: int = 0
    log_bytes: int = 0
    max_line_bytes: int = 0
    close_codes: dict[str, int] = field(default_factory=dict)
    wrong_close: dict[str, int] = field(default_factory=dict)
    unanswered: int = 0

    @property
    def lines_per_frame(self) -> float:
        """Log lines per hostile frame."""
        return self.log_lines / self.frames if self.frames else 0.0

    @property
    def bytes_per_frame(self) -> float:
        """Log bytes per hostile frame."""
        return self.log_bytes / self.frames if self.frames else 0.0


@dataclass
class FuzzReport:
    """Everything the fuzzer measured (see the module docstring)."""

    seed: int
    transport: str
    seconds: float = 0.0
    cases: int = 0
    frames: int = 0
    alive: bool = True
    canary_ok: int = 0
    canary_lost: int = 0
    canary_wrong: int = 0
    tracebacks: int = 0
    duplicate_acks: int = 0
    unknown_acks: int = 0
    unknown_ack_samples: list[str] = field(default_factory=list)
    duplicate_ack_samples: list[str] = field(default_factory=list)
    connection_lines: int = 0
    """Per-connection INFO lines (websockets' open / closed / handshake timed out, the
    runtime's "call over"), of every connection, the canary's included."""
    slowloris_open: int = 0
    slowloris_dropped: int = 0
    rss_launch: int = 0
    rss_start: int = 0
    """After the warm-up pass (one batch of every category, not counted)."""
    rss_peak: int = 0
    rss_end: int = 0
    categories: dict[str, CategoryStats] = field(default_factory=dict)

    @property
    def max_lines_per_frame(self) -> float:
        """The worst category's log lines per hostile frame."""
        return max((c.lines_per_frame for c in self.categories.values()), default=0.0)

    @property
    def max_bytes_per_frame(self) -> float:
        """The worst category's log bytes per hostile frame."""
        return max((c.bytes_per_frame for c in self.categories.values()), default=0.0)

    @property
    def wrong_close_codes(self) -> int:
        """Sockets closed with a code RFC 6455 does not give that violation."""
        return sum(sum(c.wrong_close.values()) for c in self.categories.values())

    @property
    def failures(self) -> list[str]:
        """The targets missed (empty: all held)."""
        out = []
        if not self.alive:
            out.append("the app died")
        if self.tracebacks:
            out.append(f"{self.tracebacks} traceback(s) in the log")
        if self.canary_lost or self.canary_wrong or not self.canary_ok:
            out.append(
                f"canary: {self.canary_ok} ok, {self.canary_lost} lost, {self.canary_wrong} wrong"
            )
        if self.duplicate_acks or self.unknown_acks:
            out.append(f"{self.duplicate_acks} duplicate / {self.unknown_acks} unknown-msgid acks")
        if self.max_lines_per_frame > 1 or self.max_bytes_per_frame > 512:
            out.append(
                f"log per hostile frame: {self.max_lines_per_frame:.2f} lines, {self.max_bytes_per_frame:.0f} bytes"
            )
        if self.wrong_close_codes:
            out.append(f"{self.wrong_close_codes} socket(s) closed with the wrong code")
        unanswered = sum(c.unanswered for c in self.categories.values())
        if unanswered:
            out.append(f"{unanswered} hostile case(s) whose own msgid was never acked")
        if self.rss_end > self.rss_start * 1.10:
            out.append(
                f"RSS end {self.rss_end >> 20} MiB is over start {self.rss_start >> 20} MiB + 10 %"
            )
        return out

    def to_json(self) -> dict[str, object]:
        """The report as plain JSON (with the derived figures)."""
        doc = asdict(self)
        doc.update(
            max_lines_per_frame=self.max_lines_per_frame,
            max_bytes_per_frame=self.max_bytes_per_frame,
            wrong_close_codes=self.wrong_close_codes,
            failures=self.failures,
        )
        return doc

    def render(self) -> str:
        """A plain-text table for people (and the README)."""
        mib = 1 << 20
        lines = [
            f"fuzz: seed {self.seed}, {self.transport} transport, {self.frames} hostile frames ({self.cases} cases) in {self.seconds:.0f} s",
            f"app alive: {'yes' if self.alive else 'NO'}; canary hooks ok {self.canary_ok}, lost {self.canary_lost}, wrong {self.canary_wrong}",
            f"tracebacks: {self.tracebacks}; duplicate acks: {self.duplicate_acks} {self.duplicate_ack_samples or ''}; unknown-msgid acks: {self.unknown_acks} {self.unknown_ack_samples or ''}",
            f"slowloris handshakes: {self.slowloris_open} opened, {self.slowloris_dropped} dropped by the server",
            f"per-connection lifecycle log lines (websockets, INFO, all connections): {self.connection_lines}",
            f"RSS: at launch {self.rss_launch / mib:.1f} MiB, start (after warm-up) {self.rss_start / mib:.1f} MiB, "
            f"peak {self.rss_peak / mib:.1f} MiB, end {self.rss_end / mib:.1f} MiB",
            "",
            "| category | frames | log lines/frame | log bytes/frame | longest line | close codes |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for name, c in sorted(self.categories.items()):
            codes = ", ".join(f"{k}x{v}" for k, v in sorted(c.close_codes.items())) or "-"
            if c.wrong_close:
                codes += (
                    " (wrong: "
                    + ", ".join(f"{k}x{v}" for k, v in sorted(c.wrong_close.items()))
                    + ")"
                )
            lines.append(
                f"| {name} | {c.frames} | {c.lines_per_frame:.3f} | {c.bytes_per_frame:.1f} | {c.max_line_bytes} | {codes} |"
            )
        lines.append("")
        lines.append(
            "targets: "
            + ("all held" if not self.failures else "MISSED: " + "; ".join(self.failures))
        )
        return "\n".join(lines)


async def _canary(port: int, report: FuzzReport, stop: asyncio.Event) -> None:
    """A well-behaved call, over and over: every hook it sends must get the right ack."""
    n = 0
    while not stop.is_set():
        if n:
            try:  # a call every 20 ms or so, not a tight loop: it shares the CPU
                await asyncio.wait_for(stop.wait(), 0.02)
            except asyncio.TimeoutError:
                pass
        n += 1
        sid = f"canary-{n}"
        try:
            conn = await open_conn(f"ws://127.0.0.1:{port}/", deflate=False)
        except (OSError, DriverError, asyncio.TimeoutError):
            report.canary_lost += 1
            continue
        try:
            for step, (kind, hook, data, want) in enumerate(
                [
                    ("session:new", None, {"call_sid": sid, "from": "+15550001"}, "gather"),
                    (
                        "verb:hook",
                        "/menu",
                        {"reason": "dtmfDetected", "digits": str(n % 10)},
                        f"you pressed {n % 10}",
                    ),
                ]
            ):
                msgid = f"{sid}-{step}"
                env: dict[str, object] = {
                    "type": kind,
                    "msgid": msgid,
                    "call_sid": sid,
                    "data": data,
                }
                if hook:
                    env["hook"] = hook
                conn.send(json.dumps(env))
                _, text = await conn.recv(5.0)
                ack = json.loads(text)
                verbs = ack.get("data") or [{}]
                got = verbs[0].get("verb") if want == "gather" else verbs[0].get("text")
                if ack.get("msgid") != msgid or got != want:
                    report.canary_wrong += 1
                else:
                    report.canary_ok += 1
            conn.send(
                json.dumps(
                    {
                        "type": "call:status",
                        "msgid": f"{sid}-s",
                        "call_sid": sid,
                        "data": {"call_status": "completed"},
                    }
                )
            )
            await conn.close(1000, timeout=5.0)
        except (DriverError, OSError, asyncio.TimeoutError, ValueError):
            report.canary_lost += 1
            conn.abort()


async def _slowloris(
    port: int, report: FuzzReport, stop: asyncio.Event, open_timeout: float
) -> None:
    """Handshakes trickled one byte at a time: the server must drop them at its open timeout."""
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        report.slowloris_open += 1
        started = time.monotonic()
        try:
            for byte in request:
                if stop.is_set() or time.monotonic() - started > open_timeout * 3:
                    return
                writer.write(bytes([byte]))
                try:
                    if await asyncio.wait_for(reader.read(1), 0.25) == b"":
                        report.slowloris_dropped += 1
                        return
                except asyncio.TimeoutError:
                    continue
                except ConnectionError:
                    report.slowloris_dropped += 1
                    return
                report.slowloris_dropped += 1  # answered (e.g. 400) and so done with
                return
        finally:
            writer.close()

    while not stop.is_set():
        await asyncio.gather(*(one() for _ in range(5)), return_exceptions=True)


_LIFECYCLE: Final = (
    b"INFO jambonz_runtime.server connection open",
    b"INFO jambonz_runtime.server connection closed",
    b"INFO jambonz_runtime.server opening handshake timed out",
)
_CALL_OVER: Final = b"] socket closed normally: call over"


def _log_window(server: ServerProcess, start: int) -> tuple[list[bytes], int]:
    """Lines logged since ``start`` that hostile frames caused, and the count of
    per-connection lifecycle lines (websockets' INFO "connection open" / "closed" for
    every TCP connection, the canary's included, and the runtime's "call over" when a
    socket with a session closes 1000): every connection gets those, hostile or not,
    so they are reported apart (see the README)."""
    lines = []
    lifecycle = 0
    for line in server.log_bytes()[start:].splitlines():
        if not line or b"[canary-" in line:
            continue
        if line in _LIFECYCLE or (line.startswith(b"INFO ") and line.endswith(_CALL_OVER)):
            lifecycle += 1
        else:
            lines.append(line)
    return lines, lifecycle


def preview_id(msgid: str) -> str:
    """A msgid as shown in the report (bounded)."""
    return msgid if len(msgid) <= 40 else f"{msgid[:40]}...({len(msgid)})"


def _count(table: dict[str, int], key: str) -> None:
    table[key] = table.get(key, 0) + 1


async def _play_live(
    cases: list[Case], port: int, report: FuzzReport, stats: CategoryStats, issued: set[str]
) -> None:
    """Cases the socket must survive, on one socket: each followed by a probe hook whose
    ack proves the server handled it (and is still answering)."""
    try:
        sock = await RawSocket.open(port, cases[0].path, cases[0].proto)
    except (ConnectionError, OSError, asyncio.TimeoutError):
        _count(stats.close_codes, "refused")
        return
    sock.send_json({"type": "session:new", "msgid": "hs", "call_sid": "hostile", "data": {}})
    await sock.read_until("hs", 5.0)
    probes = set()
    for i, case in enumerate(cases):
        sock.send(case.data)
        if case.ack is not None and not await sock.read_until(case.ack, 5.0):
            stats.unanswered += 1
        probe = f"probe-{i}"
        probes.add(probe)
        sock.send_json(
            {"type": "verb:hook", "msgid": probe, "call_sid": "hostile", "hook": "/x", "data": {}}
        )
        if not await sock.read_until(probe, 5.0):
            _count(stats.close_codes, str(sock.close_code or "no answer"))
            _count(stats.wrong_close, str(sock.close_code or "no answer"))
            stats.unanswered += 1
            break
    await sock.close()
    counts = Counter(msgid for msgid, _ in sock.acks)
    duplicated = [m for m, n in counts.items() if n > 1]
    report.duplicate_acks += sum(counts[m] - 1 for m in duplicated)
    report.duplicate_ack_samples.extend(
        preview_id(m) for m in duplicated[: max(0, 5 - len(report.duplicate_ack_samples))]
    )
    allowed = issued | probes | {"hs"}
    unknown = [m for m in counts if m not in allowed]
    report.unknown_acks += sum(counts[m] for m in unknown)
    report.unknown_ack_samples.extend(
        preview_id(m) for m in unknown[: max(0, 5 - len(report.unknown_ack_samples))]
    )


async def _play_fatal(case: Case, port: int, stats: CategoryStats) -> None:
    """A case the server must end the socket for, with one of the close codes RFC 6455
    gives it (or, before a handshake, with an HTTP answer or by closing)."""
    try:
        if case.handshake:
            sock = await RawSocket.open(port, case.path, case.proto)
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except (ConnectionError, OSError, asyncio.TimeoutError):
        _count(stats.close_codes, "refused")
        return
    if not case.handshake:
        writer.write(case.data)
        try:
            answer = await asyncio.wait_for(reader.read(), 10.0)
        except (ConnectionError, asyncio.TimeoutError):
            answer = b""
        writer.close()
        status = (
            answer.split(b" ", 2)[1].decode("latin-1", "replace")
            if answer.startswith(b"HTTP/1.1 ")
            else None
        )
        _count(stats.close_codes, f"http {status}" if status else "closed")
        return
    sock.send(case.data)
    await sock.read_until(None, 10.0)
    code = sock.close_code if sock.close_code is not None else ABNORMAL
    _count(stats.close_codes, str(code))
    if code not in case.fatal:
        _count(stats.wrong_close, str(code))
    sock.writer.close()


BATCH: Final = 20
"""Cases per batch: one category at a time, live cases sharing one socket."""


async def _play_batch(
    played: list[Case], port: int, report: FuzzReport, cases: Cases
) -> CategoryStats:
    stats = report.categories.setdefault(played[0].category, CategoryStats())
    live = [c for c in played if not c.fatal]
    if live:
        await _play_live(live, port, report, stats, cases.issued)
    # Fatal cases at once: several wait for the server's open timeout (a handshake that
    # never completes); together they cost one timeout, not one each.
    await asyncio.gather(*(_play_fatal(c, port, stats) for c in played if c.fatal))
    report.cases += len(played)
    report.frames += sum(c.frames for c in played)
    stats.frames += sum(c.frames for c in played)
    return stats


async def run_fuzz(
    *,
    seed: int = 1,
    frames: int = 2000,
    seconds: float = 60.0,
    audio: bool = False,
    keep_log: str | None = None,
) -> FuzzReport:
    """Run the fuzzer against a fresh server process; returns the report."""
    rng = random.Random(seed)
    report = FuzzReport(seed=seed, transport="asyncio (audio paths)" if audio else "direct")
    server = ServerProcess(audio=audio, max_size=MAX_SIZE)
    await server.start()
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []
    try:
        background.append(asyncio.create_task(_canary(server.port, report, stop)))
        background.append(
            asyncio.create_task(_slowloris(server.port, report, stop, server.open_timeout))
        )
        cases = Cases(rng, audio)
        report.rss_launch = server.rss
        for make in cases.categories:  # warm-up, not counted: one batch of each category
            await _play_batch(
                [make() for _ in range(BATCH)], server.port, FuzzReport(seed, ""), cases
            )
        report.rss_start = report.rss_peak = server.rss
        started = time.monotonic()
        while report.frames < frames and time.monotonic() - started < seconds and server.alive:
            make = cases.categories[(report.cases // BATCH) % len(cases.categories)]
            played = [make() for _ in range(BATCH)]
            mark = server.log_size()
            stats = await _play_batch(played, server.port, report, cases)
            report.rss_peak = max(report.rss_peak, server.rss)
            lines, lifecycle = _log_window(server, mark)
            report.connection_lines += lifecycle
            stats.log_lines += len(lines)
            stats.log_bytes += sum(len(line) + 1 for line in lines)
            stats.max_line_bytes = max([stats.max_line_bytes, *(len(line) for line in lines)])
        report.seconds = time.monotonic() - started
    finally:
        stop.set()
        for task in background:  # the canary finishes its call; slowloris is cut short
            if task is not background[0]:
                task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        report.alive = server.alive
        report.rss_end = server.rss
        report.tracebacks = server.tracebacks()
        server.stop(keep_log)
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: run, print the report, exit 1 if a target was missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--frames", type=int, default=6000, help="hostile frames, at most")
    parser.add_argument("--seconds", type=float, default=300.0, help="time budget")
    parser.add_argument(
        "--audio", action="store_true", help="serve audio paths too (asyncio transport)"
    )
    parser.add_argument("--json", help="also write the report as JSON here")
    parser.add_argument("--keep-log", help="keep the server's log at this path")
    args = parser.parse_args(argv)
    report = asyncio.run(
        run_fuzz(
            seed=args.seed,
            frames=args.frames,
            seconds=args.seconds,
            audio=args.audio,
            keep_log=args.keep_log,
        )
    )
    print(report.render())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.to_json(), f, indent=2)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
