"""LLM streaming: speak an LLM's answer token by token, with backpressure and barge-in.

After each caller utterance the app acks the gather hook at once with a streaming
``say`` (``stream=True``: jambonz speaks whatever text arrives as ``tts:tokens``) and a
new gather, then streams the reply from a background task through ``session.tts``:

* ``session.tts.send()`` returns when jambonz accepted the text; if its 1,000-character
  buffer is full the streamer holds the text and resends it after ``stream_resumed``
  (nothing to do in the app);
* on barge-in (``tts:streaming-event`` ``user_interruption``) the runtime has already
  dropped the queued text and sent ``tts:clear`` before the app handler runs; the app
  only cancels its generation.

The "LLM" is canned so the example runs offline; swap :func:`generate` for a real one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from jambonz_runtime import App, Session, TtsStreamClosed, serve
from jambonz_types import Verbs
from jambonz_types.callbacks import (
    GatherCallback,
    SessionNewCallback,
    TtsStreamingEventCallback,
)

__all__ = ["app", "generate", "utterance"]

app = App()


async def generate(prompt: str) -> AsyncIterator[str]:
    """A stand-in LLM: yields the reply in small tokens."""
    reply = f"You said {prompt}. Here is a longer answer, streamed to you word by word."
    for word in reply.split(" "):
        yield word + " "


def utterance(result: GatherCallback) -> str | None:
    """The caller's transcript, if the gather heard speech."""
    if result.speech and result.speech.alternatives:
        return result.speech.alternatives[0].transcript
    return None


async def speak(session: Session, prompt: str) -> None:
    """Stream the reply; flush when it is all accepted (not after a barge-in)."""
    sends = [asyncio.ensure_future(session.tts.send(token)) async for token in generate(prompt)]
    try:
        results = await asyncio.gather(*sends)
    except TtsStreamClosed:
        return  # the call ended
    if all(r.status in ("ok", "skipped") for r in results):
        await session.tts.flush()
    session.state["last_reply"] = [r.status for r in results]


def listen() -> Verbs:
    """A streaming say (spoken from tts:tokens), then listen for the next utterance."""
    return (
        Verbs()
        .say(stream=True, close_stream_on_empty=False)
        .gather(input=["speech"], action_hook=heard, timeout=20)
    )


@app.action_hook("/heard")
async def heard(session: Session, result: GatherCallback) -> Verbs:
    """Ack at once; the reply streams from a background task."""
    prompt = utterance(result)
    if prompt is None:
        return Verbs().say(text="Are you still there?").gather(input=["speech"], action_hook=heard)
    session.state["reply_task"] = asyncio.get_running_loop().create_task(speak(session, prompt))
    return listen()


@app.on("tts:streaming-event")
async def stream_event(session: Session, event: TtsStreamingEventCallback) -> None:
    """Barge-in: the runtime already cleared the stream; stop generating."""
    if event.root.event_type == "user_interruption":
        session.state["interrupted"] = True
        task = session.state.get("reply_task")
        if isinstance(task, asyncio.Task):
            task.cancel()


@app.on_session("/llm")
async def start(session: Session, call: SessionNewCallback) -> Verbs:
    """Greet, then listen."""
    return Verbs().say(text="Hi! Ask me anything.").gather(input=["speech"], action_hook=heard)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
