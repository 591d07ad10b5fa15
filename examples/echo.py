"""Echo: gather speech or digits and say back what was heard, until the caller hangs up.

Shows a typed action hook: ``@app.action_hook`` returns a ``HookRef[GatherCallback]``,
so the gather's ``action_hook`` can only be wired to a handler of gather results.
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import App, Session, serve
from jambonz_types.callbacks import GatherCallback, SessionNewCallback
from jambonz_types.verbs import Gather, Say

__all__ = ["app", "heard", "prompt"]

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


@app.action_hook("/echo")
async def echo(session: Session, result: GatherCallback) -> list[Say | Gather]:
    """Say back the result, then listen again."""
    turns = int(str(session.state.get("turns", 0))) + 1
    session.state["turns"] = turns
    text = heard(result) or "I did not catch that"
    return [Say(text=text), prompt("Say or press something else.")]


def prompt(text: str) -> Gather:
    """A gather for speech or digits that sends its result to the echo hook."""
    return Gather(
        input=["speech", "digits"],
        action_hook=echo.path,
        timeout=10,
        say={"text": text},
    )


@app.on_session("/")
async def start(session: Session, call: SessionNewCallback) -> list[Gather]:
    """Start listening."""
    return [prompt("Say something, or press some keys, and I will echo it.")]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
