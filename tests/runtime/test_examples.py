"""Every example app, driven through the simulator."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from examples import (
    call_recording,
    dial_fallback,
    echo,
    hello_world,
    ivr_menu,
    llm_streaming,
    queue_with_hold,
    rest_outbound_call,
    voice_agent,
    webhook_hello_world,
    webhook_ivr_menu,
)
from jambonz_runtime import RestClient
from jambonz_runtime.server import OPTIONS_SUPPORTED
from jambonz_runtime.testing import SimulatedCall, Simulator
from jambonz_runtime.testing.webhook import WebhookSimulator
from jambonz_runtime.webhook.signature import SIGNATURE_HEADER
from jambonz_types.callbacks import (
    DequeueCallback,
    DialCallback,
    EnqueueCallback,
    EnqueueWaitCallback,
    GatherCallback,
    LlmCallback,
)
from jambonz_types.callbacks.gather import GatherCallbackSpeech, GatherCallbackSpeechAlternative

ROOT = Path(__file__).resolve().parents[2]


async def test_hello_world() -> None:
    async with Simulator(hello_world.app) as sim:
        call = await sim.call(from_="+15551112222")
        ack = await call.expect_ack(call.session_msgid)
        assert ack.data == [
            {"verb": "say", "text": "Hello +15551112222, this is jambonz typed."},
            {"verb": "hangup"},
        ]


async def test_echo_digits_and_speech_keeps_state() -> None:
    async with Simulator(echo.app) as sim:
        call = await sim.call()
        first = await call.expect_ack(call.session_msgid)
        assert first.verb_names == ["gather"]
        assert first.data[0]["actionHook"] == "/echo"  # type: ignore[index,call-overload]
        msgid = await call.hook(echo.echo, GatherCallback(reason="dtmfDetected", digits="42"))
        assert (await call.expect_ack(msgid)).data[0] == {"verb": "say", "text": "you pressed 4 2"}
        speech = GatherCallbackSpeech(
            alternatives=[GatherCallbackSpeechAlternative(transcript="hello")]
        )
        msgid = await call.hook(echo.echo, GatherCallback(reason="speechDetected", speech=speech))
        assert (await call.expect_ack(msgid)).data[0] == {"verb": "say", "text": "you said: hello"}
        msgid = await call.hook(echo.echo, GatherCallback(reason="timeout"))
        ack = await call.expect_ack(msgid)
        assert ack.data[0] == {"verb": "say", "text": "I did not catch that"}
        assert echo.app.sessions[str(call.call_sid)].state["turns"] == 3
        await call.hangup()


async def test_ivr_menu_routes_and_gives_up_after_three_tries() -> None:
    async with Simulator(ivr_menu.app) as sim:
        sales = await sim.call("/ivr")
        assert (await sales.expect_ack(sales.session_msgid)).verb_names == ["say", "gather"]
        msgid = await sales.hook(ivr_menu.menu, GatherCallback(reason="dtmfDetected", digits="1"))
        assert (await sales.expect_ack(msgid)).data[0] == {
            "verb": "say",
            "text": "Connecting you to sales.",
        }
        lost = await sim.call("/ivr")
        await lost.expect_ack(lost.session_msgid)
        names = []
        for _ in range(3):
            msgid = await lost.hook(
                ivr_menu.menu, GatherCallback(reason="dtmfDetected", digits="9")
            )
            names.append((await lost.expect_ack(msgid)).verb_names)
        assert names == [["say", "gather"], ["say", "gather"], ["say", "hangup"]]


async def test_ivr_menu_error_reply_when_payload_is_bad() -> None:
    async with Simulator(ivr_menu.app) as sim:
        call = await sim.call("/ivr")
        await call.expect_ack(call.session_msgid)
        msgid = await call.hook("/menu", {"digits": 5})  # not a string: handler never runs
        assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]


async def test_dial_fallback_tries_next_number_then_gives_up() -> None:
    async with Simulator(dial_fallback.app) as sim:
        call = await sim.call()
        first = await call.expect_ack(call.session_msgid)
        assert first.verb_names == ["say", "dial"]
        msgid = await call.hook(dial_fallback.dial_done, DialCallback(dial_call_status="no-answer"))
        second = await call.expect_ack(msgid)
        assert second.verb_names == ["say", "dial"]
        assert second.data[1]["target"] == [{"type": "phone", "number": "+15085553434"}]  # type: ignore[index,call-overload]
        msgid = await call.hook(dial_fallback.dial_done, DialCallback(dial_call_status="busy"))
        assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]
        answered = await sim.call()
        await answered.expect_ack(answered.session_msgid)
        msgid = await answered.hook(
            dial_fallback.dial_done, DialCallback(dial_call_status="completed")
        )
        assert (await answered.expect_ack(msgid)).verb_names == ["hangup"]


def _run(*args: str) -> str:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONPATH": f"{ROOT / 'src'}", "PATH": ""},
    ).stdout


def test_run_demo_prints_the_conversation() -> None:
    out = _run(str(ROOT / "examples" / "run_demo.py"))
    assert 'caller hears: "you pressed 4 2"' in out
    assert 'caller hears: "you said: hello typed world"' in out


def test_package_demo_prints_the_conversation() -> None:
    lines = _run("-m", "jambonz_runtime.demo").splitlines()
    assert lines[0].startswith("jambonz simulator -> app at ws://127.0.0.1:")
    assert lines[2:] == [
        '  caller hears: "Say something, or press some keys, and I will echo it."',
        "  (jambonz listens: gather -> /echo)",
        "status: in-progress",
        "  caller presses: 4 2",
        '  caller hears: "you pressed 4 2"',
        '  caller hears: "Say or press something else."',
        "  (jambonz listens: gather -> /echo)",
        '  caller says: "hello typed world"',
        '  caller hears: "you said: hello typed world"',
        '  caller hears: "Say or press something else."',
        "  (jambonz listens: gather -> /echo)",
        "  caller stays silent",
        '  caller hears: "I did not catch that"',
        '  caller hears: "Say or press something else."',
        "  (jambonz listens: gather -> /echo)",
        "caller hangs up; status: completed",
    ]


async def test_voice_agent_starts_openai_s2s_and_answers_tool_calls() -> None:
    async with Simulator(voice_agent.app) as sim:
        if OPTIONS_SUPPORTED:  # websockets >= 17 (Python >= 3.11) serves OPTIONS
            status, body, _ = await sim.options("/agent")
            assert status == 200
            assert json.loads(body)["OPENAI_API_KEY"] == {
                "type": "string",
                "description": "OpenAI API key",
                "obscure": True,
            }
        call = await sim.call("/agent", data={"env_vars": {"OPENAI_API_KEY": "sk-test"}})
        ack = await call.expect_ack(call.session_msgid)
        assert ack.verb_names == ["openai_s2s"]
        verb = ack.data[0]
        assert isinstance(verb, dict)
        assert verb["model"] == "gpt-4o-realtime-preview"
        assert verb["auth"] == {"apiKey": "sk-test"}
        assert verb["toolHook"] == "/tool-call"
        assert verb["actionHook"] == "/agent-done"
        await call.tool_call("call_9", "get_weather", {"city": "Paris"}, hook="/tool-call")
        out = await call.expect_command("llm:tool-output")
        assert json.loads(out.raw) == {
            "type": "command",
            "command": "llm:tool-output",
            "tool_call_id": "call_9",
            "data": {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": "call_9",
                    "output": '{"city": "Paris", "temperature_c": 21, "sky": "sunny"}',
                },
            },
        }
        await call.tool_call("call_10", "launch_rockets", {}, hook="/tool-call")
        unknown = await call.expect_command("llm:tool-output")
        assert unknown.tool_call_id == "call_10"
        msgid = await call.hook(
            voice_agent.agent_done, LlmCallback(completion_reason="normal conversation end")
        )
        assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]
        assert [m.type for m in call.received] == ["ack", "command", "command", "ack"]


async def _heard(call: SimulatedCall, text: str) -> None:
    speech = GatherCallbackSpeech(alternatives=[GatherCallbackSpeechAlternative(transcript=text)])
    msgid = await call.hook(
        llm_streaming.heard, GatherCallback(reason="speechDetected", speech=speech)
    )
    ack = await call.expect_ack(msgid)
    assert ack.data[0] == {"verb": "say", "stream": True, "closeStreamOnEmpty": False}
    assert ack.verb_names == ["say", "gather"]


async def test_llm_streaming_survives_a_full_buffer_and_flushes_at_the_end() -> None:
    async with Simulator(llm_streaming.app) as sim:
        call = await sim.call("/llm")
        await call.expect_ack(call.session_msgid)
        await _heard(call, "hello")
        # The canned LLM yields every token in one turn of the event loop, so the burst
        # travels in one command (TtsStreamer coalesces what is queued in the same turn).
        reply = "You said hello. Here is a longer answer, streamed to you word by word. "
        first = await call.expect_command("tts:tokens")
        assert first.data == {"id": 1, "tokens": reply}
        await call.tts_result(1, "failed", "full")
        await call.tts_event("stream_paused")
        await call.tts_event("stream_resumed")
        again = await call.expect_command("tts:tokens")
        assert again.data == {"id": 2, "tokens": reply}
        await call.tts_result(2)
        flush = await call.expect_command("tts:flush")
        assert json.loads(flush.raw) == {"type": "command", "command": "tts:flush"}
        session = llm_streaming.app.sessions[str(call.call_sid)]
        task = session.state["reply_task"]
        assert isinstance(task, asyncio.Task)
        await asyncio.wait_for(task, 5)
        assert session.state["last_reply"] == ["ok"] * 14


async def test_llm_streaming_barge_in_clears_and_stops_generating() -> None:
    async with Simulator(llm_streaming.app) as sim:
        call = await sim.call("/llm")
        await call.expect_ack(call.session_msgid)
        await _heard(call, "tell me a story")
        await call.expect_command("tts:tokens")
        await call.tts_event("user_interruption")
        await call.expect_command("tts:clear")
        session = llm_streaming.app.sessions[str(call.call_sid)]
        task = session.state["reply_task"]
        assert isinstance(task, asyncio.Task)
        await asyncio.wait([task], timeout=5)
        assert task.done()
        await call.barrier()
        assert session.state["interrupted"] is True
        assert call.untaken() == []  # no flush, no more tokens after the barge-in
        assert session.tts.pending == 0


async def test_queue_with_hold_plays_position_and_music_and_dequeues() -> None:
    async with Simulator(queue_with_hold.app) as sim:
        caller = await sim.call("/support")
        ack = await caller.expect_ack(caller.session_msgid)
        assert ack.data[1] == {
            "verb": "enqueue",
            "name": "support",
            "waitHook": "/hold",
            "actionHook": "/queue-done",
        }
        msgid = await caller.hook(
            queue_with_hold.hold,
            EnqueueWaitCallback(queue_sid="q1", queue_time=5, queue_position=2, queue_size=3),
        )
        assert (await caller.expect_ack(msgid)).data == [
            {"verb": "say", "text": "There are 2 callers ahead."},
            {"verb": "play", "url": queue_with_hold.HOLD_MUSIC},
        ]
        msgid = await caller.hook(
            queue_with_hold.hold, EnqueueWaitCallback(queue_sid="q1", queue_time=9)
        )
        assert (await caller.expect_ack(msgid)).verb_names == ["play"]
        agent = await sim.call("/agent")
        ack = await agent.expect_ack(agent.session_msgid)
        assert ack.data[1] == {
            "verb": "dequeue",
            "name": "support",
            "beep": True,
            "timeout": 10,
            "actionHook": "/agent-done",
        }
        msgid = await caller.hook(
            queue_with_hold.queue_done,
            EnqueueCallback(queue_sid="q1", queue_time=12, queue_result="bridged"),
        )
        assert (await caller.expect_ack(msgid)).data == []
        msgid = await agent.hook(
            queue_with_hold.agent_done, DequeueCallback(dequeue_result="timeout")
        )
        assert (await agent.expect_ack(msgid)).verb_names == ["say", "hangup"]


async def test_call_recording_sends_siprec_record_commands() -> None:
    siprec = "sip:recorder@example.com"
    async with Simulator(call_recording.app) as sim:
        call = await sim.call("/record", data={"env_vars": {"SIPREC_SERVER": siprec}})
        assert (await call.expect_ack(call.session_msgid)).verb_names == ["gather"]

        async def press(digit: str) -> list[str]:
            msgid = await call.hook(
                call_recording.key, GatherCallback(reason="dtmfDetected", digits=digit)
            )
            return (await call.expect_ack(msgid)).verb_names

        assert await press("1") == ["gather"]
        start = await call.expect_command("record")
        assert json.loads(start.raw) == {
            "type": "command",
            "command": "record",
            "data": {
                "action": "startCallRecording",
                "type": "siprec",
                "siprecServerURL": siprec,
                "recordingID": f"rec-{call.call_sid}",
                "headers": {"X-Call-Reason": "demo"},
            },
        }
        actions = []
        for digit in "234":
            await press(digit)
            cmd = await call.expect_command("record")
            assert isinstance(cmd.data, dict)
            actions.append(cmd.data["action"])
        assert actions == ["pauseCallRecording", "resumeCallRecording", "stopCallRecording"]
        assert await press("9") == ["say", "hangup"]
        await call.barrier()
        assert call.untaken() == []  # stopped already: no second stop


async def test_call_recording_without_the_required_env_var_sends_nothing() -> None:
    async with Simulator(call_recording.app) as sim:
        call = await sim.call("/record")
        await call.expect_ack(call.session_msgid)
        msgid = await call.hook(
            call_recording.key, GatherCallback(reason="dtmfDetected", digits="1")
        )
        assert (await call.expect_ack(msgid)).data == []  # handler raised EnvVarsError
        await call.barrier()
        assert call.untaken() == []


# -- HTTP webhook and REST examples ---------------------------------------------------------


async def test_webhook_hello_world_over_http_and_websocket() -> None:
    sim = WebhookSimulator(webhook_hello_world.asgi)
    call = await sim.call(from_="+15551112222")
    expected = [
        {"verb": "say", "text": "Hello +15551112222, this is jambonz typed."},
        {"verb": "hangup"},
    ]
    assert call.answer.verbs == expected
    assert (await call.status("completed")).status == 204
    async with Simulator(webhook_hello_world.app) as ws_sim:
        ws_call = await ws_sim.call(from_="+15551112222")
        assert (await ws_call.expect_ack(ws_call.session_msgid)).data == expected


async def test_webhook_ivr_menu_signed_state_and_env() -> None:
    asgi = webhook_ivr_menu.build_asgi("s3cret")
    sim = WebhookSimulator(asgi, secret="s3cret")
    options = await sim.options("/ivr")
    assert options.json() == {
        "COMPANY": {"type": "string", "description": "Company name", "default": "Example Corp"},
        "MAX_TRIES": {"type": "number", "description": "Menu attempts", "default": 3},
    }
    call = await sim.call("/ivr", env_vars={"COMPANY": "Acme", "MAX_TRIES": "2"})
    assert call.answer.verb_names == ["say", "gather"]
    assert call.answer.verbs[0] == {"verb": "say", "text": "Welcome to Acme."}
    assert call.answer.verbs[1]["actionHook"] == "/menu"
    miss = GatherCallback(reason="dtmfDetected", digits="9")
    assert (await call.hook(webhook_ivr_menu.menu, miss)).verb_names == ["say", "gather"]
    assert (await call.hook(webhook_ivr_menu.menu, miss)).verbs == [
        {"verb": "say", "text": "Goodbye."},
        {"verb": "hangup"},
    ]
    assert asgi.sessions[call.call_sid].state == {"tries": 2}
    assert (await call.status("completed")).status == 204
    assert call.call_sid not in asgi.sessions

    sales = await sim.call("/ivr")
    hit = GatherCallback(reason="dtmfDetected", digits="1")
    assert (await sales.hook(webhook_ivr_menu.menu, hit)).verbs[0]["text"] == (
        "Connecting you to sales."
    )
    forged = await sim.request(
        "POST", "/ivr", body=b'{"call_sid":"x"}', headers={SIGNATURE_HEADER: "t=1,v1=00"}
    )
    assert forged.status == 401


async def test_rest_outbound_call_against_a_fake_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from .rest.fake_api import FakeApi

    base = "/v1/Accounts/acc1"
    call_path = f"{base}/Calls/call-1"
    async with FakeApi() as api:
        api.respond("POST", f"{base}/Calls", 201, json_body={"sid": "call-1"})
        api.respond(
            "GET",
            call_path,
            json_body={"call_sid": "call-1", "call_status": "in-progress", "to": "+2"},
        )
        for _ in range(5):
            api.respond("PUT", call_path, 202)
        monkeypatch.setenv("JAMBONZ_API_URL", api.url)
        monkeypatch.setenv("JAMBONZ_ACCOUNT_SID", "acc1")
        monkeypatch.setenv("JAMBONZ_API_KEY", "key1")
        await rest_outbound_call.main(
            ["--from", "+1", "--to", "+2", "--call-hook", "https://app.example.com/"]
        )
        assert api.unused() == []
    created = api.requests[0].json()
    assert created == {
        "from": "+1",
        "to": {"type": "phone", "number": "+2"},
        "call_hook": {"url": "https://app.example.com/", "method": "POST"},
        "timeout": 30,
        "tag": {"source": "rest_outbound_call example"},
    }
    assert [r.json() for r in api.requests[2:]] == [
        {"whisper": [{"verb": "say", "text": "This call is being recorded for quality."}]},
        {"mute_status": "mute"},
        {"mute_status": "unmute"},
        {"tag": {"handled_by": "script"}},
        {"call_status": "completed"},
    ]
    assert {r.headers["authorization"] for r in api.requests} == {"Bearer key1"}


async def test_rest_outbound_call_tolerates_a_call_already_gone() -> None:
    from .rest.fake_api import FakeApi

    async with FakeApi() as api:
        api.respond("POST", "/v1/Accounts/a/Calls", 201, json_body={"sid": "gone"})
        client = RestClient(base_url=api.url, account_sid="a", api_key="k")
        async with client:
            sid = await rest_outbound_call.place_and_control(
                client, from_="+1", to="+2", call_hook="https://app/"
            )
    assert sid == "gone"
    assert [r.method for r in api.requests] == ["POST", "GET"]  # the GET got 404
