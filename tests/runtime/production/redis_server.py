"""A real ``redis-server`` for tests: started on a free 127.0.0.1 port, stopped by its PID.

Why not fakeredis or a mock: the Redis store's fencing is Lua run by the server, its
takeover channel is Redis pub/sub, and "Redis died mid-call" is a process exiting; only
the real server shows those. ``.ci/run`` installs the Debian package when missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

__all__ = ["RedisServer", "free_port", "redis_server_binary"]

READY = "Ready to accept connections"


def redis_server_binary() -> str | None:
    """Path of ``redis-server``, or ``None`` when the machine has none."""
    return shutil.which("redis-server")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One redis-server process this test owns (``stop``/``start`` it to test outages)."""

    def __init__(self, workdir: Path) -> None:
        binary = redis_server_binary()
        assert binary is not None, "redis-server is not installed"
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (again, on the same port) and wait for its ready line (bounded)."""
        assert self.proc is None
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--loglevel",
                "notice",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        seen: list[str] = []
        for _ in range(200):  # the banner is ~30 lines; bounded either way
            line = self.proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if READY in line:
                return
        self.stop()
        raise RuntimeError("redis-server did not start:\n" + "".join(seen))

    def stop(self) -> None:
        """Stop exactly the process this object started."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
