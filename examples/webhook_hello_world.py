"""Hello world as an HTTP webhook app (the same app also runs over the websocket).

The handler takes a ``CallContext`` (not a websocket ``Session``), so one ``App`` serves
both transports: ``asgi`` for jambonz applications whose call hook is an ``http(s)://``
URL, ``serve(app)`` for a ``ws(s)://`` one.

Run (needs an ASGI server, e.g. ``pip install uvicorn``)::

    PYTHONPATH=src uvicorn examples.webhook_hello_world:asgi --port 3000

and point a jambonz application's call hook at ``http://<this host>:3000/`` (method
POST) and its call status hook at ``http://<this host>:3000/call-status``. Set
``JAMBONZ_WEBHOOK_SECRET`` to the account's webhook secret to have every request's
``Jambonz-Signature`` checked.
"""

from __future__ import annotations

import importlib
import logging
import os

from jambonz_runtime import App, CallContext, WebhookApp
from jambonz_types import Verbs
from jambonz_types.callbacks import CallStatusCallback, SessionNewCallback

__all__ = ["app", "asgi"]

app = App[CallContext]()


@app.on_session("/")
async def hello(session: CallContext, call: SessionNewCallback) -> Verbs:
    """Greet the caller by number, then hang up."""
    return Verbs().say(text=f"Hello {call.from_ or 'there'}, this is jambonz typed.").hangup()


@app.on("call:status")
async def status(session: CallContext, event: CallStatusCallback) -> None:
    """Log each call status change (the call-status hook; its answer is ignored)."""
    session.log.info("call %s (sip %s)", event.call_status, event.sip_status)


asgi = WebhookApp(app, secret=os.environ.get("JAMBONZ_WEBHOOK_SECRET") or None)
"""The ASGI application: ``uvicorn examples.webhook_hello_world:asgi``."""


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        uvicorn = importlib.import_module("uvicorn")
    except ModuleNotFoundError:
        raise SystemExit("needs an ASGI server: pip install uvicorn") from None
    uvicorn.run(asgi, host="0.0.0.0", port=3000)
