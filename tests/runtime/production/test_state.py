"""Typed per-call state without a store, and its configuration errors."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel

from jambonz_runtime import App, ConfigurationError, JambonzServer, Session
from jambonz_runtime.store import MemoryStore
from jambonz_runtime.testing import Simulator
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback

from .apps import CallState, make_app


async def test_each_call_gets_a_fresh_typed_state_kept_across_local_reconnects() -> None:
    app = make_app()
    async with Simulator(app) as sim:
        first, second = await sim.call(), await sim.call()
        for call in (first, second):
            await call.expect_ack(call.session_msgid)
        await first.expect_ack(await first.hook("/menu", GatherCallback(digits="1")))
        again, msgid = await first.reconnect()
        await again.expect_ack(msgid)
        await again.expect_ack(await again.hook("/menu", GatherCallback(digits="2")))
        state = app.sessions[first.call_sid or ""].state
        assert isinstance(state, CallState)
        assert state.digits == ["1", "2"]
        other = app.sessions[second.call_sid or ""].state
        assert isinstance(other, CallState)
        assert other.digits == []


class NeedsValue(BaseModel):
    required: int


def test_a_state_model_needs_defaults_for_every_field() -> None:
    with pytest.raises(ConfigurationError, match=r"NeedsValue\(\).*needs a default"):
        App(state=NeedsValue)


def test_apps_sharing_a_store_need_distinct_names() -> None:
    one, two = App(), App()
    one.on_session("/one")(_hangup)
    two.on_session("/two")(_hangup)
    with pytest.raises(ConfigurationError, match="distinct names"):
        JambonzServer([one, two], store=MemoryStore())
    two.name = "two"
    JambonzServer([one, two], store=MemoryStore())


async def _hangup(session: Session, call: SessionNewCallback) -> Verbs:
    return Verbs().hangup()


async def test_a_dict_state_json_cannot_carry_is_logged_and_kept_in_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        session.state["when"] = object()  # not JSON
        return Verbs().hangup()

    server = JambonzServer(app, store=MemoryStore())
    caplog.set_level(logging.ERROR, logger="jambonz_runtime")
    async with server, Simulator(url=server.url) as sim:
        call = await sim.call()
        ack = await call.expect_ack(call.session_msgid)
        assert ack.verb_names == ["hangup"]  # the call goes on
    assert any("cannot be stored as JSON" in r.getMessage() for r in caplog.records)
