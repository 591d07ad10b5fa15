"""One bounded wait shared by the simulated jambonz clients (control and audio).

Why: every ``expect_*`` / ``wait_*`` of the test clients waits the same way (until
something arrived that matches, the socket's reader ended, or the time limit passed)
and then reports what it saw. Written once so the two clients cannot drift apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["wait_changed"]


async def wait_changed(
    changed: asyncio.Condition,
    ready: Callable[[], bool],
    reader: asyncio.Task[None],
    limit: float,
) -> bool:
    """Wait on ``changed`` until ``ready()``, the ``reader`` ended or ``limit`` seconds
    passed; return ``ready()`` (checked under the condition's lock)."""
    async with changed:
        try:
            await asyncio.wait_for(changed.wait_for(lambda: ready() or reader.done()), limit)
        except asyncio.TimeoutError:
            pass
        return ready()
