"""Audio echo: the caller hears themselves, over jambonz or over Vonage, with one handler body.

jambonz: the call hook ``/`` answers with a ``listen`` verb in bidirectional
*streaming* mode, so jambonz's media server opens an audio socket to ``/echo`` on the
same server and port, and plays whatever binary audio comes back.

Vonage: point an NCCO at the same path, e.g. ``[{"action": "connect", "endpoint":
[{"type": "websocket", "uri": "wss://<host>/echo", "content-type":
"audio/l16;rate=16000"}]}]``. Vonage offers no subprotocol, which is how the server
tells its socket from jambonz's on the same path; audio going back is cut into exact
20 ms frames and paced to Vonage's buffer by the runtime.

Press ``#`` to end the echo.
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import (
    App,
    DtmfEvent,
    JambonzAudioStream,
    Session,
    VonageAudioStream,
    serve,
)
from jambonz_types import Verbs
from jambonz_types.callbacks import SessionNewCallback
from jambonz_types.components import BidirectionalAudio

__all__ = ["SAMPLE_RATE", "app", "echo"]

SAMPLE_RATE = 16000

app = App()


@app.on_session("/")
async def start(session: Session, call: SessionNewCallback) -> Verbs:
    """Explain, then stream the call audio to ``/echo`` and play back what comes back."""
    return (
        Verbs()
        .say(text="Say something and you will hear it back. Press pound to stop.")
        .listen(
            url="/echo",
            sample_rate=SAMPLE_RATE,
            pass_dtmf=True,
            bidirectional_audio=BidirectionalAudio(
                enabled=True, streaming=True, sample_rate=SAMPLE_RATE
            ),
        )
        .say(text="Echo finished. Goodbye.")
        .hangup()
    )


async def echo(stream: JambonzAudioStream | VonageAudioStream) -> None:
    """Send every frame straight back; ``#`` ends the stream (same code on both platforms)."""

    async def on_dtmf(event: DtmfEvent) -> None:
        if event.digit == "#":
            await stream.disconnect()

    stream.on_dtmf(on_dtmf)
    stream.log.info("echoing %d Hz audio", stream.sample_rate)
    async for frame in stream:
        await stream.send_audio(frame)


@app.on_audio("/echo")
async def echo_jambonz(stream: JambonzAudioStream) -> None:
    """The listen verb's audio socket."""
    await echo(stream)


@app.on_audio("/echo", platform="vonage")
async def echo_vonage(stream: VonageAudioStream) -> None:
    """A Vonage websocket."""
    await echo(stream)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
