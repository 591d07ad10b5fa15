"""Linear call flows (``App.flow`` / ``CallFlow``), driven through the simulator.

Each test plays jambonz and checks the exact frames the flow sends: which message a
chain's verbs ack (or that they go as a ``redirect`` command, queued or replacing), the
hook path the runtime assigns, and what each ``await`` returns. The flows are paced with
asyncio events, and "nothing was sent" is proven with a ping round trip (``barrier``),
never with a sleep.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path

import mypy.api
import pytest
from pydantic import JsonValue

from examples import echo_flow, ivr_menu_flow
from jambonz_runtime import (
    App,
    CallEnded,
    CallFlow,
    ConfigurationError,
    FlowUsageError,
    InvalidPayload,
    LlmToolCallCallback,
    MessageTooLarge,
    Session,
)
from jambonz_runtime.flow import HOOK_PREFIX
from jambonz_runtime.testing import ReceivedAck, SimulatedCall, Simulator
from jambonz_types import Verbs, VerbValidationError
from jambonz_types.callbacks import (
    CallStatusCallback,
    DialCallback,
    GatherCallback,
    GatherPartialCallback,
    PlayCallback,
)
from jambonz_types.verbs import Hangup, Say

GATHER_1 = GatherCallback(reason="dtmfDetected", digits="1")


class LogWatch(logging.Handler):
    """Sets an asyncio event when a record containing ``needle`` is logged."""

    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle = needle
        self.seen = asyncio.Event()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.records.append(record)
            self.seen.set()


@contextmanager
def watch_log(needle: str) -> Iterator[LogWatch]:
    watch = LogWatch(needle)
    logger = logging.getLogger("jambonz_runtime")
    level = logger.level
    logger.setLevel(logging.INFO)  # the flow's normal-end records are INFO
    logger.addHandler(watch)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)


def hook_of(ack: ReceivedAck | list[JsonValue]) -> str:
    """The action hook the runtime gave the last verb."""
    data = ack.data if isinstance(ack, ReceivedAck) else ack
    last = data[-1]
    assert isinstance(last, dict)
    hook = last["actionHook"]
    assert isinstance(hook, str)
    return hook


async def value_of(awaitable: Awaitable[object]) -> object:
    """What an await yields, as a value (mypy rejects using a ``None`` await directly)."""
    return await awaitable


async def expect_idle(call: SimulatedCall) -> None:
    """Everything the app sent so far has been matched; nothing else is on its way."""
    await call.barrier()
    assert call.untaken() == []


# -- the examples ----------------------------------------------------------------------------


async def test_echo_flow_acks_each_hook_with_the_next_chain_until_hangup() -> None:
    with watch_log("echo flow over after 2 turn(s)") as over:
        async with Simulator(echo_flow.app) as sim:
            call = await sim.call()
            first = await call.expect_ack(call.session_msgid)
            assert first.verb_names == ["gather"]
            hook = hook_of(first)
            assert hook.startswith(HOOK_PREFIX)
            msgid = await call.hook(hook, GatherCallback(reason="dtmfDetected", digits="42"))
            second = await call.expect_ack(msgid)
            assert second.data[0] == {"verb": "say", "text": "you pressed 4 2"}
            assert second.verb_names == ["say", "gather"]
            assert hook_of(second) != hook  # every await gets a fresh path
            msgid = await call.hook(hook_of(second), GatherCallback(reason="timeout"))
            third = await call.expect_ack(msgid)
            assert third.data[0] == {"verb": "say", "text": "I did not catch that"}
            await call.hangup()
            await asyncio.wait_for(over.seen.wait(), 5)  # CallEnded ran the finally block
            assert over.records[0].call_sid == call.call_sid  # type: ignore[attr-defined]


async def test_ivr_flow_dials_sales_and_hangs_up_after_the_dialed_call() -> None:
    async with Simulator(ivr_menu_flow.app) as sim:
        call = await sim.call("/ivr")
        menu = await call.expect_ack(call.session_msgid)
        assert menu.verb_names == ["say", "gather"]
        assert menu.data[0] == {"verb": "say", "text": "Welcome to Example Corp."}
        assert menu.data[1]["say"] == {"text": ivr_menu_flow.MENU}  # type: ignore[index,call-overload]
        msgid = await call.hook(hook_of(menu), GATHER_1)
        dial = await call.expect_ack(msgid)
        assert dial.verb_names == ["say", "dial"]
        assert dial.data[1]["target"] == [{"type": "phone", "number": ivr_menu_flow.SALES}]  # type: ignore[index,call-overload]
        msgid = await call.hook(hook_of(dial), DialCallback(dial_call_status="completed"))
        assert (await call.expect_ack(msgid)).data == [{"verb": "hangup"}]
        await call.hangup()


async def test_ivr_flow_apologises_when_support_does_not_answer() -> None:
    async with Simulator(ivr_menu_flow.app) as sim:
        call = await sim.call("/ivr")
        menu = await call.expect_ack(call.session_msgid)
        msgid = await call.hook(hook_of(menu), GatherCallback(reason="dtmfDetected", digits="2"))
        dial = await call.expect_ack(msgid)
        assert dial.data[1]["target"] == [{"type": "phone", "number": ivr_menu_flow.SUPPORT}]  # type: ignore[index,call-overload]
        msgid = await call.hook(hook_of(dial), DialCallback(dial_call_status="no-answer"))
        assert (await call.expect_ack(msgid)).data == [
            {"verb": "say", "text": "Sorry, support is not available. Goodbye."},
            {"verb": "hangup"},
        ]


async def test_ivr_flow_gives_up_after_three_tries() -> None:
    async with Simulator(ivr_menu_flow.app) as sim:
        call = await sim.call("/ivr")
        ack = await call.expect_ack(call.session_msgid)
        names = []
        for _ in range(3):
            msgid = await call.hook(hook_of(ack), GatherCallback(reason="dtmfDetected", digits="9"))
            ack = await call.expect_ack(msgid)
            names.append(ack.verb_names)
        assert names == [["say", "gather"], ["say", "gather"], ["say", "hangup"]]
        assert ack.data[0] == {"verb": "say", "text": "Goodbye."}


async def test_ivr_flow_bad_payload_raises_in_the_flow_and_acks_the_error_reply() -> None:
    with watch_log("raised") as raised:
        async with Simulator(ivr_menu_flow.app) as sim:
            call = await sim.call("/ivr")
            menu = await call.expect_ack(call.session_msgid)
            msgid = await call.hook(hook_of(menu), {"digits": 5})  # not a string
            assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]
            assert "InvalidPayload" in raised.records[0].getMessage()


# -- sending: ack or command -------------------------------------------------------------------


async def test_chain_without_hook_returns_none_and_later_verbs_are_a_queued_redirect() -> None:
    app = App()
    results: list[object] = []

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        results.append(await value_of(call.say(text="hi")))
        result = await call.gather(input=["digits"], num_digits=1)
        results.append(result.digits)
        await call.say(text="bye").hangup()

    async with Simulator(app) as sim:
        call = await sim.call()
        assert (await call.expect_ack(call.session_msgid)).data == [{"verb": "say", "text": "hi"}]
        redirect = await call.expect_command("redirect")
        assert redirect.queue_command is True  # after the say, not instead of it
        assert isinstance(redirect.data, list)
        msgid = await call.hook(
            hook_of(redirect.data), GatherCallback(reason="dtmfDetected", digits="7")
        )
        assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]
        assert results == [None, "7"]


async def test_hook_verb_not_last_in_its_chain_is_sent_without_a_hook() -> None:
    app = App()
    seen: list[PlayCallback] = []

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        await call.gather(input=["digits"]).say(text="no hook on the gather")
        seen.append(await call.play(url="https://example.com/a.wav"))

    async with Simulator(app) as sim:
        call = await sim.call()
        ack = await call.expect_ack(call.session_msgid)
        assert ack.data == [
            {"verb": "gather", "input": ["digits"]},
            {"verb": "say", "text": "no hook on the gather"},
        ]
        redirect = await call.expect_command("redirect")
        assert isinstance(redirect.data, list)
        played = PlayCallback(reason="playCompleted", playback_seconds=3)
        msgid = await call.hook(hook_of(redirect.data), played)
        assert (await call.expect_ack(msgid)).data == []  # the flow returned
        assert [(p.reason, p.playback_seconds, p.call_sid) for p in seen] == [
            ("playCompleted", 3, call.call_sid)
        ]


async def test_flow_that_returns_with_a_hook_pending_acks_it_empty() -> None:
    app = App()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        await call.gather(input=["digits"])

    with watch_log("unanswered; acked with []"):
        async with Simulator(app) as sim:
            call = await sim.call()
            msgid = await call.hook(hook_of(await call.expect_ack(call.session_msgid)), GATHER_1)
            assert (await call.expect_ack(msgid)).data == []
            await expect_idle(call)


async def test_flow_that_sends_nothing_acks_session_new_empty_with_a_warning() -> None:
    app = App()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        return None

    with watch_log("without sending any verbs") as warned:
        async with Simulator(app) as sim:
            call = await sim.call()
            assert (await call.expect_ack(call.session_msgid)).data == []
            assert warned.records


async def test_flow_error_acks_the_pending_hook_with_the_error_reply() -> None:
    app = App(error_reply=[Say(text="sorry"), Hangup()])

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        await call.gather(input=["digits"])
        raise RuntimeError("kaput")

    with watch_log("kaput") as logged:
        async with Simulator(app) as sim:
            call = await sim.call()
            msgid = await call.hook(hook_of(await call.expect_ack(call.session_msgid)), GATHER_1)
            assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]
            assert logged.records[0].call_sid == call.call_sid  # type: ignore[attr-defined]


async def test_flow_error_with_nothing_pending_sends_the_error_reply_as_a_redirect() -> None:
    app = App(error_reply=[Say(text="sorry"), Hangup()])

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        await call.say(text="a")
        raise RuntimeError("kaput")

    with watch_log("kaput"):
        async with Simulator(app) as sim:
            call = await sim.call()
            await call.expect_ack(call.session_msgid)
            redirect = await call.expect_command("redirect")
            assert redirect.queue_command is False
            assert redirect.data == [{"verb": "say", "text": "sorry"}, {"verb": "hangup"}]


async def test_payload_that_does_not_fit_raises_invalid_payload_in_the_flow() -> None:
    app = App()
    errors: list[InvalidPayload] = []

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        try:
            await call.gather(input=["digits"])
        except InvalidPayload as exc:
            errors.append(exc)
            await call.say(text="try again")

    async with Simulator(app) as sim:
        call = await sim.call()
        msgid = await call.hook(hook_of(await call.expect_ack(call.session_msgid)), {"digits": 5})
        assert (await call.expect_ack(msgid)).data == [{"verb": "say", "text": "try again"}]
        assert errors[0].model is GatherCallback
        assert '"digits": 5' in errors[0].raw


async def test_oversize_ack_raises_in_the_flow_and_the_hook_stays_answerable() -> None:
    app = App()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        with pytest.raises(MessageTooLarge):
            await call.say(text="x" * 30_000)
        await call.say(text="short")

    async with Simulator(app) as sim:
        call = await sim.call()
        assert (await call.expect_ack(call.session_msgid)).data == [
            {"verb": "say", "text": "short"}
        ]


# -- deadline: filler ------------------------------------------------------------------------


async def test_slow_flow_acks_the_filler_then_replaces_it_by_redirect() -> None:
    app = App()
    release = asyncio.Event()

    @app.flow("/", filler=Verbs().say(text="One moment").pause(length=10), filler_after=0.05)
    async def main(call: CallFlow) -> None:
        result = await call.gather(input=["digits"])
        await release.wait()  # a slow lookup
        await call.say(text=f"you chose {result.digits}").hangup()

    with watch_log("has not answered verb:hook") as warned:
        async with Simulator(app) as sim:
            call = await sim.call()
            msgid = await call.hook(hook_of(await call.expect_ack(call.session_msgid)), GATHER_1)
            filler = await call.expect_ack(msgid)
            assert filler.data == [
                {"verb": "say", "text": "One moment"},
                {"verb": "pause", "length": 10},
            ]
            assert warned.records[0].call_sid == call.call_sid  # type: ignore[attr-defined]
            release.set()
            redirect = await call.expect_command("redirect")
            assert redirect.queue_command is False  # cut the filler short
            assert redirect.data == [{"verb": "say", "text": "you chose 1"}, {"verb": "hangup"}]


async def test_slow_flow_without_filler_acks_empty_before_the_deadline() -> None:
    app = App()
    release = asyncio.Event()

    @app.flow("/", filler_after=0.05)
    async def main(call: CallFlow) -> None:
        await call.gather(input=["digits"])
        await release.wait()
        await call.say(text="late").hangup()

    with watch_log("acked with []"):
        async with Simulator(app) as sim:
            call = await sim.call()
            msgid = await call.hook(hook_of(await call.expect_ack(call.session_msgid)), GATHER_1)
            assert (await call.expect_ack(msgid)).data == []
            release.set()
            redirect = await call.expect_command("redirect")
            assert redirect.queue_command is False
            assert redirect.data == [{"verb": "say", "text": "late"}, {"verb": "hangup"}]


async def test_slow_start_without_filler_only_warns_session_new_is_acked_when_ready() -> None:
    app = App()
    release = asyncio.Event()

    @app.flow("/", filler_after=0.05)
    async def main(call: CallFlow) -> None:
        await release.wait()
        await call.say(text="hi")

    with watch_log("has sent nothing") as warned:
        async with Simulator(app) as sim:
            call = await sim.call()
            await asyncio.wait_for(warned.seen.wait(), 5)
            await expect_idle(call)  # no [] ack: it would reject the call
            release.set()
            assert (await call.expect_ack(call.session_msgid)).data == [
                {"verb": "say", "text": "hi"}
            ]


async def test_slow_start_with_filler_answers_the_call_then_redirects() -> None:
    app = App()
    release = asyncio.Event()

    @app.flow("/", filler=[Say(text="Please hold")], filler_after=0.05)
    async def main(call: CallFlow) -> None:
        await release.wait()
        await call.say(text="hi")

    with watch_log("has not answered session:new"):
        async with Simulator(app) as sim:
            call = await sim.call()
            assert (await call.expect_ack(call.session_msgid)).data == [
                {"verb": "say", "text": "Please hold"}
            ]
            release.set()
            redirect = await call.expect_command("redirect")
            assert (redirect.queue_command, redirect.data) == (
                False,
                [{"verb": "say", "text": "hi"}],
            )


def test_flow_options_are_checked_at_registration() -> None:
    app = App()

    @app.on_session("/taken")
    async def start(session: Session, call: object) -> None:
        return None

    with pytest.raises(ConfigurationError, match="two on_session/flow handlers"):
        app.flow("/taken")(_noop_flow)
    with pytest.raises(ConfigurationError, match="filler_after"):
        app.flow("/a", filler_after=5.0)
    with pytest.raises(VerbValidationError, match="pause"):
        app.flow("/b", filler=Verbs.from_wire([{"verb": "pause", "length": "x"}]))
    app.flow("/c")(_noop_flow)
    assert set(app.paths) == {"/taken", "/c"}
    with pytest.raises(ConfigurationError, match="two on_session/flow handlers"):
        app.on_session("/c")(start)


async def _noop_flow(call: CallFlow) -> None:
    return None


# -- call end ------------------------------------------------------------------------------------


async def test_hangup_while_awaiting_raises_call_ended_and_runs_finally() -> None:
    app = App()
    done = asyncio.Event()
    outcome: list[str] = []

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        try:
            await call.gather(input=["digits"])
        except CallEnded:
            outcome.append("call ended")
            try:
                await call.say(text="too late")
            except CallEnded:
                outcome.append("later awaits raise too")
            assert call.ended
            raise
        finally:
            done.set()

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.hangup()
        await asyncio.wait_for(done.wait(), 5)
        assert outcome == ["call ended", "later awaits raise too"]


# -- working alongside hook handlers -----------------------------------------------------------


async def test_event_hooks_status_and_tool_calls_keep_working_while_a_flow_awaits() -> None:
    app = App()
    partials: list[str] = []
    statuses: list[str] = []

    @app.action_hook("/partial")
    async def partial(session: Session, result: GatherPartialCallback) -> None:
        partials.append(str(result.model_extra.get("text") if result.model_extra else None))

    @app.on("call:status")
    async def status(session: Session, info: CallStatusCallback) -> None:
        statuses.append(str(info.call_status))

    @app.on("llm:tool-call")
    async def tool(session: Session, request: LlmToolCallCallback) -> None:
        await session.tool_output(str(request.tool_call_id), {"result": "sunny"})

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        result = await call.gather(input=["speech"], partial_result_hook=partial)
        await call.say(text=f"heard {result.reason}")

    async with Simulator(app) as sim:
        call = await sim.call()
        first = await call.expect_ack(call.session_msgid)
        assert first.data[0]["partialResultHook"] == "/partial"  # type: ignore[index,call-overload]
        msgid = await call.hook("/partial", {"text": "hel"})
        assert (await call.expect_ack(msgid)).data == []
        await call.status("in-progress")
        await call.tool_call("t1", "weather", {"city": "Paris"})
        output = await call.expect_command("llm:tool-output")
        assert (output.tool_call_id, output.data) == ("t1", {"result": "sunny"})
        unknown = await call.hook(f"{HOOK_PREFIX}not-ours/1", GATHER_1)
        assert (await call.expect_ack(unknown)).data == []
        msgid = await call.hook(hook_of(first), GatherCallback(reason="timeout"))
        assert (await call.expect_ack(msgid)).data == [{"verb": "say", "text": "heard timeout"}]
        await expect_idle(call)
        assert partials == ["hel"]
        assert statuses == ["in-progress"]


async def test_hook_arriving_twice_is_taken_once_the_repeat_acked_empty() -> None:
    app = App()
    release = asyncio.Event()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        await call.gather(input=["digits"])
        await release.wait()
        await call.say(text="once")

    async with Simulator(app) as sim:
        call = await sim.call()
        hook = hook_of(await call.expect_ack(call.session_msgid))
        first = await call.hook(hook, GATHER_1)
        repeat = await call.hook(hook, GATHER_1)
        assert (await call.expect_ack(repeat)).data == []
        release.set()
        assert (await call.expect_ack(first)).data == [{"verb": "say", "text": "once"}]


async def test_cancelled_await_forgets_its_hook() -> None:
    app = App()
    timed_out = asyncio.Event()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(call.gather(input=["digits"]), 0.05)
        timed_out.set()
        await call.say(text="next")

    async with Simulator(app) as sim:
        call = await sim.call()
        hook = hook_of(await call.expect_ack(call.session_msgid))
        await asyncio.wait_for(timed_out.wait(), 5)
        redirect = await call.expect_command("redirect")
        assert redirect.data == [{"verb": "say", "text": "next"}]
        late = await call.hook(hook, GATHER_1)
        assert (await call.expect_ack(late)).data == []


async def test_two_chains_at_once_is_a_usage_error() -> None:
    app = App()
    errors: list[str] = []
    results: list[str | None] = []

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        started = asyncio.Event()

        async def first() -> None:
            started.set()
            results.append((await call.gather(input=["digits"])).digits)

        task = asyncio.ensure_future(first())
        await started.wait()
        try:
            await call.say(text="meanwhile")
        except FlowUsageError as exc:
            errors.append(str(exc))
        await task

    async with Simulator(app) as sim:
        call = await sim.call()
        ack = await call.expect_ack(call.session_msgid)
        assert ack.verb_names == ["gather"]
        msgid = await call.hook(hook_of(ack), GATHER_1)
        assert (await call.expect_ack(msgid)).data == []
        assert errors == [
            "a call flow sends one verb chain at a time: await each chain before the next"
        ]
        assert results == ["1"]


async def test_a_finished_flow_sends_nothing_more() -> None:
    app = App()
    kept: list[CallFlow] = []

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        kept.append(call)
        await call.say(text="bye")

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.barrier()
        with pytest.raises(FlowUsageError, match="has finished"):
            await kept[0].say(text="again")
        await expect_idle(call)


# -- reconnects ----------------------------------------------------------------------------------


async def test_pending_await_resolves_from_a_hook_on_the_reconnected_socket() -> None:
    app = App()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        result = await call.gather(input=["digits"])
        await call.say(text=f"pressed {result.digits}").hangup()

    async with Simulator(app) as sim:
        old = await sim.call()
        hook = hook_of(await old.expect_ack(old.session_msgid))
        new, reconnect = await old.reconnect()
        assert (await new.expect_ack(reconnect)).data == []
        msgid = await new.hook(hook, GATHER_1)
        assert (await new.expect_ack(msgid)).data == [
            {"verb": "say", "text": "pressed 1"},
            {"verb": "hangup"},
        ]
        assert old.untaken() == []


async def test_answer_to_a_hook_lost_with_its_socket_goes_as_a_redirect_after_reconnect() -> None:
    app = App()
    got = asyncio.Event()
    release = asyncio.Event()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        await call.gather(input=["digits"])
        got.set()
        await release.wait()
        await call.say(text="still here")

    async with Simulator(app) as sim:
        old = await sim.call()
        msgid = await old.hook(hook_of(await old.expect_ack(old.session_msgid)), GATHER_1)
        await asyncio.wait_for(got.wait(), 5)
        new, reconnect = await old.reconnect()  # the server failed the hook on the drop
        assert (await new.expect_ack(reconnect)).data == []
        release.set()
        redirect = await new.expect_command("redirect")
        assert (redirect.queue_command, redirect.data) == (
            True,
            [{"verb": "say", "text": "still here"}],
        )
        assert msgid not in {getattr(m, "msgid", None) for m in old.received}


async def test_first_verbs_after_a_drop_before_session_new_was_answered_ack_the_reconnect() -> None:
    app = App()
    release = asyncio.Event()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        await release.wait()
        result = await call.say(text="hi").gather(input=["digits"])
        await call.say(text=str(result.digits))

    async with Simulator(app) as sim:
        old = await sim.call()
        await old.barrier()
        new, reconnect = await old.reconnect()
        await new.barrier()
        release.set()
        ack = await new.expect_ack(reconnect)  # the server re-keyed session:new to it
        assert ack.verb_names == ["say", "gather"]
        msgid = await new.hook(hook_of(ack), GATHER_1)
        assert (await new.expect_ack(msgid)).data == [{"verb": "say", "text": "1"}]


# -- the README example -------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def _readme_flow_block() -> str:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("## Linear call flows", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README.md: no python block under '## Linear call flows'"
    return match.group(1)


def test_readme_flow_example_type_checks_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "readme_flow.py"
    source.write_text(_readme_flow_block(), encoding="utf-8")
    monkeypatch.chdir(REPO)  # mypy_path in pyproject is relative to the working directory
    # The project's cache (as tests/typing does): only this one small module is new.
    args = ["--config-file", str(REPO / "pyproject.toml"), "--cache-dir", str(REPO / ".mypy_cache")]
    stdout, stderr, status = mypy.api.run([*args, str(source)])
    assert status == 0, stdout + stderr
    # ... and the check can fail: a dial attribute on the gather result is an error.
    broken = _readme_flow_block().replace("result.digits", "result.dial_call_status")
    source.write_text(broken, encoding="utf-8")
    stdout, _, status = mypy.api.run([*args, str(source)])
    assert status == 1
    assert '"GatherCallback" has no attribute "dial_call_status"' in stdout


async def test_readme_flow_example_runs() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_readme_flow_block(), "README.md", "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, App)
    async with Simulator(app) as sim:
        call = await sim.call("/ivr")
        menu = await call.expect_ack(call.session_msgid)
        msgid = await call.hook(hook_of(menu), GATHER_1)
        dial = await call.expect_ack(msgid)
        assert dial.verb_names == ["say", "dial"]
        msgid = await call.hook(hook_of(dial), DialCallback(dial_call_status="busy"))
        assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]
