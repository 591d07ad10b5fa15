"""``_eager.start_eagerly``: a coroutine runs at once and becomes a task only if it waits."""

from __future__ import annotations

import asyncio
import contextvars
import sys

import pytest

from jambonz_runtime._eager import start_eagerly

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="outer")


async def test_a_coroutine_that_never_waits_needs_no_task() -> None:
    done: list[str] = []

    async def quick() -> None:
        done.append("ran")

    errors: list[BaseException] = []
    assert start_eagerly(quick(), errors.append) is None
    assert done == ["ran"]  # ran before start_eagerly returned
    assert errors == []


async def test_a_coroutine_that_waits_goes_on_in_a_task() -> None:
    steps: list[str] = []
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def slow() -> None:
        steps.append("before")
        steps.append(await gate)
        await asyncio.sleep(0)
        steps.append("after")

    errors: list[BaseException] = []
    task = start_eagerly(slow(), errors.append)
    assert task is not None
    assert steps == ["before"]
    gate.set_result("resumed")
    await asyncio.wait_for(task, 2)
    assert steps == ["before", "resumed", "after"]
    assert errors == []


async def test_errors_of_the_first_step_go_to_on_error_later_ones_to_the_task() -> None:
    async def boom() -> None:
        raise ValueError("first step")

    errors: list[BaseException] = []
    assert start_eagerly(boom(), errors.append) is None
    assert [str(e) for e in errors] == ["first step"]

    async def later() -> None:
        await asyncio.sleep(0)
        raise KeyError("later")

    task = start_eagerly(later(), errors.append)
    assert task is not None
    with pytest.raises(KeyError):
        await task
    assert len(errors) == 1


async def test_cancelling_the_task_cancels_the_coroutine() -> None:
    cleaned: list[str] = []

    async def waits_forever() -> None:
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            cleaned.append("finally")

    errors: list[BaseException] = []
    task = start_eagerly(waits_forever(), errors.append)
    assert task is not None
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == ["finally"]


async def test_a_resumed_coroutine_finishes_its_task_normally() -> None:
    async def value() -> None:
        await asyncio.sleep(0)

    errors: list[BaseException] = []
    task = start_eagerly(value(), errors.append)
    assert task is not None
    await task
    assert not task.cancelled()
    assert task.exception() is None


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 runs the first step in place")
async def test_the_first_step_runs_in_a_copied_context_kept_by_the_task() -> None:
    seen: list[str] = []

    async def handler() -> None:
        VAR.set("handler")
        await asyncio.sleep(0)
        seen.append(VAR.get())

    errors: list[BaseException] = []
    task = start_eagerly(handler(), errors.append)
    assert VAR.get() == "outer"  # nothing leaked into the caller
    assert task is not None
    await task
    assert seen == ["handler"]
