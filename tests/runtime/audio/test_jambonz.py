"""jambonz audio sockets (listen/stream verbs) against the simulated media server.

Every test runs the real server on loopback and a :class:`JambonzAudioClient` that
speaks like mod_audio_fork; waits are bounded events, never sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable

import pytest
from websockets.exceptions import InvalidStatus

from jambonz_runtime import (
    App,
    AudioArgumentError,
    AudioStreamClosed,
    ConfigurationError,
    DtmfEvent,
    JambonzAudioStream,
    JambonzServer,
    MarkEvent,
    MarkLimitExceeded,
    PlayDoneEvent,
    Session,
    TextEvent,
    VonageAudioStream,
)
from jambonz_runtime.audio import MAX_MARKS, MAX_PLAY_AUDIO_BYTES
from jambonz_runtime.testing import Simulator
from jambonz_types import Verbs
from jambonz_types.callbacks import SessionNewCallback

Handler = Callable[[JambonzAudioStream], Awaitable[None]]


def audio_app(handler: Handler, path: str = "/audio") -> App:
    app = App()
    app.on_audio(path)(handler)
    return app


class Capture:
    """What a handler saw, and events the test waits on."""

    def __init__(self) -> None:
        self.stream: asyncio.Future[JambonzAudioStream] = asyncio.get_running_loop().create_future()
        self.frames: list[bytes] = []
        self.items: list[bytes | object] = []
        self.done = asyncio.Event()
        self.errors: list[BaseException] = []


async def wait(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 5)


async def test_metadata_is_typed_and_control_and_audio_share_path_and_port() -> None:
    app = App()
    cap = Capture()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().listen(url="/", sample_rate=16000, metadata={"myKey": "mine"})

    @app.on_audio("/")
    async def audio(stream: JambonzAudioStream) -> None:
        cap.stream.set_result(stream)
        async for frame in stream:
            cap.frames.append(frame)
        cap.done.set()

    async with Simulator(app) as sim:
        call = await sim.call()
        ack = await call.expect_ack(call.session_msgid)
        assert ack.verb_names == ["listen"]
        client = await sim.audio(
            "/?x=1", sample_rate=16000, call_sid=call.call_sid, metadata={"myKey": "mine"}
        )
        assert client.ws.subprotocol == "audio.drachtio.org"
        assert call.ws.subprotocol == "ws.jambonz.org"
        stream = await asyncio.wait_for(cap.stream, 5)
        meta = stream.metadata
        assert (meta.sample_rate, meta.mix_type, meta.call_sid) == (16000, "mono", call.call_sid)
        assert meta.from_ == "+15551230000"
        assert meta.direction == "inbound"
        assert meta.sip_status == 200
        assert meta.account_sid is not None
        assert meta.custom == {"myKey": "mine"}
        assert (stream.sample_rate, stream.channels, stream.platform) == (16000, 1, "jambonz")
        assert stream.path == "/"
        frames = [bytes([i]) * 640 for i in range(5)]
        for frame in frames:
            await client.send_audio(frame)
        await client.close()
        await wait(cap.done)
        assert cap.frames == frames
        assert (stream.frames_received, stream.bytes_received) == (5, 3200)
        assert stream.closed
        assert stream.close_code == 1000


async def test_stereo_frames_are_whole_sample_pairs_and_odd_mono_bytes_are_carried() -> None:
    cap = Capture()

    async def handler(stream: JambonzAudioStream) -> None:
        cap.stream.set_result(stream)
        async for frame in stream:
            cap.frames.append(frame)
        cap.done.set()

    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio", mix_type="stereo")
        stream = await asyncio.wait_for(cap.stream, 5)
        assert stream.channels == 2
        assert stream.metadata.channels == 2
        data = bytes(range(256)) * 4
        chunks = [data[:6], data[6:7], data[7:400], data[400:1021], data[1021:]]
        for chunk in chunks:
            await client.send_audio(chunk)
        await client.close()
        await wait(cap.done)
    assert all(len(f) % 4 == 0 and f for f in cap.frames)
    assert b"".join(cap.frames) == data  # 1024 bytes: nothing left over

    mono = Capture()

    async def mono_handler(stream: JambonzAudioStream) -> None:
        async for frame in stream:
            mono.frames.append(frame)
        mono.done.set()

    async with Simulator(audio_app(mono_handler)) as sim:
        client = await sim.audio("/audio")
        for chunk in (b"\x01", b"\x02\x03\x04", b"\x05", b"", b"\x06\x07"):
            await client.send_audio(chunk)
        await client.close()
        await wait(mono.done)
    assert mono.frames == [b"\x01\x02\x03\x04", b"\x05\x06"]  # the odd last byte waits


async def test_dtmf_events_reach_callbacks_and_events_iterator() -> None:
    cap = Capture()
    seen: list[DtmfEvent] = []

    async def handler(stream: JambonzAudioStream) -> None:
        stream.on_dtmf(seen.append)
        async for item in stream.events():
            cap.items.append(item)
        cap.done.set()

    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio")
        await client.send_audio(b"\x00\x00" * 80)
        await client.send_dtmf("5", duration=1280)
        await client.send_json({"event": "dtmf", "dtmf": "#", "duration": "800"})
        await client.send_json({"event": "dtmf"})  # no digit: kept as a TextEvent
        await client.close()
        await wait(cap.done)
    assert seen == [DtmfEvent("5", 160), DtmfEvent("#", 100)]
    assert cap.items == [
        b"\x00\x00" * 80,
        DtmfEvent("5", 160),
        DtmfEvent("#", 100),
        TextEvent({"event": "dtmf"}),
    ]


async def test_marks_playout_kill_audio_clears_and_clear_marks_forgets() -> None:
    cap = Capture()
    marks: list[MarkEvent] = []
    got_mark = asyncio.Event()

    async def on_mark(event: MarkEvent) -> None:  # async callbacks are awaited
        marks.append(event)
        got_mark.set()

    async def handler(stream: JambonzAudioStream) -> None:
        stream.on_mark(on_mark)
        cap.stream.set_result(stream)

    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio")
        stream = await asyncio.wait_for(cap.stream, 5)
        await stream.mark("m1")
        await stream.send_audio(b"\x01\x00" * 160)
        await stream.mark("m2")
        assert list(stream.outstanding_marks) == ["m1", "m2"]
        assert (await client.expect_command("mark"))["data"] == {"name": "m1"}
        await client.wait_audio(320)
        await client.expect_command("mark", index=1)
        assert await client.play_out() == ["m1"]  # m2 waits for the next audio chunk
        await wait(got_mark)
        assert marks == [MarkEvent("m1", "playout")]
        assert list(stream.outstanding_marks) == ["m2"]

        got_mark.clear()
        await stream.kill_audio()
        assert not stream.outstanding_marks
        await client.expect_command("killAudio")
        await wait(got_mark)
        assert marks[-1] == MarkEvent("m2", "cleared")

        await stream.mark("m3")
        await stream.clear_marks()
        assert not stream.outstanding_marks
        await client.expect_command("clearMarks")
        assert client.marks.inventory == []
        assert client.marks.in_use == []
        await stream.send_audio(b"\x01\x00" * 10)
        await client.wait_audio(340)
        assert await client.play_out() == []  # cleared marks report nothing
        await client.close()
    assert [m.name for m in marks] == ["m1", "m2"]


async def test_31st_outstanding_mark_is_an_error_not_a_silent_drop() -> None:
    cap = Capture()
    played: list[MarkEvent] = []
    all_played = asyncio.Event()

    def on_mark(event: MarkEvent) -> None:
        played.append(event)
        if len(played) == MAX_MARKS:
            all_played.set()

    async def handler(stream: JambonzAudioStream) -> None:
        stream.on_mark(on_mark)
        cap.stream.set_result(stream)

    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio")
        stream = await asyncio.wait_for(cap.stream, 5)
        for i in range(MAX_MARKS):
            await stream.mark(f"m{i}")
        with pytest.raises(MarkLimitExceeded, match="30 marks are already outstanding") as info:
            await stream.mark("one-too-many")
        assert info.value.limit == 30
        assert info.value.outstanding[0] == "m0"
        assert isinstance(info.value, ValueError)
        await client.expect_command("mark", index=MAX_MARKS - 1)
        await client.barrier()
        assert len(client.marks.inventory) == 30
        assert client.marks.discarded == []
        # once they play out there is room again (the handler returned: the runtime
        # keeps reading, so the playout events still reach the stream)
        await stream.send_audio(b"\x00\x00")
        await client.wait_audio(2)
        assert len(await client.play_out()) == MAX_MARKS
        await wait(all_played)
        assert not stream.outstanding_marks
        await stream.mark("fits-now")
        await client.expect_command("mark", index=MAX_MARKS)
        with pytest.raises(AudioArgumentError, match="unescaped"):
            await stream.mark('say "hi"')
        with pytest.raises(AudioArgumentError, match="non-empty"):
            await stream.mark("")


async def test_play_audio_and_play_done() -> None:
    cap = Capture()
    done: list[PlayDoneEvent] = []
    got = asyncio.Event()

    async def handler(stream: JambonzAudioStream) -> None:
        @stream.on_play_done
        def finished(event: PlayDoneEvent) -> None:
            done.append(event)
            got.set()

        cap.stream.set_result(stream)

    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio", sample_rate=8000)
        stream = await asyncio.wait_for(cap.stream, 5)
        pcm = b"\x10\x00" * 800
        await stream.play_audio(pcm, id="p1")
        command = await client.expect_command("playAudio")
        data = command["data"]
        assert isinstance(data, dict)
        assert base64.b64decode(str(data.pop("audioContent"))) == pcm
        assert data == {"audioContentType": "raw", "sampleRate": 8000, "id": "p1"}
        wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
        await stream.play_audio(wav, content_type="wav", sample_rate=16000, queue=True)
        second = (await client.expect_command("playAudio", index=1))["data"]
        assert isinstance(second, dict)
        assert second["audioContentType"] == "wav"
        assert second["queuePlay"] is True
        await client.send_play_done("p1", playbackSeconds="1", playbackMilliseconds="100")
        await wait(got)
        assert done == [
            PlayDoneEvent("p1", {"id": "p1", "playbackSeconds": "1", "playbackMilliseconds": "100"})
        ]

        with pytest.raises(AudioArgumentError, match="sample_rate: 11025 is not one of 8000"):
            await stream.play_audio(pcm, sample_rate=11025)
        with pytest.raises(AudioArgumentError, match="no RIFF/WAVE header"):
            await stream.play_audio(pcm, content_type="wav")
        with pytest.raises(AudioArgumentError, match=f"limit of {MAX_PLAY_AUDIO_BYTES}"):
            await stream.play_audio(bytes(MAX_PLAY_AUDIO_BYTES))
        with pytest.raises(AudioArgumentError, match="content_type: 'mp3'"):
            await stream.play_audio(pcm, content_type="mp3")  # type: ignore[arg-type]
        await client.barrier()
        assert len([m for m in client.messages if m.get("type") == "playAudio"]) == 2


async def test_app_side_disconnect_and_close() -> None:
    cap = Capture()

    async def handler(stream: JambonzAudioStream) -> None:
        async for frame in stream:
            if frame == b"\x02\x00":
                await stream.disconnect()
            if frame == b"\x03\x00":
                await stream.close()
        cap.done.set()

    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio")
        await client.send_audio(b"\x02\x00")
        assert await client.expect_command("disconnect") == {"type": "disconnect"}
        await client.send_audio(b"\x03\x00")
        assert await client.wait_closed() == 1000
        await wait(cap.done)


async def test_client_side_close_ends_iteration_fires_on_close_and_refuses_sends() -> None:
    cap = Capture()
    codes: list[int | None] = []

    async def handler(stream: JambonzAudioStream) -> None:
        stream.on_close(codes.append)
        cap.stream.set_result(stream)
        async for frame in stream:
            cap.frames.append(frame)
        cap.done.set()

    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio")
        stream = await asyncio.wait_for(cap.stream, 5)
        await client.send_audio(b"\x01\x02")
        await client.close(1000)
        await wait(cap.done)
        assert codes == [1000]
        assert cap.frames == [b"\x01\x02"]
        with pytest.raises(AudioStreamClosed, match="closed"):
            await stream.send_audio(b"\x00\x00")
        with pytest.raises(AudioStreamClosed):
            await stream.mark("late")


@pytest.mark.parametrize(
    ("first", "code", "reason"),
    [
        ("not json", 1007, "metadata is not JSON"),
        ("[1, 2]", 1007, "JSON list, not an object"),
        (json.dumps({"sampleRate": 8000, "mixType": "mono"}), 1007, "callSid: Field required"),
        (
            json.dumps({"sampleRate": 8000, "mixType": "quad", "callSid": "x"}),
            1007,
            "mixType: Input should be 'mono', 'mixed' or 'stereo'",
        ),
        (b"\x00\x01", 1003, "first frame is binary"),
    ],
)
async def test_malformed_first_frame_is_logged_and_closed_handler_never_runs(
    first: str | bytes, code: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[JambonzAudioStream] = []

    async def handler(stream: JambonzAudioStream) -> None:
        called.append(stream)

    caplog.set_level(logging.WARNING, "jambonz_runtime.audio")
    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio", first_frame=first)
        assert await client.wait_closed() == code
        other = await sim.audio("/audio")  # the server carries on
        await other.close()
    assert len(called) == 1  # only the good one
    assert reason in caplog.text
    assert "raw:" in caplog.text


async def test_text_where_binary_is_expected_is_skipped_or_kept_as_text_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cap = Capture()

    async def handler(stream: JambonzAudioStream) -> None:
        async for item in stream.events():
            cap.items.append(item)
        cap.done.set()

    caplog.set_level(logging.WARNING, "jambonz_runtime.audio")
    async with Simulator(audio_app(handler)) as sim:
        client = await sim.audio("/audio")
        await client.send_audio(b"\x01\x00")
        await client.send_text("\x00\x00 not json at all")
        await client.send_json({"type": "transcription", "data": {"text": "hi"}})
        await client.send_json({"type": "mark", "data": {"name": "x", "event": "bogus"}})
        await client.send_audio(b"\x02\x00")
        await client.close()
        await wait(cap.done)
    assert cap.items == [
        b"\x01\x00",
        TextEvent({"type": "transcription", "data": {"text": "hi"}}),
        TextEvent({"type": "mark", "data": {"name": "x", "event": "bogus"}}),
        b"\x02\x00",
    ]
    assert "not JSON, skipped" in caplog.text
    assert "not json at all" in caplog.text


async def test_client_faster_than_real_time_is_echoed_completely_in_order() -> None:
    async def echo(stream: JambonzAudioStream) -> None:
        async for frame in stream:
            await stream.send_audio(frame)

    async with Simulator(audio_app(echo)) as sim:
        client = await sim.audio("/audio", sample_rate=16000)
        sent = b"".join(i.to_bytes(2, "little") * 320 for i in range(2000))  # 40 s of audio
        for i in range(0, len(sent), 640):
            await client.send_audio(sent[i : i + 640])
        assert await client.wait_audio(len(sent), timeout=20) == sent
        await client.close()


async def test_handler_error_closes_1011_and_other_streams_carry_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(stream: JambonzAudioStream) -> None:
        async for frame in stream:
            if frame == b"\xff\xff":
                raise RuntimeError("boom")
            await stream.send_audio(frame)

    async with Simulator(audio_app(handler)) as sim:
        bad = await sim.audio("/audio", call_sid="bad-call")
        good = await sim.audio("/audio")
        await bad.send_audio(b"\xff\xff")
        assert await bad.wait_closed() == 1011
        await good.send_audio(b"\x01\x00")
        assert await good.wait_audio(2) == b"\x01\x00"
        await good.close()
    assert "[bad-call] audio handler for /audio raised" in caplog.text
    assert "RuntimeError: boom" in caplog.text


async def test_routing_auth_and_subprotocol_rules() -> None:
    async def handler(stream: JambonzAudioStream) -> None:
        await stream.close()

    app = audio_app(handler)
    async with Simulator(app, basic_auth=("u", "p")) as sim:
        ok = await sim.audio("/audio/")  # trailing slash and simulator creds
        assert await ok.wait_closed() == 1000
        with pytest.raises(InvalidStatus) as info:
            await sim.audio("/audio", basic_auth=("u", "wrong"))
        assert info.value.response.status_code == 401
        with pytest.raises(InvalidStatus) as info:
            await sim.audio("/elsewhere")
        assert info.value.response.status_code == 404
        with pytest.raises(InvalidStatus) as info:
            await sim.audio("/audio", subprotocols=["something.else"])
        assert info.value.response.status_code == 400
        with pytest.raises(InvalidStatus) as info:  # a control socket to an audio path
            await sim.connect("/audio")
        assert info.value.response.status_code == 404
        bare = await sim.audio("/audio", subprotocols=[])  # media server without subprotocol
        assert bare.ws.subprotocol is None
        assert await bare.wait_closed() == 1000


async def test_no_metadata_within_open_timeout_closes_1008(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(stream: JambonzAudioStream) -> None:
        raise AssertionError("never called")

    async with Simulator(audio_app(handler), open_timeout=0.2) as sim:
        from websockets.asyncio.client import connect

        ws = await connect(sim.url + "/audio", subprotocols=["audio.drachtio.org"])  # type: ignore[list-item]
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 1008
    assert "no metadata within 0.2 s" in caplog.text


def test_registration_errors_name_the_problem() -> None:
    app = App()

    async def vonage_handler(stream: VonageAudioStream) -> None:
        return None

    async def jambonz_handler(stream: JambonzAudioStream) -> None:
        return None

    with pytest.raises(ConfigurationError, match="takes VonageAudioStream"):
        app.on_audio("/a")(vonage_handler)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="'twilio' is not one of 'jambonz', 'vonage'"):
        app.on_audio("/a", platform="twilio")  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="must start with '/'"):
        app.on_audio("a")
    app.on_audio("/a")(jambonz_handler)
    app.on_audio("/a", platform="vonage")(vonage_handler)  # same path, other platform: fine
    with pytest.raises(ConfigurationError, match="two on_audio"):
        app.on_audio("/a/")(jambonz_handler)
    assert app.audio_paths == (("/a", "jambonz"), ("/a", "vonage"))
    assert app.paths == ()
    JambonzServer(app)  # an audio-only app is servable
    other = App()
    other.on_audio("/a")(jambonz_handler)
    with pytest.raises(ConfigurationError, match="two apps claim jambonz audio path '/a'"):
        JambonzServer([app, other])
    with pytest.raises(ConfigurationError, match="no on_session"):
        JambonzServer(App())


async def test_shutdown_closes_open_audio_streams_with_1001() -> None:
    from jambonz_runtime.testing import JambonzAudioClient

    started = asyncio.Event()

    async def handler(stream: JambonzAudioStream) -> None:
        started.set()
        async for _ in stream:
            pass

    server = JambonzServer(audio_app(handler), shutdown_timeout=0.1)
    await server.start()
    client = await JambonzAudioClient.connect(server.url, "/audio")
    await wait(started)
    await server.shutdown()
    assert await client.wait_closed() == 1001
