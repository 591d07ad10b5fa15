"""What the fuzzer and the soak share: the server process under test and a raw client.

:class:`ServerProcess` runs ``bench/apps/hostile_app.py`` in its own process (a real
server on 127.0.0.1, so a crash shows as a dead process, RSS is the server's alone and
its log is exactly what an operator would read), and stops exactly that process.
:func:`frame` builds client frames by hand, valid or not, so RFC 6455 violations can be
sent at all; :class:`RawSocket` does the opening handshake itself and reads what the
server sends back (acks, close codes).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

__all__ = [
    "ABNORMAL",
    "RawSocket",
    "ServerProcess",
    "frame",
    "rss",
]

ABNORMAL: Final = 1006
"""No close frame, the TCP connection just ended (RFC 6455 §7.1.5)."""

_ROOT = Path(__file__).resolve().parent.parent
_TRACEBACK = re.compile(rb"^Traceback \(most recent call last\)", re.MULTILINE)


def rss(pid: int) -> int:
    """Resident set size of ``pid`` in bytes (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


@dataclass
class ServerProcess:
    """The app under test in its own Python process; its stderr log goes to a file."""

    audio: bool = False
    max_size: int = 1 << 20
    open_timeout: float = 2.0
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    _log: Path | None = field(default=None, repr=False)

    def _spawn(self) -> None:
        fd, name = tempfile.mkstemp(prefix="jambonz-hostile-", suffix=".log")
        os.close(fd)
        self._log = Path(name)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(_ROOT / "src"), str(_ROOT)]))
        args = [sys.executable, "-m", "bench.apps.hostile_app"]
        args += ["--max-size", str(self.max_size), "--open-timeout", str(self.open_timeout)]
        if self.audio:
            args.append("--audio")
        with open(self._log, "wb") as log:
            self.proc = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=log, cwd=_ROOT, env=env
            )

    async def start(self, timeout: float = 20.0) -> None:
        """Start the process and wait for its ``PORT`` line."""
        self._spawn()
        assert self.proc is not None
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(
            asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline), timeout
        )
        if not line.startswith(b"PORT "):
            self.stop()
            raise RuntimeError(f"server did not start: {line!r}; log: {self.log_bytes()[-2000:]!r}")
        self.port = int(line.split()[1])

    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.proc is not None and self.proc.poll() is None

    @property
    def rss(self) -> int:
        """The server's resident set size now, in bytes."""
        return rss(self.proc.pid) if self.proc is not None else 0

    def log_bytes(self) -> bytes:
        """Everything the server logged so far."""
        return self._log.read_bytes() if self._log is not None else b""

    def log_size(self) -> int:
        """Bytes logged so far (a position to measure from)."""
        return self._log.stat().st_size if self._log is not None else 0

    def tracebacks(self) -> int:
        """Tracebacks in the log so far."""
        return len(_TRACEBACK.findall(self.log_bytes()))

    def stop(self, keep_log: str | None = None) -> None:
        """Stop exactly this process (SIGTERM, then SIGKILL); remove its log (or move it
        to ``keep_log``)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self._log is not None:
            if keep_log:
                self._log.replace(keep_log)
            else:
                self._log.unlink(missing_ok=True)
            self._log = None


def frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    mask: bool = True,
    rsv: int = 0,
    length: int | None = None,
) -> bytes:
    """One client frame, exactly as asked (``length`` overrides the header's length)."""
    size = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    mask_bit = 0x80 if mask else 0
    if size < 126:
        head += bytes([mask_bit | size])
    elif size < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + _xor(payload, key)


def _xor(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return b""
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(payload), "big"
    )


_HANDSHAKE = (
    "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: {proto}\r\nUser-Agent: jambonz\r\n\r\n"
)


class RawSocket:
    """A websocket client that sends whatever bytes it is given and reads frames back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.close_code: int | None = None
        self.acks: list[tuple[str, object]] = []
        """``(msgid, data)`` of every ack received, in order."""

    @classmethod
    async def open(
        cls, port: int, path: str = "/", proto: str = "ws.jambonz.org", timeout: float = 5.0
    ) -> RawSocket:
        """Connect and complete the handshake (raises ``ConnectionError`` if refused)."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(_HANDSHAKE.format(path=path, proto=proto).encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        if not head.startswith(b"HTTP/1.1 101"):
            writer.close()
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode("latin-1"))
        return cls(reader, writer)

    def send(self, data: bytes) -> None:
        """Write raw bytes (one or more frames, or anything else)."""
        if not self.writer.is_closing():
            self.writer.write(data)

    def send_json(self, obj: object) -> None:
        """One valid masked text frame holding ``obj`` as JSON."""
        self.send(frame(0x1, json.dumps(obj).encode()))

    async def _frame(self) -> tuple[int, bytes]:
        b0, b1 = await self.reader.readexactly(2)
        size = b1 & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return b0 & 0x0F, await self.reader.readexactly(size)

    async def read_until(self, msgid: str | None, timeout: float) -> bool:
        """Read frames until the ack to ``msgid`` (``None``: until closed); ``False`` if the
        socket closed (or the time ran out) first. Every ack and the close code are kept."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                opcode, payload = await asyncio.wait_for(self._frame(), remaining)
            except (asyncio.IncompleteReadError, ConnectionError):
                if self.close_code is None:
                    self.close_code = ABNORMAL
                return False
            except asyncio.TimeoutError:
                return False
            if opcode == 0x8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.send(frame(0x8, payload[:2]))
                self.writer.close()
                return False
            if opcode == 0x1:
                message = json.loads(payload)
                if message.get("type") == "ack":
                    self.acks.append((str(message.get("msgid")), message.get("data")))
                    if message.get("msgid") == msgid:
                        return True

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        self.writer.transport.abort()

    async def close(self, timeout: float = 5.0) -> None:
        """Close 1000 and wait for the server's close (or give up after ``timeout``)."""
        if self.close_code is None and not self.writer.is_closing():
            self.send(frame(0x8, struct.pack("!H", 1000)))
            await self.read_until(None, timeout)
        self.writer.close()
