"""Shared by the hostile-input tests: a log capture that measures what a peer can cause."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest


class LogCapture(logging.Handler):
    """Every record of the runtime (and websockets) while installed, formatted once."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self._waiters: list[tuple[str, asyncio.Event]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        line = self.format(record)
        self.lines.append(line)
        for needle, event in self._waiters:
            if needle in line:
                event.set()

    async def wait_for(self, needle: str, mark: int = 0, timeout: float = 5.0) -> None:
        """Wait until a line containing ``needle`` is logged after ``mark``."""
        if any(needle in line for line in self.lines[mark:]):
            return
        event = asyncio.Event()
        self._waiters.append((needle, event))
        try:
            await asyncio.wait_for(event.wait(), timeout)
        finally:
            self._waiters.remove((needle, event))

    def mark(self) -> int:
        """A position to measure from (:meth:`since`)."""
        return len(self.records)

    def since(self, mark: int, *, level: int = logging.INFO) -> list[str]:
        """Formatted lines at ``level`` or above logged after ``mark``."""
        return [
            line
            for record, line in zip(self.records[mark:], self.lines[mark:], strict=False)
            if record.levelno >= level
        ]

    def tracebacks(self, *, level: int = logging.INFO) -> list[str]:
        """Lines of records at ``level`` or above that carried a traceback (websockets'
        DEBUG records carry some: debug logging is opted into, not a peer's doing)."""
        return [
            line
            for record, line in zip(self.records, self.lines, strict=True)
            if record.levelno >= level and "Traceback" in line
        ]


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    loggers = [logging.getLogger(name) for name in ("jambonz_runtime", "websockets")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(capture)
        lg.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=False):
            lg.removeHandler(capture)
            lg.setLevel(level)
            lg.propagate = propagate
