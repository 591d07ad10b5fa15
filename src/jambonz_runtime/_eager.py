"""Run a coroutine at once, up to its first real suspension; only then give it a task.

Why: the runtime handles every jambonz message in its own task, so a slow handler never
delays another message or another call. But most handlers return their verbs without
awaiting anything that is not ready, and then a task only costs: creating it, and one
more trip through the event loop's queue before the ack goes out. Under load that queue
is what an ack waits in (measured in bench/: p50 ack latency at 500 concurrent calls
fell by about a third). So a message's coroutine first runs right here, in the reader's
turn of the loop; if it finishes (the usual case: handler, ack encoding and the socket
write are all synchronous), no task ever exists. If it suspends (I/O, a sleep, a full
socket buffer), it goes on in a task from exactly that point, as if it had been a task
from the start. Python 3.12's eager tasks do the same; this works on 3.10 and 3.11 too.

Differences from a plain task, all confined to the first step: it runs in a copy of the
caller's context (3.11+; the caller's own on 3.10) and ``asyncio.current_task()`` is the
caller's task there.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Coroutine, Generator
from typing import Final, TypeVar

__all__ = ["run_eagerly", "start_eagerly"]

_T = TypeVar("_T")


class _Rest(Coroutine[object, None, _T]):
    """The rest of a coroutine that already ran up to its first suspension.

    A coroutine object of its own (what ``asyncio.Task`` needs): the task's first
    ``send(None)`` hands back what the coroutine yielded when it suspended (the future it
    waits on); everything after, including a ``throw`` (cancellation) that comes before
    that first step, goes straight to the coroutine, at the point where it waits.
    """

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Coroutine[object, None, _T], first: object) -> None:
        self._coro = coro
        self._first: object = first

    def send(self, value: None) -> object:
        """Resume the coroutine (the first call returns its pending suspension)."""
        first = self._first
        if first is not _STARTED:
            self._first = _STARTED
            if value is None:
                return first
        return self._coro.send(value)

    def throw(  # type: ignore[override]  # the one-argument form asyncio uses
        self, exc: BaseException, /
    ) -> object:
        """Raise ``exc`` in the coroutine where it waits (e.g. ``CancelledError``)."""
        self._first = _STARTED
        return self._coro.throw(exc)

    def close(self) -> None:
        """Close the coroutine."""
        self._coro.close()

    def __await__(self) -> Generator[object, None, _T]:
        value = self.send(None)
        while True:
            try:
                sent = yield value
            except BaseException as exc:  # passed into the coroutine
                try:
                    value = self.throw(exc)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]  # the coroutine's result
            else:
                try:
                    value = self.send(sent)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]  # the coroutine's result


_STARTED: Final = object()


def start_eagerly(
    coro: Coroutine[object, None, None],
    on_error: Callable[[BaseException], None],
) -> asyncio.Task[None] | None:
    """Run ``coro`` now; return the task that carries on with it, or ``None`` if it is done.

    An exception that escapes ``coro``'s first step goes to ``on_error`` (never to the
    caller: the caller is a socket's reader, which must keep reading); later ones stay
    in the returned task, as for any task. ``KeyboardInterrupt`` and ``SystemExit``
    propagate.
    """
    if sys.version_info >= (3, 11):
        context = contextvars.copy_context()
        try:
            first = context.run(coro.send, None)
        except StopIteration:
            return None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            on_error(exc)
            return None
        return asyncio.get_running_loop().create_task(_Rest(coro, first), context=context)
    try:
        first = coro.send(None)
    except StopIteration:
        return None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        on_error(exc)
        return None
    return asyncio.get_running_loop().create_task(_Rest(coro, first))


def run_eagerly(coro: Coroutine[object, None, None]) -> asyncio.Task[None] | None:
    """Like :func:`start_eagerly`, but an exception of the first step raises to the caller.

    For work the caller started on purpose and must hear about at once (a session
    command: a bad value or an ended call raises at the call, awaited or not).
    """
    try:
        first = coro.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_Rest(coro, first))
