"""Wire form of every app -> jambonz message, against shapes read from the feature-server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from pydantic import JsonValue, ValidationError

from jambonz_runtime.protocol._commands import (
    MAX_MESSAGE_BYTES,
    Ack,
    AgentGenerateReply,
    AgentInjectContext,
    AgentUpdateInstructions,
    AgentUpdateTools,
    Command,
    MessageTooLarge,
    RawCommand,
    RedirectCommand,
    SessionCommands,
    TtsClearCommand,
    TtsFlushCommand,
    check_size,
    encode,
)
from jambonz_types import HookRef, JambonzError
from jambonz_types.callbacks import GatherCallback
from jambonz_types.components.action_hook import HookSpec
from jambonz_types.components.synthesizer import Synthesizer
from jambonz_types.verbs.config import Config
from jambonz_types.verbs.dub import Dub
from jambonz_types.verbs.gather import Gather
from jambonz_types.verbs.hangup import Hangup
from jambonz_types.verbs.play import Play
from jambonz_types.verbs.say import Say


class Recorder(SessionCommands):
    """A SessionCommands that records the wire form of what it would send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, JsonValue]] = []

    async def _send_command(self, command: Command) -> None:
        self.sent.append(json.loads(encode(command)))


class FakeBuilder:
    """Stands in for jambonz_types.Verbs: anything with to_wire()."""

    def to_wire(self) -> list[dict[str, JsonValue]]:
        return [{"verb": "say", "text": "from builder"}, {"verb": "hangup"}]


def run(coro: Callable[[Recorder], Awaitable[None]]) -> list[dict[str, JsonValue]]:
    recorder = Recorder()

    async def main() -> None:
        await coro(recorder)

    asyncio.run(main())
    return recorder.sent


def test_ack_with_verbs_and_without_data() -> None:
    assert json.loads(encode(Ack(msgid="abc", data=[Say(text="Hi")]))) == {
        "type": "ack",
        "msgid": "abc",
        "data": [{"verb": "say", "text": "Hi"}],
    }
    assert json.loads(encode(Ack(msgid="abc"))) == {"type": "ack", "msgid": "abc"}
    assert json.loads(encode(Ack(msgid="abc", data=[]))) == {
        "type": "ack",
        "msgid": "abc",
        "data": [],
    }


def test_ack_needs_msgid() -> None:
    with pytest.raises(ValidationError):
        Ack(msgid="")


def test_encode_is_compact_and_keeps_unicode() -> None:
    text = encode(Ack(msgid="m", data=[Say(text="héllo")]))
    assert text == '{"type":"ack","msgid":"m","data":[{"verb":"say","text":"héllo"}]}'


async def _redirect(s: Recorder) -> None:
    await s.redirect([Say(text="Hold on")])
    await s.redirect([Say(text="later")], queue=True, call_sid="leg-b")
    await s.redirect(FakeBuilder())


def test_redirect_with_verbs() -> None:
    assert run(_redirect) == [
        {
            "type": "command",
            "command": "redirect",
            "queueCommand": False,
            "data": [{"verb": "say", "text": "Hold on"}],
        },
        {
            "type": "command",
            "command": "redirect",
            "queueCommand": True,
            "callSid": "leg-b",
            "data": [{"verb": "say", "text": "later"}],
        },
        {
            "type": "command",
            "command": "redirect",
            "queueCommand": False,
            "data": [{"verb": "say", "text": "from builder"}, {"verb": "hangup"}],
        },
    ]


def test_target_leg_is_camel_case_only() -> None:
    wire = RedirectCommand(data=[Hangup()], call_sid="x").to_wire()
    assert wire["callSid"] == "x"
    assert "call_sid" not in wire


def test_nested_verb_keys_are_camel_case_and_unset_fields_omitted() -> None:
    gather = Gather(input=["digits"], num_digits=1, action_hook="/menu")
    wire = RedirectCommand(data=[gather]).to_wire()
    assert wire["data"] == [
        {"verb": "gather", "input": ["digits"], "numDigits": 1, "actionHook": "/menu"}
    ]


async def _redirect_hooks(s: Recorder) -> None:
    await s.redirect_to_hook("/x")
    await s.redirect_to_hook(HookRef("/menu", GatherCallback), child_call_hook="/child")
    await s.redirect_to_hook(HookSpec(url="wss://h/x"))
    await s.redirect_legs(parent_call=[Say(text="p")], child_call=[Hangup()])


def test_redirect_to_hook_and_legs() -> None:
    assert run(_redirect_hooks) == [
        {"type": "command", "command": "redirect", "data": {"call_hook": "/x"}},
        {
            "type": "command",
            "command": "redirect",
            "data": {"call_hook": "/menu", "child_call_hook": "/child"},
        },
        {"type": "command", "command": "redirect", "data": {"call_hook": {"url": "wss://h/x"}}},
        {
            "type": "command",
            "command": "redirect",
            "data": {
                "parent_call": [{"verb": "say", "text": "p"}],
                "child_call": [{"verb": "hangup"}],
            },
        },
    ]


def test_redirect_to_hook_needs_a_hook() -> None:
    with pytest.raises(ValueError, match="call_hook"):
        run(lambda s: s.redirect_to_hook())
    with pytest.raises(ValueError, match="parent_call"):
        run(lambda s: s.redirect_legs())


async def _call_control(s: Recorder) -> None:
    await s.hangup()
    await s.cancel(call_sid="b")
    await s.mute()
    await s.unmute(call_sid="b")
    await s.whisper(Say(text="5 minutes left"))
    await s.whisper([Say(text="a"), Play(url="https://x/a.mp3")], call_sid="b")


def test_call_control_commands() -> None:
    assert run(_call_control) == [
        {"type": "command", "command": "call:status", "data": {"call_status": "completed"}},
        {
            "type": "command",
            "command": "call:status",
            "callSid": "b",
            "data": {"call_status": "no-answer"},
        },
        {"type": "command", "command": "mute:status", "data": {"mute_status": "mute"}},
        {
            "type": "command",
            "command": "mute:status",
            "callSid": "b",
            "data": {"mute_status": "unmute"},
        },
        {
            "type": "command",
            "command": "whisper",
            "data": {"whisper": {"verb": "say", "text": "5 minutes left"}},
        },
        {
            "type": "command",
            "command": "whisper",
            "callSid": "b",
            "data": {
                "whisper": [
                    {"verb": "say", "text": "a"},
                    {"verb": "play", "url": "https://x/a.mp3"},
                ]
            },
        },
    ]


def test_whisper_refuses_other_verbs() -> None:
    with pytest.raises(ValueError, match=r"whisper\[1\].*'hangup'.*'say' or 'play'"):
        run(lambda s: s.whisper([Say(text="a"), Hangup()]))


async def _recording(s: Recorder) -> None:
    await s.start_recording(
        siprec_server_url="sip:rec@example.com", recording_id="r1", headers={"X-A": "1"}
    )
    await s.start_recording(type="cloud")
    await s.pause_recording(type="cloud", silence=True)
    await s.resume_recording()
    await s.stop_recording(call_sid="b")


def test_record_commands() -> None:
    assert run(_recording) == [
        {
            "type": "command",
            "command": "record",
            "data": {
                "action": "startCallRecording",
                "siprecServerURL": "sip:rec@example.com",
                "recordingID": "r1",
                "headers": {"X-A": "1"},
            },
        },
        {
            "type": "command",
            "command": "record",
            "data": {"action": "startCallRecording", "type": "cloud"},
        },
        {
            "type": "command",
            "command": "record",
            "data": {"action": "pauseCallRecording", "type": "cloud", "silence": True},
        },
        {"type": "command", "command": "record", "data": {"action": "resumeCallRecording"}},
        {
            "type": "command",
            "command": "record",
            "callSid": "b",
            "data": {"action": "stopCallRecording"},
        },
    ]


def test_dtmf_is_nested_and_one_command_per_digit() -> None:
    assert run(lambda s: s.send_dtmf("1#", duration=400)) == [
        {"type": "command", "command": "dtmf", "data": {"dtmf": {"digit": "1", "duration": 400}}},
        {"type": "command", "command": "dtmf", "data": {"dtmf": {"digit": "#", "duration": 400}}},
    ]
    assert run(lambda s: s.send_dtmf("5")) == [
        {"type": "command", "command": "dtmf", "data": {"dtmf": {"digit": "5"}}}
    ]


def test_dtmf_rejects_bad_digits_before_sending_any() -> None:
    sent: list[dict[str, JsonValue]] = []

    async def go(s: Recorder) -> None:
        try:
            await s.send_dtmf("12x")
        finally:
            sent.extend(s.sent)

    with pytest.raises(ValueError, match=r"digits\[2\] = 'x'"):
        run(go)
    assert sent == []
    with pytest.raises(ValueError, match="empty"):
        run(lambda s: s.send_dtmf(""))


async def _statuses(s: Recorder) -> None:
    await s.listen_status("pause")
    await s.stream_status("resume")
    await s.transcribe_status("pause", call_sid="b")
    await s.sip_request("INFO", content_type="text/plain", content="hi", headers={"X-Y": "z"})
    await s.conference_mute("mute")
    await s.conference_hold("hold", wait_hook="/wait")
    await s.conference_participant_action("coach", tag="agents")
    await s.media_path("no-media")
    await s.boost_audio_signal("+6 dB")


def test_status_and_sip_and_conference_commands() -> None:
    assert run(_statuses) == [
        {"type": "command", "command": "listen:status", "data": {"listen_status": "pause"}},
        {"type": "command", "command": "stream:status", "data": {"stream_status": "resume"}},
        {
            "type": "command",
            "command": "transcribe:status",
            "callSid": "b",
            "data": {"transcribe_status": "pause"},
        },
        {
            "type": "command",
            "command": "sip:request",
            "data": {
                "sip_request": {
                    "method": "INFO",
                    "content_type": "text/plain",
                    "content": "hi",
                    "headers": {"X-Y": "z"},
                }
            },
        },
        {"type": "command", "command": "conf:mute-status", "data": {"conf_mute_status": "mute"}},
        {
            "type": "command",
            "command": "conf:hold-status",
            "data": {"conf_hold_status": "hold", "wait_hook": "/wait"},
        },
        {
            "type": "command",
            "command": "conf:participant-action",
            "data": {"action": "coach", "tag": "agents"},
        },
        {"type": "command", "command": "media:path", "data": "no-media"},
        {"type": "command", "command": "boostAudioSignal", "data": "+6 dB"},
    ]


async def _verbs_now(s: Recorder) -> None:
    await s.config(Config(notify_events=True))
    await s.dub(Dub(action="addTrack", track="music"), call_sid="b")


def test_config_and_dub_carry_verb_properties_without_verb_key() -> None:
    assert run(_verbs_now) == [
        {"type": "command", "command": "config", "data": {"notifyEvents": True}},
        {
            "type": "command",
            "command": "dub",
            "callSid": "b",
            "data": {"action": "addTrack", "track": "music"},
        },
    ]


async def _llm(s: Recorder) -> None:
    await s.tool_output("call_1", {"type": "conversation.item.create", "item": {"x": 1}})
    await s.llm_update({"type": "session.update", "session": {"instructions": "be brief"}})


def test_llm_commands_have_top_level_tool_call_id() -> None:
    assert run(_llm) == [
        {
            "type": "command",
            "command": "llm:tool-output",
            "tool_call_id": "call_1",
            "data": {"type": "conversation.item.create", "item": {"x": 1}},
        },
        {
            "type": "command",
            "command": "llm:update",
            "data": {"type": "session.update", "session": {"instructions": "be brief"}},
        },
    ]


def test_tts_flush_and_clear_have_no_data() -> None:
    assert TtsFlushCommand().to_wire() == {"type": "command", "command": "tts:flush"}
    assert TtsClearCommand().to_wire() == {"type": "command", "command": "tts:clear"}


async def _v10(s: Recorder) -> None:
    await s.tag({"supervisor": "jane"})
    await s.noise_isolation("enable", vendor="krisp", level=80)
    await s.stt_reconfigure(language_hints=["en", "es"])
    await s.agent_update(AgentUpdateInstructions(instructions="billing"))
    await s.agent_update(AgentInjectContext(messages=[{"role": "system", "content": "gold"}]))
    await s.agent_update(AgentUpdateTools(tools=[]))
    await s.agent_update(AgentGenerateReply(user_input="hi", interrupt=True))
    await s.room_say("Welcome", synthesizer=Synthesizer(vendor="google"), id="s1")
    await s.room_play("https://x/a.wav", replace=True)


def test_v10_commands() -> None:
    assert run(_v10) == [
        {"type": "command", "command": "tag", "data": {"supervisor": "jane"}},
        {
            "type": "command",
            "command": "noiseIsolation:status",
            "data": {"noise_isolation_status": "enable", "vendor": "krisp", "level": 80},
        },
        {"type": "command", "command": "stt:reconfigure", "data": {"languageHints": ["en", "es"]}},
        {
            "type": "command",
            "command": "agent:update",
            "data": {"type": "update_instructions", "instructions": "billing"},
        },
        {
            "type": "command",
            "command": "agent:update",
            "data": {"type": "inject_context", "messages": [{"role": "system", "content": "gold"}]},
        },
        {
            "type": "command",
            "command": "agent:update",
            "data": {"type": "update_tools", "tools": []},
        },
        {
            "type": "command",
            "command": "agent:update",
            "data": {"type": "generate_reply", "user_input": "hi", "interrupt": True},
        },
        {
            "type": "command",
            "command": "room:say",
            "data": {"text": "Welcome", "synthesizer": {"vendor": "google"}, "id": "s1"},
        },
        {
            "type": "command",
            "command": "room:play",
            "data": {"url": "https://x/a.wav", "replace": True},
        },
    ]


def test_agent_update_is_a_command_never_a_type() -> None:
    [wire] = run(lambda s: s.agent_update(AgentUpdateTools(tools=[])))
    assert wire["type"] == "command"


async def _raw(s: Recorder) -> None:
    await s.send_raw_command("dial", {"to": {"type": "phone", "number": "+1555"}})
    await s.send_raw_command("boostAudioSignal", 0)
    await s.send_raw_command("tts:flush")
    await s.send_raw_command("redirect", [], queue_command=True, call_sid="b")


def test_raw_command_keeps_falsy_data_and_omits_none() -> None:
    assert run(_raw) == [
        {
            "type": "command",
            "command": "dial",
            "data": {"to": {"type": "phone", "number": "+1555"}},
        },
        {"type": "command", "command": "boostAudioSignal", "data": 0},
        {"type": "command", "command": "tts:flush"},
        {
            "type": "command",
            "command": "redirect",
            "callSid": "b",
            "queueCommand": True,
            "data": [],
        },
    ]


def test_raw_command_needs_a_name() -> None:
    with pytest.raises(ValidationError):
        RawCommand(command="")


def test_models_are_frozen_and_forbid_unknown_fields() -> None:
    command = RedirectCommand(data=[Hangup()])
    with pytest.raises(ValidationError):
        command.call_sid = "x"  # frozen at run time (mypy sees no plugin config)
    with pytest.raises(ValidationError):
        RedirectCommand(data=[Hangup()], execImmediate=True)  # type: ignore[call-arg]


def test_bad_literal_is_rejected_at_run_time_too() -> None:
    async def go(s: Recorder) -> None:
        await s.listen_status("stop")  # type: ignore[arg-type]

    with pytest.raises(ValidationError):
        run(go)


async def _static_misuse(s: SessionCommands) -> None:
    """Never run: mypy (warn_unused_ignores) proves each line below is a type error."""
    await s.redirect(Say(text="x"))  # type: ignore[arg-type]
    await s.redirect([{"verb": "say", "text": "x"}])  # type: ignore[list-item]
    await s.send_dtmf(5)  # type: ignore[arg-type]
    await s.mute(call_sid=1)  # type: ignore[arg-type]
    await s.hangup("leg")  # type: ignore[call-arg]
    await s.start_recording(type="disk")  # type: ignore[arg-type]
    await s.media_path("none")  # type: ignore[arg-type]
    await s.agent_update({"type": "update_tools"})  # type: ignore[arg-type]
    RedirectCommand(dta=[Hangup()])  # type: ignore[call-arg]
    RedirectCommand(data=[Hangup()], queue_command="yes")  # type: ignore[arg-type]
    Ack(msgid="m", data=[{"verb": "hangup"}])  # type: ignore[list-item]


def test_size_limit_boundary() -> None:
    check_size("x" * MAX_MESSAGE_BYTES)
    with pytest.raises(MessageTooLarge) as info:
        check_size("x" * (MAX_MESSAGE_BYTES + 1))
    assert isinstance(info.value, JambonzError)
    assert info.value.size == MAX_MESSAGE_BYTES + 1
    assert "1009" in str(info.value)
    assert "reconnect" in str(info.value)


def test_size_limit_counts_utf8_bytes() -> None:
    # 10,000 three-byte characters are 30,000 bytes though only 10,000 characters.
    with pytest.raises(MessageTooLarge):
        encode(Ack(msgid="m", data=[Say(text="€" * 10_000)]))
    encode(Ack(msgid="m", data=[Say(text="e" * 10_000)]))


def test_oversize_command_is_refused_before_sending() -> None:
    with pytest.raises(MessageTooLarge):
        run(lambda s: s.redirect([Say(text="x" * 30_000)]))


def test_null_inside_free_form_data_is_kept() -> None:
    # e.g. OpenAI session.update turning server VAD off with "turn_detection": null
    [wire] = run(
        lambda s: s.llm_update({"type": "session.update", "session": {"turn_detection": None}})
    )
    assert wire["data"] == {"type": "session.update", "session": {"turn_detection": None}}
