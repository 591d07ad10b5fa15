"""App-side protocol.md §9 checklist items not covered elsewhere, through the simulator.

Test names carry the checklist number they cover. Every wire assertion compares the exact
JSON object the simulator received; "nothing was sent" is proven with a ping round trip
(``barrier``), never a sleep.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import mypy.api
import pytest

from jambonz_runtime import (
    App,
    JambonzErrorCallback,
    LlmToolCallCallback,
    Session,
    TtsTokensResultCallback,
)
from jambonz_runtime.testing import Simulator
from jambonz_types import Verbs
from jambonz_types.callbacks import (
    CallStatusCallback,
    GatherCallback,
    SessionNewCallback,
    SessionRedirectCallback,
    TtsStreamingEventCallback,
    VerbStatusCallback,
)

REPO = Path(__file__).resolve().parents[3]


def _app() -> tuple[App, list[Session]]:
    """An app whose session:new answers one ``say`` and records the session."""
    app = App()
    sessions: list[Session] = []

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        sessions.append(session)
        return Verbs().say(text="hi")

    return app, sessions


async def test_12_redirect_to_hook_then_session_redirect_acked_by_its_handler() -> None:
    app, sessions = _app()
    seen: list[str | None] = []

    @app.action_hook("/x")
    async def moved(session: Session, info: SessionRedirectCallback) -> Verbs:
        seen.append(info.call_sid)
        return Verbs().say(text="moved").hangup()

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await sessions[0].redirect_to_hook("/x")
        redirect = await call.expect_command("redirect")
        assert json.loads(redirect.raw) == {
            "type": "command",
            "command": "redirect",
            "data": {"call_hook": "/x"},
        }
        # jambonz fetches the new app: session:redirect on the same socket, hook /x.
        msgid = await call.hook("/x", {}, type="session:redirect")
        ack = await call.expect_ack(msgid)
        assert json.loads(ack.raw) == {
            "type": "ack",
            "msgid": msgid,
            "data": [{"verb": "say", "text": "moved"}, {"verb": "hangup"}],
        }
        assert ack.verb_names == ["say", "hangup"]
        assert seen == [call.call_sid]
        await call.barrier()
        assert call.untaken() == []
        assert call.duplicate_acks == []


async def test_12_redirect_to_hook_with_hook_ref_sends_its_path() -> None:
    app, sessions = _app()

    @app.action_hook("/x")
    async def moved(session: Session, info: SessionRedirectCallback) -> Verbs:
        return Verbs().hangup()

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await sessions[0].redirect_to_hook(moved, call_sid="leg-b")
        redirect = await call.expect_command("redirect")
        assert json.loads(redirect.raw) == {
            "type": "command",
            "command": "redirect",
            "callSid": "leg-b",
            "data": {"call_hook": "/x"},
        }


@pytest.mark.parametrize("queue", [False, True])
async def test_10_11_hook_acked_empty_then_redirect_wakes_the_call(queue: bool) -> None:
    app, sessions = _app()
    waiting = asyncio.Event()

    @app.action_hook("/gathered")
    async def gathered(session: Session, result: GatherCallback) -> Verbs:
        waiting.set()
        return Verbs()  # empty: keep jambonz waiting: verbs come later with a redirect command

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        msgid = await call.hook(gathered, GatherCallback(reason="timeout"))
        ack = await call.expect_ack(msgid)
        assert json.loads(ack.raw) == {"type": "ack", "msgid": msgid, "data": []}
        assert waiting.is_set()
        await sessions[0].redirect(Verbs().say(text="later").hangup(), queue=queue)
        redirect = await call.expect_command("redirect")
        assert json.loads(redirect.raw) == {
            "type": "command",
            "command": "redirect",
            "queueCommand": queue,
            "data": [{"verb": "say", "text": "later"}, {"verb": "hangup"}],
        }
        await call.barrier()
        assert call.untaken() == []


class Seen(list[tuple[str, object]]):
    """What notification handlers saw; ``all_in`` is set once ``expected`` entries arrived."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.all_in = asyncio.Event()

    def append(self, item: tuple[str, object]) -> None:
        super().append(item)
        if len(self) >= self.expected:
            self.all_in.set()


def _handled_notifications_app() -> tuple[App, Seen]:
    app, _ = _app()
    got = Seen(7)

    @app.on("call:status")
    async def status(session: Session, payload: CallStatusCallback) -> None:
        got.append(("call:status", payload.call_status))

    @app.on("verb:status")
    async def verb_status(session: Session, payload: VerbStatusCallback) -> None:
        got.append(("verb:status", type(payload).__name__))

    @app.on("llm:tool-call")
    async def tool(session: Session, payload: LlmToolCallCallback) -> None:
        got.append(("llm:tool-call", payload.tool_call_id))

    @app.on("tts:streaming-event")
    async def tts_event(session: Session, payload: TtsStreamingEventCallback) -> None:
        got.append(("tts:streaming-event", payload.root.event_type))

    @app.on("tts:tokens-result")
    async def tts_result(session: Session, payload: TtsTokensResultCallback) -> None:
        got.append(("tts:tokens-result", payload.status))

    @app.on("jambonz:error")
    async def error(session: Session, payload: JambonzErrorCallback) -> None:
        got.append(("jambonz:error", payload.details))

    return app, got


@pytest.mark.parametrize("handled", [False, True], ids=["unhandled", "handled"])
async def test_07_09_notifications_are_never_acked_only_the_hook_is(handled: bool) -> None:
    if handled:
        app, got = _handled_notifications_app()
    else:
        app, _ = _app()
        got = Seen(0)

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.status("in-progress")
        await call.send("verb:status", {"id": "v1", "event": "starting", "name": "say"})
        await call.tool_call("t1", "lookup", {"cityName": "Paris"})
        await call.tts_event("stream_paused")
        await call.tts_event("stream_resumed")
        await call.tts_result(7, "ok")
        await call.send(
            "jambonz:error",
            {"msg": "InvalidMessage", "details": "missing data", "content": '{"type":"command"}'},
        )
        # The one ack-needing message in the burst is acked, by its own msgid.
        hook_msgid = await call.hook("/nobody", {})
        ack = await call.expect_ack(hook_msgid)
        assert json.loads(ack.raw) == {"type": "ack", "msgid": hook_msgid, "data": []}
        # Every earlier frame has been read and handled: nothing else went out.
        await call.barrier()
        if handled:
            # Handlers run as tasks: wait (bounded) until all seven have run.
            await asyncio.wait_for(got.all_in.wait(), 5)
            assert got == [
                ("call:status", "in-progress"),
                ("verb:status", "VerbStatusCallback"),
                ("llm:tool-call", "t1"),
                ("tts:streaming-event", "stream_paused"),
                ("tts:streaming-event", "stream_resumed"),
                ("tts:tokens-result", "ok"),
                ("jambonz:error", "missing data"),
            ]
            await call.barrier()
        assert [m.raw for m in call.untaken()] == []
        acked = [m.message["msgid"] for m in call.received if m.type == "ack"]
        assert acked == [call.session_msgid, hook_msgid]
        assert call.duplicate_acks == []


def _readme_app_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Write an app", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README.md: no python block under '## Write an app'"
    return match.group(1)


def test_readme_app_example_type_checks_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _readme_app_block()
    assert "@app.on_session" in code
    source = tmp_path / "readme_app.py"
    source.write_text(code, encoding="utf-8")
    # mypy_path in pyproject is relative to the working directory.
    monkeypatch.chdir(REPO)
    stdout, stderr, status = mypy.api.run(
        [
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(source),
        ]
    )
    assert status == 0, stdout + stderr
    assert "Success" in stdout


def test_readme_example_check_catches_a_type_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same check on a broken copy fails: the test above can fail.
    code = _readme_app_block().replace("num_digits=1", 'num_digits="1"')
    source = tmp_path / "readme_bad.py"
    source.write_text(code, encoding="utf-8")
    monkeypatch.chdir(REPO)
    stdout, _, status = mypy.api.run(
        [
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(source),
        ]
    )
    assert status == 1
    assert "num_digits" in stdout or "arg-type" in stdout
