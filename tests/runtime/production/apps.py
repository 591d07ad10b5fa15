"""The app the production-serving tests run, in-process and as real worker processes.

``python -m jambonz_runtime serve tests.runtime.production.apps:app`` serves it; every
instance builds the same app (what deploying one image to several replicas does).
"""

from __future__ import annotations

import asyncio
import os

from pydantic import BaseModel

from jambonz_runtime import App, Session
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback

__all__ = ["CallState", "app", "first_text", "make_app"]


def first_text(data: object) -> str:
    """The ``text`` of the first verb of an ack's data (a say)."""
    assert isinstance(data, list)
    assert data
    verb = data[0]
    assert isinstance(verb, dict)
    return str(verb["text"])


class CallState(BaseModel):
    """What the caller has done so far: survives drops, processes and deploys."""

    digits: list[str] = []
    hooks: int = 0


def make_app() -> App[Session[CallState]]:
    """A fresh app: a gather, whose hook records the digit in the typed state."""
    app = App(state=CallState, name="production-test")

    @app.action_hook("/menu")
    async def menu(session: Session[CallState], result: GatherCallback) -> Verbs:
        session.state.hooks += 1
        session.state.digits.append(result.digits or "")
        if result.digits == "slow":  # keeps a hook in flight (drain tests)
            await asyncio.sleep(0.5)
        heard = ",".join(session.state.digits)
        return (
            Verbs()
            .say(text=f"heard {heard} pid {os.getpid()}")
            .gather(input=["digits"], action_hook=menu)
        )

    @app.on_session("/")
    async def start(session: Session[CallState], call: SessionNewCallback) -> Verbs:
        return Verbs().say(text=f"pid {os.getpid()}").gather(input=["digits"], action_hook=menu)

    return app


app = make_app()
