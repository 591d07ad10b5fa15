"""The call simulation behind ``jambonz-typed call``: what jambonz would do with the verbs.

Each test places a real simulated call (loopback websocket) to a small app and checks
the events, the typed payloads the app's hooks received and how the call ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from pydantic import JsonValue

from jambonz_runtime import App, Session
from jambonz_runtime.cli._callsim import (
    AppProblem,
    CallerDid,
    CallEvent,
    CallFinished,
    CommandReceived,
    Dialed,
    Digits,
    HangUp,
    Heard,
    HookSent,
    Listening,
    Note,
    Paused,
    ScriptCaller,
    Silence,
    Skipped,
    Spoken,
    StatusSent,
    VerbsReceived,
    parse_answer,
    run_call,
)
from jambonz_types import Verbs
from jambonz_types.callbacks import (
    CallStatusCallback,
    DialCallback,
    GatherCallback,
    PlayCallback,
    SessionNewCallback,
)
from jambonz_types.components import Target


class Recorder:
    """An app that records every typed payload its handlers receive."""

    def __init__(self) -> None:
        self.app = App()
        self.payloads: list[object] = []
        self.statuses: list[CallStatusCallback] = []
        app = self.app

        @app.action_hook("/dialed")
        async def dialed(session: Session, result: DialCallback) -> Verbs:
            self.payloads.append(result)
            return Verbs().say(text=f"dial ended: {result.dial_call_status}").hangup()

        @app.action_hook("/played")
        async def played(session: Session, result: PlayCallback) -> None:
            self.payloads.append(result)  # [] ack: the queued verbs carry on

        @app.action_hook("/menu")
        async def menu(session: Session, result: GatherCallback) -> Verbs | None:
            self.payloads.append(result)
            if result.digits == "1":
                target = Target(type="phone", number="+15085551212")
                return Verbs().dial(target=[target], action_hook=dialed)
            if result.digits == "9":
                await session.redirect(Verbs().say(text="redirected").hangup())
                return None
            if result.speech and result.speech.alternatives:
                text = result.speech.alternatives[0].transcript
                return Verbs().say(text=f"you said {text}").hangup()
            return Verbs().say(text="nothing heard")

        @app.on_session("/")
        async def start(session: Session, call: SessionNewCallback) -> Verbs:
            return (
                Verbs()
                .say(text=["Hi!", "Hello!"])
                .play(url="https://example.com/a.wav", action_hook=played)
                .pause(length=1)
                .tag(data={"a": 1})
                .gather(
                    input=["digits", "speech"],
                    num_digits=1,
                    action_hook=menu,
                    say={"text": "Press 1"},
                )
            )

        @app.on("call:status")
        async def status(session: Session, event: CallStatusCallback) -> None:
            self.statuses.append(event)


def _call(
    app: App, lines: Sequence[str], **options: float | str
) -> tuple[list[CallEvent], CallFinished]:
    events: list[CallEvent] = []
    caller = ScriptCaller(lines)

    async def go() -> CallFinished:
        return await run_call(app, caller, events.append, **options)  # type: ignore[arg-type]

    ended = asyncio.run(go())
    assert events[-1] is ended
    return events, ended


def _kinds(events: list[CallEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_digits_then_dial_with_the_outcome_from_the_script() -> None:
    rec = Recorder()
    events, ended = _call(rec.app, ["12", "dial: busy"])
    heard = [e for e in events if isinstance(e, Heard)]
    assert heard[0] == Heard("say", "Hi!", ("Hi!", "Hello!"))
    assert heard[1] == Heard("play", "https://example.com/a.wav")
    assert heard[2] == Heard("say", "Press 1")
    assert heard[3] == Heard("say", "dial ended: busy")
    assert Paused(1.0) in events
    assert Skipped("tag", "attaches data to the call's status events") in events
    assert Listening(("digits", "speech"), "/menu", 1, None) in events
    assert CallerDid(Digits("12")) in events
    assert Note("numDigits is 1: jambonz takes 1") in events
    assert Dialed(("phone +15085551212",), "busy") in events
    # the typed payloads, as the app's handlers received them
    play, gather, dial = rec.payloads
    assert isinstance(play, PlayCallback)
    assert play.reason == "playCompleted"
    assert isinstance(gather, GatherCallback)
    assert (gather.reason, gather.digits) == ("dtmfDetected", "1")
    assert gather.call_sid is not None  # merged over the call info, as jambonz does
    assert isinstance(dial, DialCallback)
    assert (dial.dial_call_status, dial.dial_sip_status) == ("busy", 486)
    hooks = [(e.type, e.hook, type(e.payload).__name__) for e in events if isinstance(e, HookSent)]
    assert hooks == [
        ("verb:hook", "/played", "PlayCallback"),
        ("verb:hook", "/menu", "GatherCallback"),
        ("verb:hook", "/dialed", "DialCallback"),
    ]
    assert ended == CallFinished("app", "the app hung up (hangup verb)")
    statuses = [e.payload.call_status for e in events if isinstance(e, StatusSent)]
    assert statuses == ["in-progress", "completed"]
    assert [s.call_status for s in rec.statuses] == ["in-progress", "completed"]
    assert rec.statuses[-1].call_termination_by == "jambonz"


def test_speech_is_sent_as_a_typed_transcript() -> None:
    rec = Recorder()
    events, ended = _call(rec.app, ["speech: book a table"])
    gather = rec.payloads[1]
    assert isinstance(gather, GatherCallback)
    assert gather.reason == "speechDetected"
    assert gather.speech is not None
    assert gather.speech.alternatives is not None
    assert gather.speech.alternatives[0].transcript == "book a table"
    assert Heard("say", "you said book a table") in events
    assert ended.by == "app"


def test_script_running_out_hangs_up_as_the_caller() -> None:
    rec = Recorder()
    events, ended = _call(rec.app, [])
    assert CallerDid(HangUp()) in events
    assert ended == CallFinished("caller", "the caller hung up")
    assert [p for p in rec.payloads if isinstance(p, GatherCallback)] == []
    assert rec.statuses[-1].call_termination_by == "caller"


def test_an_answer_without_verbs_continues_and_the_end_of_verbs_ends_the_call() -> None:
    rec = Recorder()
    events, ended = _call(rec.app, ["silence"])
    assert CallerDid(Silence()) in events
    gather = rec.payloads[1]
    assert isinstance(gather, GatherCallback)
    assert gather.reason == "timeout"
    assert Heard("say", "nothing heard") in events
    assert ended.by == "caller"
    assert ended.reason.startswith("no more verbs")


def test_a_redirect_command_replaces_the_queue() -> None:
    rec = Recorder()
    events, ended = _call(rec.app, ["9"])
    commands = [e for e in events if isinstance(e, CommandReceived)]
    assert [c.command for c in commands] == ["redirect"]
    assert Heard("say", "redirected") in events
    assert ended.by == "app"


def test_input_the_gather_does_not_take_times_out() -> None:
    app = App()
    seen: list[GatherCallback] = []

    @app.action_hook("/speech")
    async def speech(session: Session, result: GatherCallback) -> Verbs:
        seen.append(result)
        return Verbs().hangup()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().gather(input=["speech"], action_hook=speech)

    events, _ = _call(app, ["42"])
    assert CallerDid(Spoken("42")) in events  # keys only when the gather takes digits
    app2 = App()

    @app2.action_hook("/digits")
    async def digits(session: Session, result: GatherCallback) -> Verbs:
        seen.append(result)
        return Verbs().hangup()

    @app2.on_session("/")
    async def start2(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().gather(input=["digits"], finish_on_key="#", action_hook=digits)

    events, _ = _call(app2, ["hello", "x"])
    assert Note("this gather does not listen for speech: it times out") in events
    assert seen[-1].reason == "timeout"
    events, _ = _call(app2, ["12#34"])
    assert seen[-1].digits == "12"  # cut at finishOnKey


def test_decline_fails_the_call_and_skipped_verbs_are_reported() -> None:
    app = App()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().config(notify_events=True).sip_decline(status=486, reason="Busy Here")

    events, ended = _call(app, [])
    assert Skipped("config", "changes session settings for the verbs that follow") in events
    assert ended == CallFinished(
        "app", "the app declined the call: SIP 486 Busy Here", True, "failed"
    )
    final = [e for e in events if isinstance(e, StatusSent)][-1]
    assert final.payload.call_status == "failed"


def test_a_looping_app_is_stopped_by_max_verbs() -> None:
    app = App()

    @app.action_hook("/again")
    async def again(session: Session, result: GatherCallback) -> Verbs:
        return Verbs().say(text="again").gather(action_hook=again)

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().gather(action_hook=again)

    events, ended = _call(app, ["1"] * 50, max_verbs=7)
    assert ended == CallFinished("jambonz", "stopped after 7 verbs (max_verbs)")
    assert sum(isinstance(e, Listening) for e in events) == 4


def test_an_app_that_does_not_answer_is_reported() -> None:
    app = App(ack_warning_after=30.0)
    release = asyncio.Event()

    @app.action_hook("/slow")
    async def slow(session: Session, result: GatherCallback) -> Verbs:
        await release.wait()
        return Verbs().hangup()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().gather(action_hook=slow)

    events, ended = _call(app, ["1"], timeout=0.3)
    problems = [e.text for e in events if isinstance(e, AppProblem)]
    assert problems == ["the app did not answer verb:hook /slow within 0.3 s"]
    assert not ended.ok


class _BadVerbs:
    """Not a real builder: hands the runtime verbs the schemas reject."""

    def to_wire(self) -> list[dict[str, JsonValue]]:
        return [{"verb": "sya", "text": "hi"}]


def test_invalid_verbs_from_the_app_end_the_call_with_the_reason() -> None:
    app = App()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> _BadVerbs:
        return _BadVerbs()

    events, ended = _call(app, [])
    received = [e for e in events if isinstance(e, VerbsReceived)]
    assert received[0].verbs == ("sya",)  # the runtime passes unvalidated wire data on
    problems = [e.text for e in events if isinstance(e, AppProblem)]
    assert problems == [
        "the app answered session:new with verbs jambonz rejects:\n"
        '  $[0].verb: unknown verb "sya"; did you mean "say"?'
    ]
    assert ended == CallFinished("jambonz", "the app sent something jambonz cannot run", ok=False)


@pytest.mark.parametrize(
    ("line", "inputs", "answer"),
    [
        ("1", ("digits",), Digits("1")),
        ("12#", ("speech", "digits"), Digits("12#")),
        ("12", ("speech",), Spoken("12")),
        ("Ada", ("speech", "digits"), Spoken("Ada")),
        ("digits: A1", ("speech",), Digits("A1")),
        ("speech: 42", ("digits",), Spoken("42")),
        ("say: hello there", ("speech",), Spoken("hello there")),
        ("", ("speech",), Silence()),
        ("  timeout ", ("speech",), Silence()),
        ("Hangup", ("speech",), HangUp()),
    ],
)
def test_parse_answer(line: str, inputs: tuple[str, ...], answer: object) -> None:
    assert parse_answer(line, inputs) == answer  # type: ignore[arg-type]


def test_script_lines_skip_comments_and_blanks_and_dial_outcomes_wait_for_a_dial() -> None:
    caller = ScriptCaller(["# a comment", "", "dial: no-answer", "#", "  1  "])
    listening = Listening(("digits",), "/x")

    async def go() -> list[object]:
        return [
            await caller.answer(listening),  # the stray dial line is dropped
            await caller.dial_outcome(["phone 1"]),
            await caller.answer(listening),
            await caller.answer(listening),
        ]

    assert asyncio.run(go()) == [Digits("#"), "completed", Digits("1"), HangUp()]
