"""Issue 21 items 5 and 7: ``jambonz-typed call`` plays tool calls and fails a broken app."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from jambonz_runtime import LlmToolCallCallback
from jambonz_runtime.cli import main
from jambonz_runtime.cli._callsim import parse_tool_call

BROKEN = textwrap.dedent(
    """
    from jambonz_runtime import App, Session
    from jambonz_types import Verbs
    from jambonz_types.callbacks import GatherCallback, SessionNewCallback

    app = App(error_reply=Verbs().say(text="Sorry").hangup())


    @app.action_hook("/menu")
    async def menu(session: Session, result: GatherCallback) -> Verbs:
        raise RuntimeError("bug in the menu")


    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().gather(input=["digits"], num_digits=1, action_hook=menu)
    """
)


def test_scripted_call_fails_when_a_handler_raises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "broken_app.py"
    app.write_text(BROKEN, encoding="utf-8")
    script = tmp_path / "answers.txt"
    script.write_text("1\n", encoding="utf-8")
    assert main(["call", f"{app}:app", "--script", str(script)]) == 1
    captured = capsys.readouterr()
    assert 'caller hears: "Sorry"' in captured.out  # the call itself went on
    assert "bug in the menu" in captured.err
    assert "the app logged 1 error(s) during the call: exit status 1" in captured.err


def test_scripted_tool_calls_reach_the_app_and_its_answers_are_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "agent.txt"
    script.write_text('tool: get_weather {"city": "Paris"}\ntool: get_weather\n', encoding="utf-8")
    assert main(["call", "examples.voice_agent:app", "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert '  llm:tool-call /tool-call get_weather {"city": "Paris"} (call_sim_1)' in out
    assert '\\"city\\": \\"Paris\\", \\"temperature_c\\": 21' in out  # the tool's output
    assert '\\"error\\": \\"missing city\\"' in out  # second call, no args
    assert "  verb:hook /agent-done LlmCallback" in out
    assert 'caller hears: "Thanks for calling. Goodbye."' in out


def test_unanswered_tool_call_fails_the_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "agent.txt"
    script.write_text("tool: get_weather {}\n", encoding="utf-8")
    app = tmp_path / "mute_agent.py"
    app.write_text(
        textwrap.dedent(
            """
            from jambonz_runtime import App, Session
            from jambonz_types import Verbs
            from jambonz_types.callbacks import SessionNewCallback

            app = App()


            @app.on_session("/")
            async def start(session: Session, call: SessionNewCallback) -> Verbs:
                return Verbs().openai_s2s(model="m", llm_options={}, tool_hook="/tool-call")
            """
        ),
        encoding="utf-8",
    )
    args = ["call", f"{app}:app", "--script", str(script), "--timeout", "0.5"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "did not answer tool call 'get_weather' (call_sim_1)" in out


def test_tool_line_parsing() -> None:
    assert parse_tool_call('tool: lookup {"id": 3}').args == {"id": 3}
    assert parse_tool_call("tool: hangup").args == {}
    with pytest.raises(ValueError, match="not JSON"):
        parse_tool_call("tool: lookup {id: 3}")


def test_tool_call_arguments_are_a_dict_whatever_the_vendor_sent() -> None:
    as_object = LlmToolCallCallback.from_wire({"tool_call_id": "t", "args": {"city": "Oslo"}})
    as_string = LlmToolCallCallback.from_wire({"tool_call_id": "t", "args": '{"city": "Oslo"}'})
    assert as_object.arguments == as_string.arguments == {"city": "Oslo"}
    assert LlmToolCallCallback.from_wire({"args": [1]}).arguments == {}
    assert LlmToolCallCallback.from_wire({"args": "not json"}).arguments == {}
