"""``Delivery``: what a session command returns, so a forgotten ``await`` loses nothing.

Why: a session command used to be a coroutine, and ``session.redirect(verbs)`` without
``await`` created a coroutine that never ran; the command was silently dropped (only a
``RuntimeWarning`` at garbage collection said so). Now the command is built, checked and
*queued on the session at call time*, in call order, whether or not the caller awaits;
the returned ``Delivery`` is an awaitable for the rest: awaiting it waits until the
frame is written to the socket (or kept for the reconnect) and raises if that failed.

* Errors the caller can fix (a bad value, an oversize command, a call that has ended)
  raise at the call itself, awaited or not.
* A frame whose socket write has to wait (a full buffer) finishes in a task; the commands
  after it still go out in call order (the socket writes frames in the order started).
* ``asyncio.create_task()`` wants a coroutine; pass a delivery to
  ``asyncio.ensure_future()`` or ``asyncio.gather()``, or just ``await`` it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Final

from .._eager import run_eagerly

__all__ = ["Delivery", "deliver"]


class Delivery:
    """The delivery of one session command (or of a few sent together, as ``send_dtmf``).

    The command is already queued when you hold this. ``await`` it to wait until it is
    written to the socket (or kept to be sent after a reconnect) and to see an error of
    the write; not awaiting it does not lose the command.
    """

    __slots__ = ("_task",)

    def __init__(self, task: asyncio.Task[None] | None = None) -> None:
        self._task = task

    def done(self) -> bool:
        """Whether the frame has been handed to the socket (or kept for the reconnect)."""
        return self._task is None or self._task.done()

    def __await__(self) -> Generator[object, None, None]:
        """Wait until the frame is written; raise what the write raised."""
        if self._task is not None:
            yield from self._task.__await__()

    def __repr__(self) -> str:
        return f"<Delivery {'done' if self.done() else 'pending'}>"


_DELIVERED: Final = Delivery()


def deliver(coro: Coroutine[object, None, None]) -> Delivery:
    """Run a sending coroutine now, up to its first real wait; errors up to there raise.

    The usual case (the frame is written synchronously) creates no task at all.
    """
    task = run_eagerly(coro)
    return _DELIVERED if task is None else Delivery(task)
