"""The audio examples (record to WAV, echo on both platforms), driven through the simulator."""

from __future__ import annotations

import asyncio
import re
import wave
from pathlib import Path

import mypy.api
import pytest

from examples import audio_echo, audio_record_wav
from jambonz_runtime import App
from jambonz_runtime.testing import ManualClock, Simulator

ROOT = Path(__file__).resolve().parents[3]


async def test_record_wav_writes_the_call_audio_as_stereo_wav(tmp_path: Path) -> None:
    saved: asyncio.Queue[Path] = asyncio.Queue()
    app = audio_record_wav.build_app(tmp_path / "rec", on_saved=saved.put_nowait)
    async with Simulator(app) as sim:
        call = await sim.call()
        ack = await call.expect_ack(call.session_msgid)
        assert ack.verb_names == ["say", "listen", "say"]
        listen = ack.data[1]
        assert isinstance(listen, dict)
        assert listen["url"] == "/record-audio"
        assert (listen["mixType"], listen["sampleRate"]) == ("stereo", 16000)
        client = await sim.audio(
            str(listen["url"]), sample_rate=16000, mix_type="stereo", call_sid=call.call_sid
        )
        # 2.5 s of stereo audio in 20 ms frames, then an odd-sized tail
        frames = [(i % 251).to_bytes(2, "little") * 2 * 320 for i in range(125)]
        for frame in frames:
            await client.send_audio(frame)
        await client.send_audio(b"\x01\x02\x03\x04\x05\x06")
        await client.send_dtmf("1")
        await client.send_dtmf("#")
        assert await client.expect_command("disconnect") == {"type": "disconnect"}
        await client.close()  # jambonz closes the socket when the listen verb ends
        path = await asyncio.wait_for(saved.get(), 5)
    assert path == tmp_path / "rec" / f"{call.call_sid}.wav"
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 16000)
        assert wav.getnframes() == 125 * 320 + 1  # the split sample pair is not written
        assert wav.readframes(wav.getnframes()) == b"".join(frames) + b"\x01\x02\x03\x04"


async def test_echo_jambonz_plays_back_every_frame_and_hash_disconnects() -> None:
    async with Simulator(audio_echo.app) as sim:
        call = await sim.call()
        ack = await call.expect_ack(call.session_msgid)
        listen = ack.data[1]
        assert isinstance(listen, dict)
        assert listen["bidirectionalAudio"] == {
            "enabled": True,
            "streaming": True,
            "sampleRate": 16000,
        }
        client = await sim.audio("/echo", sample_rate=16000, call_sid=call.call_sid)
        sent = b"".join(i.to_bytes(2, "little") * 320 for i in range(100))
        for i in range(0, len(sent), 640):
            await client.send_audio(sent[i : i + 640])
        assert await client.wait_audio(len(sent)) == sent
        await client.send_dtmf("#")
        await client.expect_command("disconnect")
        await client.close()


async def test_echo_vonage_same_path_exact_frames_paced() -> None:
    clock = ManualClock()
    async with Simulator(audio_echo.app, audio_clock=clock) as sim:
        client = await sim.vonage("/echo", sample_rate=16000, clock=clock)
        sent = b"".join(i.to_bytes(2, "little") * 320 for i in range(400))  # 8 s, sent at once
        for i in range(0, len(sent), 1000):  # in chunks that are not frames
            await client.send_audio(sent[i : i + 1000])
        await client.wait_frames(250)
        while len(client.audio_frames) < len(sent) // 640:
            assert len(client.audio_frames) < 400
            await clock.wait_sleeping()
            clock.advance(0.2)
            await client.wait_frames(min(400, len(client.audio_frames) + 10))
        assert bytes(client.audio) == sent
        assert client.bad_frames == []
        assert client.overflowed == 0
        await client.send_dtmf("#")
        assert await client.wait_closed() == 1000


def _readme_audio_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Audio streams", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README.md: no python block under '## Audio streams'"
    return match.group(1)


def test_readme_audio_example_type_checks_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "readme_audio.py"
    source.write_text(_readme_audio_block(), encoding="utf-8")
    monkeypatch.chdir(ROOT)  # mypy_path in pyproject is relative to the working directory
    stdout, stderr, status = mypy.api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(source),
        ]
    )
    assert status == 0, stdout + stderr


async def test_readme_audio_example_runs() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_readme_audio_block(), "README.md", "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, App)
    async with Simulator(app) as sim:
        client = await sim.audio("/echo", metadata={"k": "v"})
        await client.send_dtmf("3")
        await client.send_audio(b"\x01\x00" * 80)
        assert await client.wait_audio(160) == b"\x01\x00" * 80
        vonage = await sim.vonage("/echo", sample_rate=8000)
        await vonage.send_audio(b"\x02\x00" * 160)
        assert await vonage.wait_audio(320) == b"\x02\x00" * 160
