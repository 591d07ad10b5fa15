"""The sans-I/O pacing pieces: exact framing and the far-end playout estimate."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jambonz_runtime.audio._pacing import PlayoutEstimate, Reframer
from jambonz_runtime.testing import ManualClock


@given(st.lists(st.binary(max_size=2000), max_size=30), st.sampled_from([320, 640, 960]))
def test_reframer_emits_exact_frames_and_loses_nothing(chunks: list[bytes], size: int) -> None:
    framer = Reframer(size)
    out = [frame for chunk in chunks for frame in framer.push(chunk)]
    assert all(len(frame) == size for frame in out)
    data = b"".join(chunks)
    assert b"".join(out) == data[: len(data) - len(data) % size]
    assert framer.pending == len(data) % size
    tail = framer.flush()
    if len(data) % size:
        assert tail == data[len(data) - len(data) % size :] + bytes(size - len(data) % size)
    else:
        assert tail is None
    assert framer.pending == 0


def test_reframer_rejects_odd_or_empty_frames() -> None:
    for bad in (0, -2, 321):
        with pytest.raises(ValueError, match="positive even"):
            Reframer(bad)


def test_playout_estimate_drains_in_real_time_and_reanchors() -> None:
    far = PlayoutEstimate(0.02)
    for _ in range(50):
        far.add(0.0)
    assert far.ahead(0.0) == 50
    assert far.ahead(0.5) == 25
    assert far.ahead(0.51) == 25  # a partly played frame still counts
    assert far.wait_until_at_most(0.5, 20) == pytest.approx(0.1)
    assert far.ahead(1.0) == 0
    far.add(5.0)  # drained long ago: playback restarts now
    assert far.ahead(5.0) == 1
    assert far.ahead(5.02) == 0
    far.reset(6.0)
    assert far.ahead(6.0) == 0
    assert far.wait_until_at_most(6.0, 0) == 0.0


def test_playout_estimate_does_not_drift_over_an_hour() -> None:
    far = PlayoutEstimate(0.02)
    now = 0.0
    for step in range(180_000):  # one hour of frames, sent exactly in real time
        now = step * 0.02
        far.add(now)
        assert far.ahead(now) == 1
    assert far.ahead(now + 0.02) == 0


async def test_manual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = ManualClock()
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.ensure_future(sleeper(n, s)) for n, s in (("b", 0.4), ("a", 0.2))]
    await clock.wait_sleeping(2)
    clock.advance(0.1)
    await asyncio.sleep(0)
    assert woke == []
    clock.advance(0.1)
    await asyncio.wait_for(tasks[1], 5)
    assert woke == ["a"]
    clock.advance(0.2)
    await asyncio.wait_for(tasks[0], 5)
    assert woke == ["a", "b"]
    assert clock.now() == pytest.approx(0.4)
    await clock.sleep(0)  # no-op
