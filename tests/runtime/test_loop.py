"""``jambonz_runtime.run``: uvloop when installed, asyncio's loop otherwise or on request."""

from __future__ import annotations

import asyncio
import gc
import importlib.util

import pytest

from jambonz_runtime import _loop, run

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_asyncio_on_request() -> None:
    assert run(_loop_module(), loop="asyncio").startswith("asyncio")


@pytest.mark.skipif(not HAVE_UVLOOP, reason="uvloop not installed")
def test_auto_picks_uvloop_when_installed() -> None:
    assert run(_loop_module()).startswith("uvloop")
    assert _loop.loop_name() == "uvloop"


def test_auto_falls_back_to_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvloop" else real(name, *a)
    )
    assert _loop.loop_name() == "asyncio"
    assert run(_loop_module()).startswith("asyncio")
    with pytest.raises(ModuleNotFoundError, match=r"jambonz-typed\[uvloop\]"):
        run(_loop_module(), loop="uvloop")


def test_freeze_gc_freezes_now_and_once_more_later(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(asyncio.get_running_loop().time()))

    async def main() -> None:
        _loop.freeze_gc(asyncio.get_running_loop(), again_after=0.01)
        assert len(calls) == 1  # at once
        for _ in range(500):  # bounded: the second one comes from the loop's timer
            if len(calls) == 2:
                break
            await asyncio.sleep(0.01)

    asyncio.run(main())
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.01
