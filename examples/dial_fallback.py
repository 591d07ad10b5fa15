"""Dial with fallback: try the first number; if nobody answers, try the next, then give up.

The dial's ``action_hook`` gets a typed ``DialCallback`` (``dial_call_status`` is a
Literal), so the fallback logic is checked by mypy.
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import App, Session, serve
from jambonz_types.callbacks import DialCallback, SessionNewCallback
from jambonz_types.components import Target
from jambonz_types.verbs import Dial, Hangup, Say

__all__ = ["NUMBERS", "app"]

NUMBERS = ("+15085551212", "+15085553434")

app = App()


def dial(index: int) -> Dial:
    """Dial ``NUMBERS[index]``, reporting to the fallback hook."""
    return Dial(
        target=[Target(type="phone", number=NUMBERS[index])],
        action_hook=dial_done.path,
        timeout=20,
    )


@app.action_hook("/dial-done")
async def dial_done(session: Session, result: DialCallback) -> list[Say | Dial | Hangup]:
    """After a dial: done if it was answered, else the next number, else give up."""
    index = int(str(session.state.get("index", 0)))
    if result.dial_call_status == "completed":
        return [Hangup()]
    if index + 1 < len(NUMBERS):
        session.state["index"] = index + 1
        return [Say(text="Trying another number."), dial(index + 1)]
    return [Say(text="Nobody is available. Please call back later."), Hangup()]


@app.on_session("/")
async def start(session: Session, call: SessionNewCallback) -> list[Say | Dial]:
    """Try the first number."""
    session.state["index"] = 0
    return [Say(text="Please hold while we connect you."), dial(0)]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
