"""Hostile control frames against a real server: one bounded log line, no traceback.

Issue 16, items 1 and 2, end to end on both transports: each hostile frame is followed
by a harmless hook whose ack proves the server has handled the hostile one, then the
log lines logged in between are measured.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from jambonz_runtime import App, JambonzServer, Session
from jambonz_types import Verbs
from jambonz_types.callbacks import SessionNewCallback

from .conftest import LogCapture

MAX_LINE = 512


@pytest.fixture(params=["direct", "asyncio"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@asynccontextmanager
async def serving(transport: str) -> AsyncIterator[JambonzServer]:
    app = App()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().say(text="hi")

    async with JambonzServer(app, port=0, transport=transport) as srv:  # type: ignore[arg-type]
        yield srv


async def _ack(ws: ClientConnection, msgid: str) -> object:
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if reply.get("type") == "ack" and reply.get("msgid") == msgid:
            return reply["data"]


async def _open(server: JambonzServer) -> ClientConnection:
    ws = await connect(server.url + "/", subprotocols=[Subprotocol("ws.jambonz.org")])
    await ws.send(json.dumps({"type": "session:new", "msgid": "s0", "call_sid": "c1", "data": {}}))
    await _ack(ws, "s0")
    return ws


async def _hostile(server: JambonzServer, logs: LogCapture, frame: str) -> list[str]:
    ws = await _open(server)
    mark = logs.mark()
    await ws.send(frame)
    sync = {"type": "verb:hook", "msgid": "sync", "call_sid": "c1", "hook": "/x", "data": {}}
    await ws.send(json.dumps(sync))
    assert await _ack(ws, "sync") == []
    lines = logs.since(mark)
    await ws.close()
    return lines


def _hook(**fields: object) -> str:
    envelope: dict[str, object] = {
        "type": "verb:hook",
        "msgid": "m1",
        "call_sid": "c1",
        "hook": "/h",
        "data": {},
    }
    envelope.update(fields)
    return json.dumps(envelope)


HOSTILE = {
    "msgid over the 24 KiB cap": _hook(msgid="m" * 30_000),
    "500 KB call_sid": _hook(call_sid="c" * 500_000),
    "500 KB unknown type": _hook(type="t" * 500_000),
    "unknown type": _hook(type="x:y", data={"k": "v" * 100_000}),
    "500 KB hook": _hook(hook="/" + "h" * 500_000),
    "many huge unknown keys": json.dumps(
        {"type": "call:status", "call_sid": "c1", "data": {}}
        | {f"k{i}" + "x" * 10_000: 1 for i in range(20)}
    ),
    "payload of the wrong shape": _hook(
        type="verb:status", data={"id": ["x" * 100_000], "event": {"deep": [1] * 10_000}}
    ),
    "call:status with an unhashable status (found by the fuzzer)": _hook(
        type="call:status", data={"call_status": [1], "call_sid": {}}
    ),
    "tts results of the wrong shape": _hook(
        type="tts:tokens-result", data={"id": {}, "status": []}
    ),
    "tts event of the wrong shape": _hook(type="tts:streaming-event", data={"event_type": [1]}),
    "NaN": _hook().replace('"data": {}', '"data": {"x": NaN}'),
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "binary garbage": "\x00\x01" * 50_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_frame_costs_one_short_line_and_no_traceback(
    transport: str, logs: LogCapture, name: str
) -> None:
    async with serving(transport) as server:
        lines = await _hostile(server, logs, HOSTILE[name])
    assert len(lines) <= 1, lines
    assert all(len(line.encode()) <= MAX_LINE for line in lines), [len(x) for x in lines]
    assert logs.tracebacks() == []


async def test_overlong_msgid_is_refused_naming_the_field(transport: str, logs: LogCapture) -> None:
    async with serving(transport) as server:
        (line,) = await _hostile(server, logs, _hook(msgid="m" * 30_000))
    assert "'msgid' is 30000 characters" in line
    assert logs.tracebacks() == []


async def test_unacked_msgids_on_close_are_listed_bounded(transport: str, logs: LogCapture) -> None:
    async with serving(transport) as server:
        await _close_with_pending(server, logs)


async def _close_with_pending(server: JambonzServer, logs: LogCapture) -> None:
    app = server.apps[0]
    release = asyncio.Event()

    @app.action_hook("/slow")
    async def slow(session: Session, payload: SessionNewCallback) -> Verbs:
        await release.wait()
        return Verbs()

    ws = await _open(server)
    for i in range(200):
        await ws.send(_hook(msgid=f"{i:03d}" + "m" * 120, hook="/slow"))
    mark = logs.mark()
    await ws.close(1001)
    await ws.wait_closed()
    await logs.wait_for("unacked", mark)  # logged in the server's own turn of the loop
    release.set()
    closed = [line for line in logs.since(mark) if "unacked" in line]
    assert len(closed) == 1
    assert "200 unacked" in closed[0]
    assert len(closed[0].encode()) <= MAX_LINE


async def test_a_huge_call_sid_is_never_stamped_on_log_lines(
    transport: str, logs: LogCapture
) -> None:
    async with serving(transport) as server:
        ws = await connect(server.url + "/", subprotocols=[Subprotocol("ws.jambonz.org")])
        mark = logs.mark()
        huge = "c" * 500_000
        await ws.send(json.dumps({"type": "session:new", "msgid": "s", "call_sid": huge}))
        await ws.send(_hook(type="x:y", call_sid=huge))
        await ws.send(_hook(msgid="sync", hook="/x", call_sid="c1"))
        assert await _ack(ws, "sync") == []
        lines = logs.since(mark)
        await ws.close()
    assert len(lines) == 2, lines  # the refused session:new, the refused unknown type
    assert all(len(line.encode()) <= MAX_LINE for line in lines)
