"""Hello world: answer, say a sentence, hang up.

Run: ``PYTHONPATH=src python examples/hello_world.py`` and point a jambonz application's
call hook at ``ws://<this host>:3000/``.
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import App, Session, serve
from jambonz_types.callbacks import SessionNewCallback
from jambonz_types.verbs import Hangup, Say

__all__ = ["app"]

app = App()


@app.on_session("/")
async def hello(session: Session, call: SessionNewCallback) -> list[Say | Hangup]:
    """Greet the caller by number, then hang up."""
    return [Say(text=f"Hello {call.from_ or 'there'}, this is jambonz typed."), Hangup()]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
