"""The bench apps written with the official ``jambonz-python-sdk`` (0.4.0, from PyPI).

Runs in its own virtualenv (``bench/.venvs/psdk``, made by ``bench/run.py``) so its
aiohttp and jsonschema never enter this project's environment. Written the way the
SDK's README and examples do it: ``create_endpoint``, ``make_service(path=...)``,
``session.on(<hook>, handler)``, verbs chained on the session (validated by the SDK's
pydantic models), ``send()`` for the first answer and ``reply()`` for hooks.
Inbound payloads stay raw dicts (the SDK has no typed inbound messages). The SDK sends
TTS tokens fire-and-forget: it has no backpressure (docs/protocol.md §7).

Not type-checked (the SDK's API is ``Any`` throughout and is not installed in the
project's venv).

    bench/.venvs/psdk/bin/python bench/apps/psdk_app.py --port 3000
"""

from __future__ import annotations

import argparse
import asyncio

from jambonz_sdk.websocket import create_endpoint

__all__ = ["TOKENS", "main", "run"]

TOKENS = [
    f"Sentence {i:02d} of the answer, streamed to jambonz by the app.".ljust(60) for i in range(20)
]


def _gather(session, text):
    return session.gather(
        input=["speech", "digits"], actionHook="/echo", timeout=10, say={"text": text}
    )


async def on_echo_session(session):
    async def on_echo(data):
        heard = "nothing"
        speech = data.get("speech")
        if speech and speech.get("alternatives"):
            heard = speech["alternatives"][0].get("transcript") or heard
        session.say(text=f"You said: {heard}")
        _gather(session, "Say something else.")
        await session.reply()

    async def on_status(data):
        pass

    session.on("/echo", on_echo)
    session.on("call:status", on_status)
    _gather(session, "Say something and I will echo it.")
    await session.send()


async def on_tts_session(session):
    session.say(stream=True, closeStreamOnEmpty=False)
    await session.send()
    for token in TOKENS:
        await session.send_tts_tokens(token)
    await session.flush_tts_tokens()


async def run(port):
    make_service, runner = await create_endpoint(host="127.0.0.1", port=port)
    make_service(path="/echo").on("session:new", on_echo_session)
    make_service(path="/tts").on("session:new", on_tts_session)
    try:
        await asyncio.Future()
    finally:
        await runner.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(run(args.port))


if __name__ == "__main__":
    main()
