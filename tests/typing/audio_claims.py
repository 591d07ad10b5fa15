"""Static typing claims of the audio API (checked by mypy via test_typing.py).

Positives use ``assert_type``; each ``# type: ignore[code]`` line must fail, or mypy's
``warn_unused_ignores`` fails the suite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

from typing_extensions import assert_type

from jambonz_runtime import (
    App,
    AudioEvent,
    DtmfEvent,
    JambonzAudioMetadata,
    JambonzAudioStream,
    MarkEvent,
    PlayDoneEvent,
    VonageAudioMetadata,
    VonageAudioStream,
)

app = App()


@app.on_audio("/audio")
async def jambonz(stream: JambonzAudioStream) -> None:
    assert_type(stream.metadata, JambonzAudioMetadata)
    assert_type(stream.metadata.call_sid, str)
    assert_type(stream.metadata.sample_rate, int)
    assert_type(stream.metadata.from_, str | None)
    assert_type(stream.sample_rate, int)
    async for frame in stream:
        assert_type(frame, bytes)
    assert_type(stream.events(), AsyncIterator[bytes | AudioEvent])
    async for item in stream.events():
        if isinstance(item, DtmfEvent):
            assert_type(item.digit, str)
        elif isinstance(item, MarkEvent):
            assert_type(item.event, Literal["playout", "cleared"])

    @stream.on_play_done
    def done(event: PlayDoneEvent) -> None:
        assert_type(event.id, str | None)

    stream.on_dtmf(lambda event: None)
    stream.on_dtmf(lambda event: event.digit)  # type: ignore[arg-type,return-value]
    await stream.play_audio(b"", content_type="wav", queue=True)
    await stream.play_audio(b"", content_type="mp3")  # type: ignore[arg-type]
    await stream.send_audio("text")  # type: ignore[arg-type]
    await stream.flush()  # type: ignore[attr-defined]  # Vonage only


@app.on_audio("/vonage", platform="vonage")
async def vonage(stream: VonageAudioStream) -> None:
    assert_type(stream.metadata, VonageAudioMetadata)
    assert_type(stream.metadata.headers, dict[str, object])  # type: ignore[assert-type]
    assert_type(stream.frame_bytes, int)
    await stream.mark("m")
    await stream.flush()
    await stream.play_audio(b"")  # type: ignore[attr-defined]  # jambonz only
    stream.on_play_done(print)  # type: ignore[attr-defined]


# a handler for the other platform's stream does not fit the decorator
app.on_audio("/wrong")(vonage)  # type: ignore[arg-type]
app.on_audio("/wrong", platform="vonage")(jambonz)  # type: ignore[arg-type]
app.on_audio("/wrong", platform="twilio")  # type: ignore[call-overload]
