"""The app the fuzzer and the soak run against: a real server in its own process.

Paths: ``/`` answers ``session:new`` with a gather whose action hook is ``/menu``
(``/menu`` says back the digits: the canary call checks the exact text); ``/count``
keeps a per-call counter in ``session.state`` and answers ``<msgid>:<n>`` (the soak
checks that acks are not crossed and that state survives a reconnect); ``/slow``
answers after a short wait (so duplicate msgids and drops find hooks in flight);
``/audio`` echoes a listen verb's audio (only with ``--audio``, which also moves the
control sockets to websockets' asyncio server, as any app with audio paths is).

Logs go to stderr as ``LEVEL logger message`` lines at INFO, as a production app would
log; the first stdout line is ``PORT <n>``.

    python -m bench.apps.hostile_app [--audio] [--max-size BYTES] [--open-timeout S]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from jambonz_runtime import App, JambonzAudioStream, JambonzServer, Session
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback

__all__ = ["build_app", "main"]


def build_app(*, audio: bool) -> App:
    """The app under test (a function: each server process builds its own)."""
    app = App(error_reply=Verbs().say(text="error"))

    @app.action_hook("/menu")
    async def menu(session: Session, result: GatherCallback) -> Verbs:
        return Verbs().say(text=f"you pressed {result.digits}")

    @app.action_hook("/count")
    async def count(session: Session, result: GatherCallback) -> Verbs:
        n = int(str(session.state.get("n", 0))) + 1
        session.state["n"] = n
        if (result.digits or "").endswith("~"):  # the soak's "hook in flight"
            await asyncio.sleep(0.05)
        return Verbs().say(text=f"{result.digits}:{n}")

    @app.action_hook("/slow")
    async def slow(session: Session, result: GatherCallback) -> Verbs:
        await asyncio.sleep(0.2)
        return Verbs().say(text="slow")

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().gather(input=["digits"], num_digits=1, action_hook=menu)

    if audio:

        @app.on_audio("/audio")
        async def echo(stream: JambonzAudioStream) -> None:
            async for frame in stream:
                await stream.send_audio(frame)

    return app


async def run(args: argparse.Namespace) -> None:
    server = JambonzServer(
        build_app(audio=args.audio),
        host="127.0.0.1",
        port=0,
        max_message_size=args.max_size,
        open_timeout=args.open_timeout,
    )
    async with server:
        print(f"PORT {server.port}", flush=True)
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--audio", action="store_true", help="also serve /audio (asyncio transport)"
    )
    parser.add_argument("--max-size", type=int, default=1 << 20, help="max_message_size")
    parser.add_argument("--open-timeout", type=float, default=2.0, help="handshake timeout")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s %(message)s"
    )
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
