"""The bench apps on bare ``websockets``: JSON parsed and answered by hand, nothing checked.

The floor cost of the library this project builds on: no SDK, no models, no validation,
one coroutine per socket. It still behaves correctly for the bench scenarios: acks by
msgid, and the TTS stream keeps one ``tts:tokens`` in flight, coalesces queued text up
to 1,000 characters and resends after ``stream_resumed`` when refused ``full`` (the
same algorithm as ``jambonz_runtime.tts``, minus its edge cases).

    python bench/apps/bare_app.py --port 3000 [--deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import json

from websockets.asyncio.server import ServerConnection, serve

__all__ = ["TOKENS", "main", "run"]

TOKENS = [
    f"Sentence {i:02d} of the answer, streamed to jambonz by the app.".ljust(60) for i in range(20)
]


def _gather(text: str) -> dict[str, object]:
    return {
        "verb": "gather",
        "input": ["speech", "digits"],
        "actionHook": "/echo",
        "timeout": 10,
        "say": {"text": text},
    }


async def _echo(ws: ServerConnection) -> None:
    async for raw in ws:
        msg = json.loads(raw)
        kind = msg.get("type")
        if kind == "session:new":
            verbs = [_gather("Say something and I will echo it.")]
        elif kind == "verb:hook":
            heard = "nothing"
            speech = msg.get("data", {}).get("speech")
            if speech and speech.get("alternatives"):
                heard = speech["alternatives"][0].get("transcript") or heard
            verbs = [{"verb": "say", "text": f"You said: {heard}"}, _gather("Say something else.")]
        else:
            continue
        await ws.send(json.dumps({"type": "ack", "msgid": msg["msgid"], "data": verbs}))


async def _tts(ws: ServerConnection) -> None:
    queue = list(TOKENS)
    next_id = 0
    in_flight: tuple[int, str] | None = None
    held: str | None = None
    paused = False
    flushed = False

    async def pump() -> None:
        nonlocal next_id, in_flight, held, flushed
        if in_flight is not None or paused:
            return
        if held is not None:
            text, held = held, None
        elif queue:
            text = ""
            while queue and len(text) + len(queue[0]) <= 1000:
                text += queue.pop(0)
        else:
            if not flushed:
                flushed = True
                await ws.send('{"type":"command","command":"tts:flush"}')
            return
        next_id += 1
        in_flight = (next_id, text)
        await ws.send(
            json.dumps(
                {
                    "type": "command",
                    "command": "tts:tokens",
                    "data": {"id": next_id, "tokens": text},
                }
            )
        )

    async for raw in ws:
        msg = json.loads(raw)
        kind = msg.get("type")
        data = msg.get("data", {})
        if kind == "session:new":
            ack = {
                "type": "ack",
                "msgid": msg["msgid"],
                "data": [{"verb": "say", "stream": True, "closeStreamOnEmpty": False}],
            }
            await ws.send(json.dumps(ack))
            await pump()
        elif kind == "tts:tokens-result":
            if in_flight is None or data.get("id") != in_flight[0]:
                continue
            _, text = in_flight
            in_flight = None
            if data.get("status") != "ok":
                if data.get("reason") != "full":
                    return
                held, paused = text, True
            await pump()
        elif kind == "tts:streaming-event":
            event = data.get("event_type")
            if event == "stream_paused":
                paused = True
            elif event == "stream_resumed":
                paused = False
                await pump()


async def _handler(ws: ServerConnection) -> None:
    path = ws.request.path if ws.request else "/"
    if path.startswith("/tts"):
        await _tts(ws)
    else:
        await _echo(ws)


async def run(port: int, *, deflate: bool = False) -> None:
    """Serve on 127.0.0.1:``port`` until cancelled."""
    async with serve(
        _handler,
        "127.0.0.1",
        port,
        subprotocols=["ws.jambonz.org"],  # type: ignore[list-item]  # Subprotocol is a str
        compression="deflate" if deflate else None,
    ) as server:
        await server.serve_forever()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--deflate", action="store_true", help="accept permessage-deflate")
    args = parser.parse_args()
    asyncio.run(run(args.port, deflate=args.deflate))


if __name__ == "__main__":
    main()
