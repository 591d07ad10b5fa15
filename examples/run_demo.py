"""Demo: run the echo example against the jambonz simulator and print the conversation.

    PYTHONPATH=src:. python examples/run_demo.py

No jambonz account or network needed: the simulator plays jambonz over a loopback
websocket, exactly as the real server talks to an app.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from jambonz_types.callbacks import GatherCallback
from jambonz_types.callbacks.gather import Alternative, Speech

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples.echo import app
from jambonz_runtime.testing import ReceivedAck, Simulator

__all__ = ["main"]


def show(ack: ReceivedAck) -> None:
    """Print what the app told jambonz to do."""
    for verb in ack.data:
        if isinstance(verb, dict):
            name = verb.get("verb")
            say = verb.get("say")
            text = verb.get("text") or (say.get("text") if isinstance(say, dict) else None)
            print(f"  app  -> {name}: {text}" if text else f"  app  -> {name}")


async def main() -> None:
    """Place one simulated call to the echo app."""
    async with Simulator(app) as sim:
        call = await sim.call(from_="+15551230000")
        print(f"jambonz: new call {call.call_sid} from +15551230000")
        show(await call.expect_ack(call.session_msgid))
        print("caller presses 4 2")
        msgid = await call.hook("/echo", GatherCallback(reason="dtmfDetected", digits="42"))
        show(await call.expect_ack(msgid))
        print('caller says "hello typed world"')
        speech = Speech(alternatives=[Alternative(transcript="hello typed world", confidence=0.93)])
        msgid = await call.hook("/echo", GatherCallback(reason="speechDetected", speech=speech))
        show(await call.expect_ack(msgid))
        print("caller hangs up")
        await call.hangup()


if __name__ == "__main__":
    asyncio.run(main())
