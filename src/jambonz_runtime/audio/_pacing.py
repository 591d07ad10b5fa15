"""Sans-I/O helpers for audio sent to Vonage: exact 20 ms frames, paced by a clock.

Vonage's websocket plays what it receives only as whole 20 ms frames of 16-bit PCM
(320 bytes at 8 kHz, 640 at 16 kHz) and buffers at most 1,024 of them; anything sent
faster than real time beyond that is lost. So audio an app writes in arbitrary chunks
is cut into exact frames here (:class:`Reframer`), and the sender keeps an estimate of
how many frames the far end still holds (:class:`PlayoutEstimate`) so that it never
runs more than a set number of frames ahead of real time.

No sockets and no event loop here; time comes from a :class:`Clock`, so tests drive
pacing with a manual clock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Final, Protocol

__all__ = ["FRAME_SECONDS", "Clock", "PlayoutEstimate", "Reframer", "SystemClock"]

FRAME_SECONDS: Final = 0.02
"""Duration of one Vonage audio frame (20 ms)."""

_EPSILON: Final = 1e-6
"""Tolerance, in frames, for float noise in clock arithmetic."""


class Clock(Protocol):
    """Time source of the audio pacer (:class:`SystemClock`, or a manual clock in tests)."""

    def now(self) -> float:
        """Current time in seconds (any fixed origin)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock without blocking the event loop."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep(seconds)``."""
        await asyncio.sleep(seconds)


class Reframer:
    """Cuts a byte stream into frames of exactly ``frame_bytes``; keeps the remainder.

    Args:
        frame_bytes: the frame size (even, > 0).
    """

    def __init__(self, frame_bytes: int) -> None:
        if frame_bytes <= 0 or frame_bytes % 2:
            raise ValueError(f"frame_bytes must be a positive even number, got {frame_bytes}")
        self.frame_bytes = frame_bytes
        self._rest = b""

    @property
    def pending(self) -> int:
        """Bytes held back until a whole frame is available."""
        return len(self._rest)

    def push(self, data: bytes) -> list[bytes]:
        """Add ``data``; return the whole frames now available, in order."""
        size = self.frame_bytes
        if not self._rest and len(data) == size:  # the common case: already a frame
            return [data]
        buf = self._rest + data if self._rest else data
        whole = len(buf) - len(buf) % size
        self._rest = buf[whole:]
        return [buf[i : i + size] for i in range(0, whole, size)]

    def flush(self) -> bytes | None:
        """The held-back remainder padded with silence to a whole frame (``None`` if none)."""
        if not self._rest:
            return None
        frame = self._rest + bytes(self.frame_bytes - len(self._rest))
        self._rest = b""
        return frame

    def clear(self) -> None:
        """Drop the held-back remainder."""
        self._rest = b""


class PlayoutEstimate:
    """How many frames the far end still has to play, assuming it plays in real time.

    Each frame sent adds ``frame_seconds`` of audio; the far end plays from the moment
    it has something. The frame count is kept from an anchor time rather than summed as
    floats, so the estimate does not drift over a long stream.
    """

    def __init__(self, frame_seconds: float = FRAME_SECONDS) -> None:
        self.frame_seconds = frame_seconds
        self._anchor = 0.0
        self._frames = 0

    def ahead(self, now: float) -> int:
        """Frames (whole or partly unplayed) buffered at the far end at time ``now``."""
        left = self._frames - (now - self._anchor) / self.frame_seconds
        return max(0, math.ceil(left - _EPSILON))

    def add(self, now: float, frames: int = 1) -> None:
        """Record ``frames`` sent at ``now``."""
        if self.ahead(now) == 0:  # drained: playback restarts with this frame
            self._anchor = now
            self._frames = 0
        self._frames += frames

    def reset(self, now: float) -> None:
        """The far end dropped its buffer (e.g. Vonage ``clear``)."""
        self._anchor = now
        self._frames = 0

    def wait_until_at_most(self, now: float, frames: int) -> float:
        """Seconds from ``now`` until at most ``frames`` are still buffered (0 if already)."""
        return max(0.0, self._anchor + (self._frames - frames) * self.frame_seconds - now)
