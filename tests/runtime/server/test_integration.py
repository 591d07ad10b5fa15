"""The integrated runtime through the simulator: typed session commands, TTS streaming
with backpressure, env vars, all over real loopback sockets.

Every wire assertion compares the exact JSON object the simulator received.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from jambonz_runtime import (
    App,
    EnvVar,
    MessageTooLarge,
    Session,
    TtsSendResult,
    TtsStreamClosed,
)
from jambonz_runtime.server import OPTIONS_SUPPORTED
from jambonz_runtime.testing import Simulator
from jambonz_types import Verbs
from jambonz_types.callbacks import SessionNewCallback, TtsStreamingEventCallback


def _app_with_hold() -> App:
    app = App()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().say(text="hi")

    return app


async def test_redirect_and_tool_output_reach_jambonz_in_exact_wire_form() -> None:
    app = _app_with_hold()
    sessions: list[Session] = []

    @app.on("llm:tool-call")
    async def tool(session: Session, call: object) -> None:
        sessions.append(session)
        await session.tool_output(
            "call_1",
            {"type": "conversation.item.create", "item": {"type": "function_call_output"}},
        )
        await session.redirect(Verbs().say(text="Bye").hangup(), queue=True)

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.tool_call("call_1", "lookup", {"cityName": "Paris"})
        out = await call.expect_command("llm:tool-output")
        assert json.loads(out.raw) == {
            "type": "command",
            "command": "llm:tool-output",
            "tool_call_id": "call_1",
            "data": {"type": "conversation.item.create", "item": {"type": "function_call_output"}},
        }
        redirect = await call.expect_command("redirect")
        assert json.loads(redirect.raw) == {
            "type": "command",
            "command": "redirect",
            "queueCommand": True,
            "data": [{"verb": "say", "text": "Bye"}, {"verb": "hangup"}],
        }
        # A command for the other leg names it with top-level camelCase callSid.
        await sessions[0].mute(call_sid="leg-b")
        mute = await call.expect_command("mute:status")
        assert json.loads(mute.raw) == {
            "type": "command",
            "command": "mute:status",
            "callSid": "leg-b",
            "data": {"mute_status": "mute"},
        }


async def test_oversize_command_raises_before_anything_is_sent() -> None:
    app = _app_with_hold()
    errors: list[MessageTooLarge] = []

    @app.on("call:status")
    async def status(session: Session, payload: object) -> None:
        try:
            await session.redirect(Verbs().say(text="x" * 30_000))
        except MessageTooLarge as exc:
            errors.append(exc)
        await session.redirect(Verbs().hangup())

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.status("in-progress")
        cmd = await call.expect_command("redirect")
        assert cmd.data == [{"verb": "hangup"}]
        assert len(errors) == 1
        assert errors[0].limit == 24 * 1024
        assert "redirect" in str(errors[0])
        await call.barrier()
        assert call.untaken() == []


async def test_tts_full_then_stream_resumed_resends_the_same_text_in_order() -> None:
    app = _app_with_hold()
    results: asyncio.Future[list[TtsSendResult]] = asyncio.get_running_loop().create_future()

    async def speak(session: Session) -> None:
        hello = session.tts.send_nowait("Hello there. ")
        await asyncio.sleep(0)  # a later turn: not coalesced with the first text
        sent = await asyncio.gather(hello, session.tts.send("How are you? "))
        results.set_result(list(sent))

    @app.on("call:status")
    async def status(session: Session, payload: object) -> None:
        await speak(session)

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.status("in-progress")
        first = await call.expect_command("tts:tokens")
        assert json.loads(first.raw) == {
            "type": "command",
            "command": "tts:tokens",
            "data": {"id": 1, "tokens": "Hello there. "},
        }
        await call.tts_result(1, "failed", "full")
        await call.tts_event("stream_paused")
        await call.barrier()
        assert call.untaken() == []  # paused: nothing is sent until the resume
        session = app.sessions[str(call.call_sid)]
        assert session.tts.paused
        await call.tts_event("stream_resumed")
        again = await call.expect_command("tts:tokens")
        assert again.data == {"id": 2, "tokens": "Hello there. "}
        await call.tts_result(2)
        second = await call.expect_command("tts:tokens")
        assert second.data == {"id": 3, "tokens": "How are you? "}
        await call.tts_result(3)
        assert await asyncio.wait_for(results, 5) == [TtsSendResult("ok"), TtsSendResult("ok")]


async def test_user_interruption_drains_before_the_app_handler_runs() -> None:
    app = _app_with_hold()
    results: asyncio.Future[list[TtsSendResult]] = asyncio.get_running_loop().create_future()
    pending_seen_by_handler: list[int] = []

    @app.on("call:status")
    async def status(session: Session, payload: object) -> None:
        sent = await asyncio.gather(
            session.tts.send("A long answer. "), session.tts.send("More of it. ")
        )
        results.set_result(list(sent))

    @app.on("tts:streaming-event")
    async def event(session: Session, payload: TtsStreamingEventCallback) -> None:
        if payload.root.event_type == "user_interruption":
            pending_seen_by_handler.append(session.tts.pending)

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.status("in-progress")
        await call.expect_command("tts:tokens")
        await call.tts_event("user_interruption")
        clear = await call.expect_command("tts:clear")
        assert json.loads(clear.raw) == {"type": "command", "command": "tts:clear"}
        dropped = await asyncio.wait_for(results, 5)
        assert [r.status for r in dropped] == ["dropped", "dropped"]
        await call.barrier()
        assert pending_seen_by_handler == [0]
        # The late result of the orphaned command changes nothing; new text streams again.
        await call.tts_result(1)
        session = app.sessions[str(call.call_sid)]
        task = asyncio.ensure_future(session.tts.send("Yes?"))
        cmd = await call.expect_command("tts:tokens")
        assert cmd.data == {"id": 2, "tokens": "Yes?"}
        await call.tts_result(2)
        assert (await asyncio.wait_for(task, 5)).status == "ok"


async def test_tts_stream_is_closed_when_the_call_ends() -> None:
    app = _app_with_hold()
    outcome: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    @app.on("call:status")
    async def status(session: Session, payload: object) -> None:
        if session.tts.pending or outcome.done():
            return
        try:
            await session.tts.send("never answered")
            outcome.set_result(None)
        except TtsStreamClosed as exc:
            outcome.set_result(exc)

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.status("in-progress")
        await call.expect_command("tts:tokens")
        await call.hangup()
        assert isinstance(await asyncio.wait_for(outcome, 5), TtsStreamClosed)


@pytest.mark.skipif(not OPTIONS_SUPPORTED, reason="OPTIONS needs websockets >= 17 (Python >= 3.11)")
async def test_env_vars_declared_once_answer_options_and_type_the_session_values() -> None:
    app = App(
        env_vars={
            "MAX_TURNS": EnvVar(type="number", description="Turns", default=3),
            "GREETING": EnvVar(type="string", description="Greeting", required=True),
            "VERBOSE": EnvVar(type="boolean", description="Verbose"),
        }
    )
    seen: list[dict[str, object]] = []

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        seen.append(dict(session.env))
        return Verbs().say(text=str(session.env["GREETING"]))

    async with Simulator(app) as sim:
        status, body, headers = await sim.options("/")
        assert status == 200
        assert headers["content-type"] == "application/json"
        assert json.loads(body) == {
            "MAX_TURNS": {"type": "number", "description": "Turns", "default": 3},
            "GREETING": {"type": "string", "description": "Greeting", "required": True},
            "VERBOSE": {"type": "boolean", "description": "Verbose"},
        }
        call = await sim.call(data={"env_vars": {"GREETING": "Hi", "VERBOSE": "true"}})
        ack = await call.expect_ack(call.session_msgid)
        assert ack.data == [{"verb": "say", "text": "Hi"}]
        assert seen == [{"MAX_TURNS": 3, "GREETING": "Hi", "VERBOSE": True}]


def test_env_vars_and_env_schema_are_exclusive_and_checked_early() -> None:
    from jambonz_runtime import ConfigurationError, EnvSchemaError

    with pytest.raises(ConfigurationError):
        App(env_vars={"A": EnvVar(type="string", description="a")}, env_schema={"A": {}})
    with pytest.raises(EnvSchemaError, match="'bad-name'"):
        App(env_vars={"bad-name": EnvVar(type="string", description="a")})
