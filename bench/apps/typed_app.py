"""The bench apps written with this project (jambonz-typed): what a user would write.

Two apps on one server: ``/echo`` (gather, then say back what was heard, three times
per call in the bench) and ``/tts`` (stream 20 tokens through ``session.tts`` with the
server's backpressure rules, then flush). Every inbound message is parsed into its
typed model (``call:status`` too, by registering a handler for it) and every outbound
verb is validated when it is built.

    python bench/apps/typed_app.py --port 3000 [--deflate] [--transport asyncio] [--loop asyncio]

The event loop is chosen as ``jambonz-typed serve`` chooses it (``jambonz_runtime.run``):
uvloop when installed (the ``uvloop`` extra), else asyncio's own; ``--loop asyncio``
forces the standard loop.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Literal

from jambonz_runtime import App, JambonzServer, Session
from jambonz_runtime import run as run_loop
from jambonz_runtime._loop import freeze_gc
from jambonz_types import Verbs
from jambonz_types.callbacks import CallStatusCallback, GatherCallback, SessionNewCallback

__all__ = ["TOKENS", "app", "main", "run"]

TOKENS = [
    f"Sentence {i:02d} of the answer, streamed to jambonz by the app.".ljust(60) for i in range(20)
]

app = App()


@app.action_hook("/echo")
async def echo(session: Session, result: GatherCallback) -> Verbs:
    """Say back what was heard, then listen again."""
    heard = "nothing"
    if result.speech and result.speech.alternatives:
        heard = result.speech.alternatives[0].transcript or heard
    return (
        Verbs()
        .say(text=f"You said: {heard}")
        .gather(
            input=["speech", "digits"],
            action_hook=echo,
            timeout=10,
            say={"text": "Say something else."},
        )
    )


@app.on_session("/echo")
async def start(session: Session, call: SessionNewCallback) -> Verbs:
    """Start listening."""
    return Verbs().gather(
        input=["speech", "digits"],
        action_hook=echo,
        timeout=10,
        say={"text": "Say something and I will echo it."},
    )


@app.on("call:status")
async def status(session: Session, event: CallStatusCallback) -> None:
    """Call status notifications (parsed into their model; nothing to do)."""


async def stream(session: Session) -> None:
    """Stream the tokens like an LLM would, then flush once all are accepted."""
    results = await asyncio.gather(*(session.tts.send_nowait(token) for token in TOKENS))
    if all(r.status == "ok" for r in results):
        await session.tts.flush()


@app.on_session("/tts")
async def tts(session: Session, call: SessionNewCallback) -> Verbs:
    """Ack with a streaming say, and stream the answer from a task."""
    session.state["stream"] = asyncio.get_running_loop().create_task(stream(session))
    return Verbs().say(stream=True, close_stream_on_empty=False)


async def run(
    port: int, *, deflate: bool = False, transport: Literal["direct", "asyncio"] = "direct"
) -> None:
    """Serve the bench apps on 127.0.0.1:``port`` until cancelled."""
    compression: Literal["deflate"] | None = "deflate" if deflate else None
    async with JambonzServer(
        app, host="127.0.0.1", port=port, compression=compression, transport=transport
    ) as server:
        freeze_gc(asyncio.get_running_loop())  # as jambonz_runtime.serve() does
        await server.serve_forever()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--deflate", action="store_true", help="accept permessage-deflate")
    parser.add_argument("--transport", choices=["direct", "asyncio"], default="direct")
    parser.add_argument("--loop", choices=["auto", "uvloop", "asyncio"], default="auto")
    args = parser.parse_args()
    run_loop(run(args.port, deflate=args.deflate, transport=args.transport), loop=args.loop)


if __name__ == "__main__":
    main()
