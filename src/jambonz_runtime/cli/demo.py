"""``python -m jambonz_runtime.demo``: one simulated call to an echo app, printed.

Why it ships in the package: it is the README's one-line proof that the runtime works
with no jambonz account and no network. It starts an echo app in-process, plays jambonz
against it with :mod:`jambonz_runtime.testing` over a loopback websocket, and prints the
conversation: what the caller hears, what they say or press, and the call status.
:func:`run` takes any app with the same shape (a gather whose action hook echoes), so
``examples/run_demo.py`` drives ``examples/echo.py`` through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pydantic import JsonValue

from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback
from jambonz_types.callbacks.gather import GatherCallbackSpeech, GatherCallbackSpeechAlternative

from ..app import App
from ..session import Session
from ..testing import ReceivedAck, Simulator

__all__ = ["echo_app", "main", "run"]


def echo_app() -> App:
    """A minimal echo app: gather speech or digits, say back what was heard, repeat."""
    app = App()

    def listen(verbs: Verbs, text: str) -> Verbs:
        return verbs.gather(input=["speech", "digits"], action_hook=echo, say={"text": text})

    @app.action_hook("/echo")
    async def echo(session: Session, result: GatherCallback) -> Verbs:
        if result.reason == "dtmfDetected" and result.digits:
            text = f"you pressed {' '.join(result.digits)}"
        elif result.speech and result.speech.alternatives:
            text = f"you said: {result.speech.alternatives[0].transcript}"
        else:
            text = "I did not catch that"
        return listen(Verbs().say(text=text), "Say or press something else.")

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return listen(Verbs(), "Say something, or press some keys, and I will echo it.")

    return app


def _text(verb: dict[str, JsonValue]) -> str | None:
    say = verb.get("say")
    text = verb.get("text") if verb.get("verb") == "say" else None
    if text is None and isinstance(say, dict):
        text = say.get("text")
    return text if isinstance(text, str) else None


def _show(ack: ReceivedAck, out: Callable[[str], None]) -> str | None:
    """Print what the caller hears; return the hook of the gather that listens next."""
    hook: str | None = None
    for verb in ack.data:
        if not isinstance(verb, dict):
            continue
        text = _text(verb)
        if text is not None:
            out(f'  caller hears: "{text}"')
        if verb.get("verb") == "gather":
            action = verb.get("actionHook")
            hook = action if isinstance(action, str) else None
            out(f"  (jambonz listens: gather -> {hook})")
        elif verb.get("verb") not in ("say", None):
            out(f"  (jambonz runs: {verb.get('verb')})")
    return hook


async def run(app: App[Any], path: str = "/", out: Callable[[str], None] = print) -> None:
    """Place one simulated call to ``app`` at ``path`` and print the conversation."""
    async with Simulator(app) as sim:
        out(f"jambonz simulator -> app at {sim.url}{path} (loopback websocket, ws.jambonz.org)")
        call = await sim.call(path, from_="+15551230000", to="+15559870000")
        out(f"call {call.call_sid}: +15551230000 -> +15559870000, status: ringing")
        hook = _show(await call.expect_ack(call.session_msgid), out)
        await call.status("in-progress")
        out("status: in-progress")
        if hook is None:
            return
        out("  caller presses: 4 2")
        msgid = await call.hook(hook, GatherCallback(reason="dtmfDetected", digits="42"))
        hook = _show(await call.expect_ack(msgid), out) or hook
        out('  caller says: "hello typed world"')
        speech = GatherCallbackSpeech(
            alternatives=[
                GatherCallbackSpeechAlternative(transcript="hello typed world", confidence=0.93)
            ]
        )
        msgid = await call.hook(hook, GatherCallback(reason="speechDetected", speech=speech))
        hook = _show(await call.expect_ack(msgid), out) or hook
        out("  caller stays silent")
        msgid = await call.hook(hook, GatherCallback(reason="timeout"))
        _show(await call.expect_ack(msgid), out)
        await call.hangup()
        out("caller hangs up; status: completed")


def main() -> None:
    """Entry point of ``python -m jambonz_runtime.demo``."""
    asyncio.run(run(echo_app()))


if __name__ == "__main__":
    main()
