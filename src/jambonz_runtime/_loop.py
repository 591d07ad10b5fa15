"""Run a coroutine on uvloop when it is installed, on asyncio's own loop otherwise.

Why: a jambonz app spends much of each call in the event loop itself (jambonz opens a
new socket for every call: accept, a few reads and writes, close), and uvloop does that
part in C. In bench/ it cut the app's CPU per echo call by about a fifth on this
runtime (README, "Performance"). It is an optional extra (``jambonz-typed[uvloop]``,
CPython on Linux and macOS), never a requirement: without it, or with
``loop="asyncio"``, everything runs on the standard loop with the same behaviour.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Coroutine
from typing import Literal, TypeVar

__all__ = ["LoopChoice", "loop_name", "run"]

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
