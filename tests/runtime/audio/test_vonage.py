"""Vonage Voice API websockets against the simulated Vonage client.

Pacing runs on a :class:`ManualClock` shared by the app server and the client's model
of Vonage's 1,024-frame buffer, so "60 s of audio" takes milliseconds and every step
is deterministic.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import pytest
from websockets.exceptions import InvalidStatus

from jambonz_runtime import (
    App,
    AudioArgumentError,
    AudioStreamClosed,
    DtmfEvent,
    JambonzAudioStream,
    MarkEvent,
    TextEvent,
    VonageAudioStream,
)
from jambonz_runtime.testing import ManualClock, Simulator, VonageAudioClient

Handler = Callable[[VonageAudioStream], Awaitable[None]]
FRAME = 640  # 20 ms at 16 kHz


def vonage_app(handler: Handler, path: str = "/vonage") -> App:
    app = App()
    app.on_audio(path, platform="vonage")(handler)
    return app


async def wait(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 5)


async def advance_until(clock: ManualClock, client: VonageAudioClient, frames: int) -> None:
    """Move time 200 ms at a time (the pacer's refill) until ``frames`` have arrived."""
    for _ in range(10_000):
        if len(client.audio_frames) >= frames:
            return
        await clock.wait_sleeping()
        clock.advance(0.2)
        expected = min(frames, len(client.audio_frames) + 10)
        await client.wait_frames(expected)
    raise AssertionError("pacing did not progress")


async def test_metadata_headers_and_incoming_frames_and_dtmf() -> None:
    got: asyncio.Future[VonageAudioStream] = asyncio.get_running_loop().create_future()
    items: list[bytes | object] = []
    done = asyncio.Event()

    async def handler(stream: VonageAudioStream) -> None:
        got.set_result(stream)
        async for item in stream.events():
            items.append(item)
        done.set()

    async with Simulator(vonage_app(handler)) as sim:
        client = await sim.vonage(
            "/vonage?x=1", sample_rate=8000, headers={"caller": "+1555", "app": {"id": 7}}
        )
        assert client.ws.subprotocol is None
        stream = await asyncio.wait_for(got, 5)
        assert stream.platform == "vonage"
        assert stream.metadata.content_type == "audio/l16;rate=8000"
        assert stream.metadata.headers == {"caller": "+1555", "app": {"id": 7}}
        assert (stream.sample_rate, stream.channels, stream.frame_bytes) == (8000, 1, 320)
        await client.send_audio(b"\x01\x00" * 160)
        await client.send_dtmf("5", duration=260)
        await client.send_json({"event": "websocket:something-new", "x": 1})
        await client.send_audio(b"\x02\x00" * 160)
        await client.close()
        await wait(done)
    assert items == [
        b"\x01\x00" * 160,
        DtmfEvent("5", 260),
        TextEvent({"event": "websocket:something-new", "x": 1}),
        b"\x02\x00" * 160,
    ]


async def test_odd_chunks_are_reframed_into_exact_20ms_frames_and_flush_pads() -> None:
    done = asyncio.Event()
    data = bytes(range(256)) * 9  # 2304 bytes: 3 frames + 384

    async def handler(stream: VonageAudioStream) -> None:
        for chunk in (data[:1000], data[1000:1007], data[1007:]):
            await stream.send_audio(chunk)
        assert stream.frames_sent == 3
        await stream.flush()
        await stream.flush()  # nothing left: no-op
        done.set()

    async with Simulator(vonage_app(handler)) as sim:
        client = await sim.vonage("/vonage")
        await wait(done)
        audio = await client.wait_audio(4 * FRAME)
        assert client.audio_frames == [FRAME] * 4
        assert client.bad_frames == []
        assert audio == data + bytes(4 * FRAME - len(data))
        await client.close()


async def test_sixty_seconds_sent_at_once_are_paced_and_never_overflow() -> None:
    clock = ManualClock()
    finished = asyncio.Event()
    total = 3000  # 60 s

    async def handler(stream: VonageAudioStream) -> None:
        await stream.send_audio(bytes(FRAME * total))
        finished.set()

    async with Simulator(vonage_app(handler), audio_clock=clock) as sim:
        client = await sim.vonage("/vonage", clock=clock)
        await client.wait_frames(250)
        await clock.wait_sleeping()
        assert len(client.audio_frames) == 250  # the lead: 5 s ahead, then it waits
        assert not finished.is_set()
        await advance_until(clock, client, total)
        await wait(finished)
        assert len(client.audio_frames) == total
        assert client.bad_frames == []
        assert client.overflowed == 0
        assert client.max_buffered == 250
        await client.close()


async def test_lead_is_configurable_up_to_vonage_buffer() -> None:
    clock = ManualClock()
    finished = asyncio.Event()

    async def handler(stream: VonageAudioStream) -> None:
        with pytest.raises(AudioArgumentError, match=r"lead_frames: 1025 is outside 1\.\.1024"):
            stream.lead_frames = 1025
        stream.lead_frames = 1024
        await stream.send_audio(bytes(FRAME * 1500))
        finished.set()

    async with Simulator(vonage_app(handler), audio_clock=clock) as sim:
        client = await sim.vonage("/vonage", clock=clock)
        await client.wait_frames(1024)
        await advance_until(clock, client, 1500)
        await wait(finished)
        assert client.overflowed == 0
        assert client.max_buffered == 1024
        await client.close()


async def test_echo_of_a_client_faster_than_real_time_is_paced() -> None:
    clock = ManualClock()

    async def echo(stream: VonageAudioStream) -> None:
        async for frame in stream:
            await stream.send_audio(frame)

    async with Simulator(vonage_app(echo), audio_clock=clock) as sim:
        client = await sim.vonage("/vonage", clock=clock)
        sent = b"".join(i.to_bytes(2, "little") * 320 for i in range(600))
        for i in range(0, len(sent), FRAME):
            await client.send_audio(sent[i : i + FRAME])
        await client.wait_frames(250)
        await advance_until(clock, client, 600)
        assert bytes(client.audio) == sent
        assert client.overflowed == 0
        assert client.bad_frames == []
        await client.close()


async def test_marks_become_notify_and_playout_after_the_audio_before_them() -> None:
    clock = ManualClock()
    got: asyncio.Future[VonageAudioStream] = asyncio.get_running_loop().create_future()
    marks: list[MarkEvent] = []
    played = asyncio.Event()

    async def handler(stream: VonageAudioStream) -> None:
        @stream.on_mark
        def on_mark(event: MarkEvent) -> None:
            marks.append(event)
            played.set()

        await stream.send_audio(bytes(FRAME * 50) + b"\x01")  # 1 s and a bit
        await stream.mark("end-of-prompt")
        got.set_result(stream)

    async with Simulator(vonage_app(handler), audio_clock=clock) as sim:
        client = await sim.vonage("/vonage", clock=clock)
        stream = await asyncio.wait_for(got, 5)
        notify = await client.expect("action", "notify")
        assert notify == {"action": "notify", "payload": {"mark": "end-of-prompt", "seq": 1}}
        assert client.audio_frames == [FRAME] * 51  # the partial frame was padded first
        assert stream.outstanding_marks == ("end-of-prompt",)
        assert await client.play_due() == 0  # nothing has played yet
        clock.advance(1.02)
        assert await client.play_due() == 1
        await wait(played)
        assert marks == [MarkEvent("end-of-prompt", "playout")]
        assert not stream.outstanding_marks
        await client.close()


async def test_kill_audio_drops_the_queue_clears_marks_and_releases_the_sender() -> None:
    clock = ManualClock()
    got: asyncio.Future[VonageAudioStream] = asyncio.get_running_loop().create_future()
    returned = asyncio.Event()
    marks: list[MarkEvent] = []
    cleared = asyncio.Event()
    texts: list[TextEvent] = []

    async def handler(stream: VonageAudioStream) -> None:
        @stream.on_mark
        def on_mark(event: MarkEvent) -> None:
            marks.append(event)
            cleared.set()

        stream.on_text(texts.append)
        await stream.mark("before")  # sent at once: nothing queued ahead of it
        got.set_result(stream)
        await stream.send_audio(bytes(FRAME * 1000))  # waits: 20 s of audio
        returned.set()

    async with Simulator(vonage_app(handler), audio_clock=clock) as sim:
        client = await sim.vonage("/vonage", clock=clock)
        stream = await asyncio.wait_for(got, 5)
        await client.wait_frames(250)
        await clock.wait_sleeping()
        await stream.mark("after")  # queued behind 750 frames
        assert stream.queued_frames == 750
        await stream.kill_audio()
        await wait(returned)
        assert stream.queued_frames == 0
        await client.expect("action", "clear")
        await wait(cleared)
        assert sorted(m.name for m in marks) == ["after", "before"]
        assert {m.event for m in marks} == {"cleared"}
        clock.advance(60)
        assert await client.play_due() == 0  # the notify of "before" was cleared by Vonage
        await client.barrier()
        assert len(client.audio_frames) == 250
        assert [m.get("action") for m in client.messages] == ["notify", "clear"]
        # new audio goes straight out after a kill
        await stream.send_audio(bytes(FRAME * 20))
        await client.wait_frames(270)
        await client.close()
    assert TextEvent({"event": "websocket:cleared"}) in texts


async def test_clear_marks_forgets_sent_and_queued_marks_silently() -> None:
    clock = ManualClock()
    got: asyncio.Future[VonageAudioStream] = asyncio.get_running_loop().create_future()
    marks: list[MarkEvent] = []
    reported = asyncio.Event()

    def on_mark(event: MarkEvent) -> None:
        marks.append(event)
        reported.set()

    async def handler(stream: VonageAudioStream) -> None:
        stream.on_mark(on_mark)
        await stream.send_audio(bytes(FRAME * 10))
        await stream.mark("sent")
        got.set_result(stream)

    async with Simulator(vonage_app(handler), audio_clock=clock) as sim:
        client = await sim.vonage("/vonage", clock=clock)
        stream = await asyncio.wait_for(got, 5)
        await client.expect("action", "notify")
        await stream.clear_marks()
        assert not stream.outstanding_marks
        clock.advance(1)
        assert await client.play_due() == 1  # Vonage still reports it...
        await client.send_audio(bytes(FRAME))
        await client.barrier()
        await stream.mark("later")
        await client.expect("action", "notify", index=1)
        assert await client.play_due() == 1
        await wait(reported)
        assert marks == [MarkEvent("later", "playout")]  # ...but "sent" is never reported
        await client.close()


async def test_client_close_while_sending_raises_audio_stream_closed_in_the_handler() -> None:
    clock = ManualClock()
    outcome: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    async def handler(stream: VonageAudioStream) -> None:
        try:
            await stream.send_audio(bytes(FRAME * 600))
        except AudioStreamClosed as exc:
            outcome.set_result(exc)
            raise
        outcome.set_result(None)

    async with Simulator(vonage_app(handler), audio_clock=clock) as sim:
        client = await sim.vonage("/vonage", clock=clock)
        await client.wait_frames(250)
        await clock.wait_sleeping()
        await client.close()
        clock.advance(0.2)
        error = await asyncio.wait_for(outcome, 5)
        assert isinstance(error, AudioStreamClosed)


async def test_disconnect_closes_the_websocket() -> None:
    async def handler(stream: VonageAudioStream) -> None:
        async for _ in stream:
            await stream.disconnect()

    async with Simulator(vonage_app(handler)) as sim:
        client = await sim.vonage("/vonage")
        await client.send_audio(bytes(FRAME))
        assert await client.wait_closed() == 1000


@pytest.mark.parametrize(
    ("first", "code", "reason"),
    [
        (json.dumps({"event": "websocket:connected"}), 1007, "content-type: Field required"),
        (
            json.dumps({"event": "websocket:connected", "content-type": "audio/pcmu"}),
            1007,
            "expected 'audio/l16;rate=<Hz>'",
        ),
        (
            json.dumps({"event": "websocket:hello", "content-type": "audio/l16;rate=16000"}),
            1007,
            "event: Input should be 'websocket:connected'",
        ),
        (bytes(FRAME), 1003, "first frame is binary"),
    ],
)
async def test_malformed_first_frame_is_logged_and_closed(
    first: str | bytes, code: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(stream: VonageAudioStream) -> None:
        raise AssertionError("never called")

    caplog.set_level(logging.WARNING, "jambonz_runtime.audio")
    async with Simulator(vonage_app(handler)) as sim:
        client = await sim.vonage("/vonage", first_frame=first)
        assert await client.wait_closed() == code
    assert reason in caplog.text


async def test_vonage_and_jambonz_audio_and_control_on_one_path_one_port() -> None:
    app = App()
    seen: list[str] = []

    @app.on_audio("/media", platform="vonage")
    async def vonage(stream: VonageAudioStream) -> None:
        seen.append(stream.platform)
        await stream.close()

    @app.on_audio("/media")
    async def jambonz(stream: JambonzAudioStream) -> None:
        seen.append("jambonz")
        await stream.close()

    async with Simulator(app, basic_auth=("u", "p")) as sim:
        vonage_client = await sim.vonage("/media")  # Vonage sends no basic auth
        assert await vonage_client.wait_closed() == 1000
        jambonz_client = await sim.audio("/media")
        assert await jambonz_client.wait_closed() == 1000
        with pytest.raises(InvalidStatus) as info:
            await sim.audio("/media", basic_auth=("u", "nope"))
        assert info.value.response.status_code == 401
    assert seen == ["vonage", "jambonz"]
