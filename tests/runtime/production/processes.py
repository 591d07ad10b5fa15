"""Real app processes for the production-serving tests (``jambonz-typed serve``).

Each is started with asyncio's subprocess API, so every wait is bounded by a timeout;
its log (stderr) is collected line by line; ``stop`` signals exactly that process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

__all__ = ["AppProcess"]

ROOT = Path(__file__).resolve().parents[3]
APP = "tests.runtime.production.apps:app"


class AppProcess:
    """One ``python -m jambonz_runtime ...`` process and its log lines."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._reader: asyncio.Task[None] | None = None
        self._seen = asyncio.Condition()

    @classmethod
    def serve(cls, port: int, *extra: str, app: str = APP) -> AppProcess:
        """``jambonz-typed serve APP --host 127.0.0.1 --port PORT ...``."""
        return cls(
            "-m",
            "jambonz_runtime",
            "serve",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *extra,
        )

    async def start(self, ready: str = "jambonz-typed serving", count: int = 1) -> None:
        """Start it and wait (bounded) for ``count`` log lines containing ``ready``."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
        env.pop("JAMBONZ_SESSION_STORE", None)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.get_running_loop().create_task(self._read())
        await self.wait_for_line(ready, count=count, timeout=20)

    async def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            async with self._seen:
                if line:
                    self.lines.append(line.decode(errors="replace").rstrip())
                self._seen.notify_all()
            if not line:
                return

    async def wait_for_line(self, text: str, *, count: int = 1, timeout: float = 10) -> None:
        """Wait until ``count`` log lines contain ``text`` (or fail with the log)."""
        assert self._reader is not None

        def enough() -> bool:
            return sum(text in line for line in self.lines) >= count or self._reader_done()

        async with self._seen:
            try:
                await asyncio.wait_for(self._seen.wait_for(enough), timeout)
            except asyncio.TimeoutError:
                pass
        if sum(text in line for line in self.lines) < count:
            raise AssertionError(f"{text!r} x{count} not logged; log:\n" + self.log)

    def _reader_done(self) -> bool:
        return self._reader is not None and self._reader.done()

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, signum: int = signal.SIGTERM) -> None:
        """Signal exactly this process."""
        assert self.proc is not None
        self.proc.send_signal(signum)

    async def wait(self, timeout: float) -> int:
        """Its exit code (bounded wait)."""
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, timeout)
        return code

    async def stop(self) -> None:
        """Kill it if it still runs (test cleanup)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if self._reader is not None:
            self._reader.cancel()
