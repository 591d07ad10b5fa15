"""Run ``async def`` tests in a fresh event loop, each bounded by a timeout.

No pytest-asyncio in the shared venv and the runtime needs nothing more than this.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest

TEST_TIMEOUT = 30.0


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run coroutine test functions with ``asyncio.run``."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}

    async def bounded() -> None:
        await asyncio.wait_for(pyfuncitem.obj(**kwargs), TEST_TIMEOUT)

    asyncio.run(bounded())
    return True
