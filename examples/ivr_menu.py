"""IVR menu: press 1 for sales, 2 for support, anything else repeats the menu.

Several typed hooks, per-call state kept in ``session.state`` (it survives reconnects),
and a catch-all error reply: if a handler raises, the caller hears an apology and the
call ends instead of waiting in silence.
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import App, Session, serve
from jambonz_types.callbacks import GatherCallback, SessionNewCallback
from jambonz_types.verbs import Gather, Hangup, Say

__all__ = ["MENU", "app"]

MENU = "For sales press 1. For support press 2."

app = App(error_reply=[Say(text="Sorry, something went wrong. Goodbye."), Hangup()])


@app.action_hook("/menu")
async def menu(session: Session, choice: GatherCallback) -> list[Say | Gather | Hangup]:
    """Route the caller by the digit pressed."""
    tries = int(str(session.state.get("tries", 0))) + 1
    session.state["tries"] = tries
    if choice.digits == "1":
        return [Say(text="Connecting you to sales."), Hangup()]
    if choice.digits == "2":
        return [Say(text="Connecting you to support."), Hangup()]
    if tries >= 3:
        return [Say(text="Goodbye."), Hangup()]
    return [Say(text="Sorry, I did not get that."), main_menu()]


def main_menu() -> Gather:
    """The menu prompt as a one-digit gather."""
    return Gather(input=["digits"], num_digits=1, action_hook=menu.path, say={"text": MENU})


@app.on_session("/ivr")
async def start(session: Session, call: SessionNewCallback) -> list[Say | Gather]:
    """Welcome, then the menu."""
    return [Say(text="Welcome to Example Corp."), main_menu()]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
