"""The process-level settings of a serving process: the event loop and the garbage collector.

:func:`run`: a coroutine on uvloop when it is installed, on asyncio's own loop otherwise.

Why: a jambonz app spends much of each call in the event loop itself (jambonz opens a
new socket for every call: accept, a few reads and writes, close), and uvloop does that
part in C. In bench/ it cut the app's CPU per echo call by about a fifth on this
runtime (README, "Performance"). It is an optional extra (``jambonz-typed[uvloop]``,
CPython on Linux and macOS), never a requirement: without it, or with
``loop="asyncio"``, everything runs on the standard loop with the same behaviour.

:func:`freeze_gc`: why: the pydantic models (schemas, validators, serializers) are
tens of thousands of long-lived objects that every full collection walks again; with
them frozen a full collection took under 1 ms instead of ~50 ms in bench/ (a pause every
few thousand calls, which every call in flight waited out: the p99 tail).
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
from collections.abc import Coroutine
from typing import Literal, TypeVar

__all__ = ["LoopChoice", "freeze_gc", "loop_name", "run"]

_T = TypeVar("_T")

LoopChoice = Literal["auto", "uvloop", "asyncio"]
"""``auto``: uvloop if importable, else asyncio; ``uvloop``: uvloop or an error."""


def loop_name(loop: LoopChoice = "auto") -> Literal["uvloop", "asyncio"]:
    """The loop :func:`run` would use for ``loop``.

    Raises:
        ModuleNotFoundError: ``loop="uvloop"`` and uvloop is not installed.
    """
    if loop == "asyncio":
        return "asyncio"
    if importlib.util.find_spec("uvloop") is not None:
        return "uvloop"
    if loop == "uvloop":
        raise ModuleNotFoundError(
            "loop='uvloop' needs uvloop: pip install 'jambonz-typed[uvloop]'", name="uvloop"
        )
    return "asyncio"


def run(main: Coroutine[object, object, _T], *, loop: LoopChoice = "auto") -> _T:
    """``asyncio.run(main)``, on uvloop when installed (``loop="auto"``, the default).

    ``jambonz_runtime.run(serve(app))`` is the production entry point
    ``jambonz-typed serve`` uses; ``loop="asyncio"`` keeps the standard loop.

    Raises:
        ModuleNotFoundError: ``loop="uvloop"`` and uvloop is not installed.
    """
    try:
        chosen = loop_name(loop)
    except ModuleNotFoundError:
        main.close()  # never started: no "coroutine was never awaited" warning
        raise
    if chosen == "uvloop":
        import uvloop  # type: ignore[import-not-found,unused-ignore]  # optional extra

        result: _T = uvloop.run(main)
        return result
    return asyncio.run(main)


def freeze_gc(loop: asyncio.AbstractEventLoop, again_after: float = 10.0) -> asyncio.TimerHandle:
    """``gc.freeze()`` now and once more after ``again_after`` seconds.

    Moves every object alive now (the imported models) out of the collector's sight, so
    full collections stop walking them; the second freeze takes in the models the first
    calls loaded lazily (the verbs they built). Called by :func:`~jambonz_runtime.serve`
    once it listens: a process-wide setting, so an embedding program that runs
    :class:`~jambonz_runtime.JambonzServer` itself decides for itself. Returns the timer
    of the second freeze (cancel it to skip that).
    """
    gc.freeze()
    return loop.call_later(again_after, gc.freeze)
