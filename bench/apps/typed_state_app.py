"""The echo bench app with typed per-call state, optionally kept in a session store.

What a production app does on every hook: read and change its typed state (the turn
count and what was heard), so with a store every hook costs one fenced write before
its ack. Compare with ``typed_app.py`` (no state) through ``python -m bench.store``.

    python bench/apps/typed_state_app.py --port 3000 [--store redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio

from pydantic import BaseModel

from jambonz_runtime import App, JambonzServer, Session
from jambonz_types import Verbs
from jambonz_types.callbacks import CallStatusCallback, GatherCallback, SessionNewCallback

__all__ = ["EchoState", "app", "main"]


class EchoState(BaseModel):
    """The call's progress: survives drops, processes and deploys with a store."""

    turns: int = 0
    heard: list[str] = []


app = App(state=EchoState, name="bench-echo")


@app.action_hook("/echo")
async def echo(session: Session[EchoState], result: GatherCallback) -> Verbs:
    """Say back what was heard, then listen again."""
    heard = None
    if result.speech and result.speech.alternatives:
        heard = result.speech.alternatives[0].transcript
    session.state.turns += 1
    session.state.heard.append(heard or "nothing")
    return (
        Verbs()
        .say(text=f"You said: {heard or 'nothing'} (turn {session.state.turns})")
        .gather(input=["speech", "digits"], action_hook=echo, timeout=10)
    )


@app.on_session("/echo")
async def start(session: Session[EchoState], call: SessionNewCallback) -> Verbs:
    """Start listening."""
    return Verbs().gather(input=["speech", "digits"], action_hook=echo, timeout=10)


@app.on("call:status")
async def status(session: Session[EchoState], event: CallStatusCallback) -> None:
    """Call status notifications (parsed into their model; nothing to do)."""


async def run(port: int, store: str | None) -> None:
    """Serve on 127.0.0.1:``port`` until cancelled."""
    async with JambonzServer(app, host="127.0.0.1", port=port, store=store) as server:
        await server.serve_forever()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", help="session store URL (default: none, in memory)")
    args = parser.parse_args()
    asyncio.run(run(args.port, args.store))


if __name__ == "__main__":
    main()
