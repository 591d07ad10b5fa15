"""Echo as a linear call flow: listen, say back what was heard, until the caller hangs up.

The hook-style ``echo.py`` needs a named hook, a handler and ``session.state``; here the
conversation is a ``while`` loop. ``await call.gather(...)`` yields a ``GatherCallback``
(mypy knows ``result.reason`` and ``result.digits``), and the verbs awaited next are the
ack of that gather's hook. When the caller hangs up, the pending ``await`` raises
``CallEnded``: the ``finally`` block runs, and the runtime ends the flow quietly.
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import App, CallFlow, serve
from jambonz_types.callbacks import GatherCallback

__all__ = ["app", "echo", "heard"]

app = App()


def heard(result: GatherCallback) -> str | None:
    """What the caller said or pressed, if anything."""
    if result.reason == "dtmfDetected" and result.digits:
        return f"you pressed {' '.join(result.digits)}"
    if result.reason == "speechDetected" and result.speech and result.speech.alternatives:
        transcript = result.speech.alternatives[0].transcript
        if transcript:
            return f"you said: {transcript}"
    return None


@app.flow("/")
async def echo(call: CallFlow) -> None:
    """Say back each result, then listen again."""
    turns = 0
    try:
        result = await call.gather(
            input=["speech", "digits"],
            timeout=10,
            say={"text": "Say something, or press some keys, and I will echo it."},
        )
        while True:
            turns += 1
            result = await call.say(text=heard(result) or "I did not catch that").gather(
                input=["speech", "digits"], timeout=10, say={"text": "Say or press something else."}
            )
    finally:
        call.log.info("echo flow over after %d turn(s)", turns)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
