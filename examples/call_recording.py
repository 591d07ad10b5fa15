"""Call recording: the caller starts, pauses, resumes and stops SIPREC recording by keypad.

Recording is controlled with session commands while the call runs (``record`` with
``startCallRecording`` etc.; jambonz never acks commands). The SIPREC server comes from
a typed, required env var. Press 1 to start, 2 to pause, 3 to resume, 4 to stop;
anything else ends the call.
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import App, EnvVar, Session, serve
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback

__all__ = ["MENU", "app"]

MENU = "Press 1 to record, 2 to pause, 3 to resume, 4 to stop."

app = App(
    env_vars={
        "SIPREC_SERVER": EnvVar(type="string", description="SIPREC server SIP URI", required=True),
    }
)


def menu(prompt: str) -> Verbs:
    """Say ``prompt``, then wait for one digit."""
    return Verbs().gather(
        input=["digits"], num_digits=1, timeout=30, action_hook=key, say={"text": prompt}
    )


@app.action_hook("/key")
async def key(session: Session, pressed: GatherCallback) -> Verbs:
    """Act on the digit, then offer the menu again."""
    recording_id = f"rec-{session.call_sid}"
    if pressed.digits == "1":
        await session.start_recording(
            type="siprec",
            siprec_server_url=str(session.env["SIPREC_SERVER"]),
            recording_id=recording_id,
            headers={"X-Call-Reason": "demo"},
        )
        session.state["recording"] = True
        return menu("Recording started.")
    if pressed.digits == "2":
        await session.pause_recording(type="siprec")
        return menu("Recording paused.")
    if pressed.digits == "3":
        await session.resume_recording(type="siprec")
        return menu("Recording resumed.")
    if pressed.digits == "4":
        await session.stop_recording(type="siprec")
        session.state["recording"] = False
        return menu("Recording stopped.")
    if session.state.get("recording"):
        await session.stop_recording(type="siprec")
    return Verbs().say(text="Goodbye.").hangup()


@app.on_session("/record")
async def start(session: Session, call: SessionNewCallback) -> Verbs:
    """Greet and offer the menu."""
    return menu(f"This call can be recorded. {MENU}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
