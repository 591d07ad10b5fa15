"""IVR menu as a signed HTTP webhook app: press 1 for sales, 2 for support.

Typed hooks (``/menu`` gets a ``GatherCallback``), per-call state carried from hook to
hook (``session.state``; kept in this process from the call hook to the final call
status), the app's env vars discovered by the portal with ``OPTIONS``, an error reply
for handler failures, and every request's ``Jambonz-Signature`` checked against the
account's webhook secret (a bad or missing one gets 401 and a log line).

Transferring a caller to a live agent later, from outside the call flow, is a REST call
(``RestClient.calls.redirect``); see ``examples/rest_outbound_call.py``.

Run::

    JAMBONZ_WEBHOOK_SECRET=... PYTHONPATH=src uvicorn examples.webhook_ivr_menu:asgi --port 3000

with the application's call hook ``http://<this host>:3000/ivr`` (POST) and status hook
``http://<this host>:3000/call-status``.
"""

from __future__ import annotations

import importlib
import logging
import os

from jambonz_runtime import App, CallContext, EnvVar, WebhookApp
from jambonz_types import Verbs
from jambonz_types.callbacks import CallStatusCallback, GatherCallback, SessionNewCallback
from jambonz_types.verbs import Hangup, Say

__all__ = ["app", "asgi", "build_asgi"]

app = App[CallContext](
    env_vars={
        "COMPANY": EnvVar(type="string", description="Company name", default="Example Corp"),
        "MAX_TRIES": EnvVar(type="number", description="Menu attempts", default=3),
    },
    error_reply=[Say(text="Sorry, something went wrong. Goodbye."), Hangup()],
)


def main_menu(verbs: Verbs) -> Verbs:
    """Append the menu prompt as a one-digit gather."""
    return verbs.gather(
        input=["digits"],
        num_digits=1,
        timeout=8,
        action_hook=menu,
        say={"text": "For sales press 1. For support press 2."},
    )


@app.action_hook("/menu")
async def menu(session: CallContext, choice: GatherCallback) -> Verbs:
    """Route the caller by the digit pressed; give up after MAX_TRIES."""
    tries = int(str(session.state.get("tries", 0))) + 1
    session.state["tries"] = tries
    if choice.digits == "1":
        return Verbs().say(text="Connecting you to sales.").hangup()
    if choice.digits == "2":
        return Verbs().say(text="Connecting you to support.").hangup()
    if tries >= int(session.env["MAX_TRIES"]):
        return Verbs().say(text="Goodbye.").hangup()
    return main_menu(Verbs().say(text="Sorry, I did not get that."))


@app.on_session("/ivr")
async def start(session: CallContext, call: SessionNewCallback) -> Verbs:
    """Welcome, then the menu."""
    return main_menu(Verbs().say(text=f"Welcome to {session.env['COMPANY']}."))


@app.on("call:status")
async def status(session: CallContext, event: CallStatusCallback) -> None:
    """Log how the call ended, with the number of menu attempts."""
    if event.call_status == "completed":
        session.log.info("call completed after %s menu tries", session.state.get("tries", 0))


def build_asgi(secret: str | None) -> WebhookApp:
    """The ASGI app, checking signatures with ``secret`` (``None``: unchecked)."""
    return WebhookApp(app, secret=secret)


asgi = build_asgi(os.environ.get("JAMBONZ_WEBHOOK_SECRET") or None)
"""The ASGI application: ``uvicorn examples.webhook_ivr_menu:asgi``."""


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        uvicorn = importlib.import_module("uvicorn")
    except ModuleNotFoundError:
        raise SystemExit("needs an ASGI server: pip install uvicorn") from None
    uvicorn.run(asgi, host="0.0.0.0", port=3000)
