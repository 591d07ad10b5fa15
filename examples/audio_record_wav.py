"""Record a call to a WAV file through a listen verb's audio socket.

The call hook answers with a ``listen`` verb in stereo at 16 kHz (caller left, callee
right); jambonz's media server streams the audio to ``/record-audio`` on the same
server and port. Each call becomes ``<RECORDINGS_DIR>/<call sid>.wav``.

The file is written off the event loop (``asyncio.to_thread``) in one-second batches,
so a slow disk never delays another call. Pressing ``#`` ends the recording (the
listen verb then ends and the call goes on to the next verb).
"""

from __future__ import annotations

import asyncio
import logging
import os
import wave
from collections.abc import Callable
from pathlib import Path

from jambonz_runtime import App, DtmfEvent, JambonzAudioStream, Session, serve
from jambonz_types import Verbs
from jambonz_types.callbacks import SessionNewCallback

__all__ = ["app", "build_app"]


def _open_wav(path: Path, channels: int, sample_rate: int) -> wave.Wave_write:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = wave.open(str(path), "wb")  # closed by the handler
    writer.setnchannels(channels)
    writer.setsampwidth(2)  # L16
    writer.setframerate(sample_rate)
    return writer


def build_app(directory: Path, on_saved: Callable[[Path], object] | None = None) -> App:
    """The recording app, writing into ``directory``; ``on_saved(path)`` after each call."""
    app = App()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        """Announce, then record until ``#``, the hangup or 10 minutes."""
        return (
            Verbs()
            .say(text="This call is recorded. Press pound to stop recording.")
            .listen(
                url="/record-audio",
                mix_type="stereo",
                sample_rate=16000,
                pass_dtmf=True,
                max_length=600,
                metadata={"purpose": "recording"},
            )
            .say(text="Recording stopped.")
        )

    @app.on_audio("/record-audio")
    async def record(stream: JambonzAudioStream) -> None:
        """Append every frame to ``<call sid>.wav``."""

        async def on_dtmf(event: DtmfEvent) -> None:
            if event.digit == "#":
                await stream.disconnect()

        stream.on_dtmf(on_dtmf)
        path = directory / f"{stream.metadata.call_sid}.wav"
        writer = await asyncio.to_thread(_open_wav, path, stream.channels, stream.sample_rate)
        batch = 2 * stream.channels * stream.sample_rate  # one second of audio
        pending = bytearray()
        try:
            async for frame in stream:
                pending += frame
                if len(pending) >= batch:
                    chunk = bytes(pending)
                    pending.clear()
                    await asyncio.to_thread(writer.writeframes, chunk)
        finally:
            if pending:
                await asyncio.to_thread(writer.writeframes, bytes(pending))
            await asyncio.to_thread(writer.close)
        stream.log.info("saved %s (%d bytes of audio)", path, stream.bytes_received)
        if on_saved is not None:
            on_saved(path)

    return app


app = build_app(Path(os.environ.get("RECORDINGS_DIR", "recordings")))

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
