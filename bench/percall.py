"""One echo call's cost inside the process: the runtime's share, without sockets or driver.

The bench's echo call (upgrade, ``session:new``, three ``verb:hook``, ``call:status``,
close; the payloads of ``bench/payloads.json``) is fed as bytes straight into the direct
transport's ``DirectSocket`` with a fake transport that only collects what is written:
the full path of a real call (frame parsing, envelope, validation, the handlers of
``bench/apps/typed_app.py``, verbs, acks, framing) but no syscall and no event-loop
wake-up. Run on uvloop, as ``jambonz-typed serve`` does when it is installed.

    python -m bench.percall              # CPU microseconds per call (min of 5 rounds)
    python -m bench.percall --callgrind  # instructions per call (valgrind; deterministic)
    python -m bench.percall --profile    # cProfile, sorted by own time

CPU time moves with the machine (±10-30 % on a shared 2-core VM); the instruction
count does not, so the commits of the performance work quote it for before/after.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from bench.apps.typed_app import app
from jambonz_runtime import JambonzServer
from jambonz_runtime import run as run_loop
from jambonz_runtime.server._direct import DirectServer, DirectSocket
from jambonz_runtime.server._direct import _apply_mask as apply_mask

__all__ = ["main", "one_call"]

_PAYLOADS = json.loads((Path(__file__).parent / "payloads.json").read_text())
_CALL_SID = "aad0115d-ec21-40db-aa02-31b7b01540c5"


def _masked(opcode: int, data: bytes) -> bytes:
    mask = os.urandom(4)
    size = len(data)
    head = (
        bytes((0x80 | opcode, 0x80 | size))
        if size < 126
        else bytes((0x80 | opcode, 0xFE)) + size.to_bytes(2, "big")
    )
    return head + mask + apply_mask(data, mask)


def _message(kind: str, n: int, hook: str | None = None) -> bytes:
    envelope: dict[str, object] = {
        "type": kind,
        "msgid": f"m{n:021d}",
        "call_sid": _CALL_SID,
        "data": _PAYLOADS[kind],
    }
    if hook is not None:
        envelope["hook"] = hook
    return _masked(0x1, json.dumps(envelope).encode())


_UPGRADE = (
    b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: " + base64.b64encode(os.urandom(16)) + b"\r\n"
    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ws.jambonz.org\r\n"
    b"User-Agent: jambonz\r\n\r\n"
)
_FRAMES = [
    _message("session:new", 1),
    *(_message("verb:hook", n, "/echo") for n in (2, 3, 4)),
    _message("call:status", 5),
    _masked(0x8, (1000).to_bytes(2, "big")),
]


class _Transport:
    """Collects writes; nothing leaves the process."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out.append(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


def one_call(owner: DirectServer) -> list[bytes]:
    """Play one echo call into a new socket of ``owner``; returns what it wrote."""
    sock = DirectSocket(owner)
    transport = _Transport()
    sock.connection_made(cast(asyncio.Transport, transport))
    sock.data_received(_UPGRADE)
    for frame in _FRAMES:
        sock.data_received(frame)
    sock.connection_lost(None)
    return transport.out


async def _run(mode: str, calls: int) -> None:
    async with JambonzServer(app, host="127.0.0.1", port=0) as server:
        owner = server._direct
        assert owner is not None, "the direct transport (the default) is measured"
        out = one_call(owner)
        acks = [chunk for chunk in out if b'"type":"ack"' in chunk]
        assert len(acks) == 4, f"expected 4 acks, got {out!r}"
        for _ in range(300):  # warm caches, lazily built schemas, the shape store
            one_call(owner)
        if mode == "count":
            for _ in range(calls):
                one_call(owner)
            return
        if mode == "profile":
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(calls):
                one_call(owner)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
            return
        best = min(_timed(lambda: one_call(owner), calls) for _ in range(5))
        print(f"{best:.1f} us of CPU per echo call (min of 5 rounds of {calls})")


def _timed(call: Callable[[], object], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - start) / calls * 1e6


def _instructions(calls: int) -> int:
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "bench.percall",
            "--count",
            str(calls),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no total:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--callgrind", action="store_true", help="instructions per call")
    parser.add_argument("--profile", action="store_true", help="cProfile by own time")
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)  # valgrind's child
    args = parser.parse_args(argv)
    if args.count is not None:
        run_loop(_run("count", args.count))
        return 0
    if args.callgrind:
        if shutil.which("valgrind") is None:
            raise SystemExit("--callgrind needs valgrind (apt-get install valgrind)")
        calls = 400
        per_call = (_instructions(calls) - _instructions(0)) / calls
        print(f"{per_call / 1000:.0f}k instructions per echo call (callgrind, {calls} calls)")
        return 0
    run_loop(_run("profile" if args.profile else "time", args.calls))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
