"""Hostile audio sockets: 1007 and one bounded log line, never a traceback (issue 16, item 4).

A first frame nested 100,000 deep used to escape ``serve_audio`` as a ``RecursionError``
(traceback) and the socket was closed with 1000, "normal"; a malformed stream is never
normal. Mid-stream, such a text frame is skipped with one line.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from jambonz_runtime import App, JambonzAudioStream, TextEvent
from jambonz_runtime.testing import Simulator

from .conftest import LogCapture

DEEP = "[" * 100_000 + "]" * 100_000


def audio_app(seen: list[object], done: asyncio.Event) -> App:
    app = App()

    @app.on_audio("/audio")
    async def handler(stream: JambonzAudioStream) -> None:
        async for item in stream.events():
            seen.append(item)
        done.set()

    return app


@pytest.mark.parametrize(
    "first",
    [
        DEEP,
        '{"sampleRate": NaN, "mixType": "mono", "callSid": "x"}',
        "\x00" * 100_000,
    ],
)
async def test_malformed_first_frame_is_1007_in_one_line(logs: LogCapture, first: str) -> None:
    seen: list[object] = []
    async with Simulator(audio_app(seen, asyncio.Event())) as sim:
        mark = logs.mark()
        client = await sim.audio("/audio", first_frame=first)
        assert await client.wait_closed() == 1007
        lines = [line for line in logs.since(mark) if "audio socket" in line]
        other = await sim.audio("/audio")  # the server carries on
        await other.close()
    assert len(lines) == 1, lines
    assert len(lines[0].encode()) <= 512
    assert logs.tracebacks() == []
    assert seen == []


async def test_deep_json_mid_stream_is_skipped_in_one_line(logs: LogCapture) -> None:
    seen: list[object] = []
    done = asyncio.Event()
    async with Simulator(audio_app(seen, done)) as sim:
        client = await sim.audio("/audio")
        mark = logs.mark()
        await client.ws.send(DEEP)
        await client.ws.send(json.dumps({"after": 1}))
        await client.close(1000)
        await asyncio.wait_for(done.wait(), 5)
    lines = [line for line in logs.since(mark) if "not JSON" in line]
    assert len(lines) == 1
    assert len(lines[0].encode()) <= 512
    assert logs.tracebacks() == []
    assert seen == [TextEvent({"after": 1})]


async def test_a_huge_call_sid_in_metadata_is_bounded_on_every_line(logs: LogCapture) -> None:
    seen: list[object] = []
    done = asyncio.Event()
    async with Simulator(audio_app(seen, done)) as sim:
        mark = logs.mark()
        client = await sim.audio("/audio", call_sid="c" * 500_000)
        await client.close(1000)
        await asyncio.wait_for(done.wait(), 5)
    lines = logs.since(mark)
    assert lines
    assert all(len(line.encode()) <= 512 for line in lines)
