"""IVR menu as a linear call flow: the same menu as ``ivr_menu.py``, read top to bottom.

No hooks to name, no ``session.state``: the retry count is a loop variable, each
``await`` sends the verbs and returns the typed result (``GatherCallback`` for the
gather, ``DialCallback`` for the dial), and the runtime acks every hook with the verbs
the flow sends next. If the flow raises, the caller hears the app's error reply.
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import App, CallFlow, serve
from jambonz_types.components import Target
from jambonz_types.verbs import Hangup, Say

__all__ = ["MENU", "SALES", "SUPPORT", "app", "ivr"]

MENU = "For sales press 1. For support press 2."
SALES = "+15085551212"
SUPPORT = "+15085553434"

app = App(error_reply=[Say(text="Sorry, something went wrong. Goodbye."), Hangup()])


@app.flow("/ivr")
async def ivr(call: CallFlow) -> None:
    """Welcome, up to three tries at the menu, then connect or say goodbye."""
    intro = "Welcome to Example Corp."
    for _ in range(3):
        choice = await call.say(text=intro).gather(
            input=["digits"], num_digits=1, timeout=10, say=Say(text=MENU)
        )
        if choice.digits in ("1", "2"):
            team, number = ("sales", SALES) if choice.digits == "1" else ("support", SUPPORT)
            dialed = await call.say(text=f"Connecting you to {team}.").dial(
                target=[Target(type="phone", number=number)], timeout=20
            )
            if dialed.dial_call_status != "completed":
                await call.say(text=f"Sorry, {team} is not available. Goodbye.").hangup()
            else:
                await call.hangup()
            return
        intro = "Sorry, I did not get that."
    await call.say(text="Goodbye.").hangup()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
