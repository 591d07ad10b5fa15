"""Acks go out through the transport's synchronous send when it can take them.

A transport may give the dispatcher a ``send_now`` (the direct transport does): the ack
is then written in the same turn of the loop, without a coroutine per ack. When it
refuses (backpressure, socket closing), the ack takes the awaited ``send`` path, so it is
never lost and never sent twice.
"""

from __future__ import annotations

import json

from jambonz_runtime import App, Session
from jambonz_runtime.server._dispatch import Connection
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback


def _app() -> App:
    app = App()

    @app.on_session("/x")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().say(text="hi")

    @app.action_hook("/done")
    async def done(session: Session, result: GatherCallback) -> Verbs:
        return Verbs().hangup()

    return app


def _frame(kind: str, msgid: str, **extra: object) -> str:
    return json.dumps({"type": kind, "msgid": msgid, "call_sid": "c1", "data": {}, **extra})


async def test_acks_use_send_now_and_fall_back_to_send_when_it_refuses() -> None:
    now: list[str] = []
    awaited: list[str] = []
    accept = [True, False]  # the first ack fits, the second meets backpressure

    def send_now(text: str) -> bool:
        if accept.pop(0):
            now.append(text)
            return True
        return False

    async def send(text: str) -> None:
        awaited.append(text)

    async def close(code: int, reason: str) -> None:
        raise AssertionError("not closed in this test")

    conn = Connection(_app(), "/x", send, close, send_now=send_now)
    conn.feed(_frame("session:new", "m1"))
    conn.feed(_frame("verb:hook", "m2", hook="/done"))
    assert [json.loads(t)["msgid"] for t in now] == ["m1"]
    assert json.loads(now[0])["data"] == [{"verb": "say", "text": "hi"}]
    assert [json.loads(t)["msgid"] for t in awaited] == ["m2"]
    assert json.loads(awaited[0])["data"] == [{"verb": "hangup"}]
    assert conn.protocol.pending == ()
