"""``jambonz-typed call``: a scripted call to the example apps, printed as a transcript."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from jambonz_runtime import App
from jambonz_runtime.cli import main
from jambonz_runtime.cli.call import load_app, pick_path


def _transcript(out: str) -> list[str]:
    """The output without the lines that carry a random call sid or port."""
    lines = out.splitlines()
    assert re.match(r"calling /\S* from \+\d+ to \+\d+ \(call_sid [0-9a-f-]{36}\)$", lines[0])
    assert re.match(r"  jambonz simulator -> ws://127\.0\.0\.1:\d+/", lines[1])
    return lines[2:]


def test_ivr_menu_scripted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "answers.txt"
    script.write_text("# wrong key first\n7\n\n2\n", encoding="utf-8")
    assert main(["call", "examples.ivr_menu:app", "--script", str(script)]) == 0
    assert _transcript(capsys.readouterr().out) == [
        "  app -> [say, gather] (answering session:new)",
        "call:status in-progress",
        'caller hears: "Welcome to Example Corp."',
        'caller hears: "For sales press 1. For support press 2."',
        "  gather: jambonz listens for digits, 1 digit(s) -> /menu",
        "caller presses: 7",
        '  verb:hook /menu GatherCallback {"reason":"dtmfDetected","digits":"7"}',
        "  app -> [say, gather] (answering verb:hook /menu)",
        'caller hears: "Sorry, I did not get that."',
        'caller hears: "For sales press 1. For support press 2."',
        "  gather: jambonz listens for digits, 1 digit(s) -> /menu",
        "caller presses: 2",
        '  verb:hook /menu GatherCallback {"reason":"dtmfDetected","digits":"2"}',
        "  app -> [say, hangup] (answering verb:hook /menu)",
        'caller hears: "Connecting you to support."',
        "call:status completed",
        "call ended: the app hung up (hangup verb)",
    ]


def test_dial_outcomes_and_typed_dial_payloads(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # answers piped into stdin work like a script
    monkeypatch.setattr("sys.stdin", io.StringIO("dial: busy\n"))
    assert main(["call", "examples/dial_fallback.py", "--from", "+15550001111"]) == 0
    out = capsys.readouterr().out
    assert "from +15550001111 to +15559870000" in out.splitlines()[0]
    lines = _transcript(out)
    assert "dial: phone +15085551212 -> busy" in lines
    assert "dial: phone +15085553434 -> completed" in lines
    hooks = [line for line in lines if "DialCallback" in line]
    assert len(hooks) == 2
    assert '"dial_call_status":"busy","dial_sip_status":486' in hooks[0]
    assert lines[-1] == "call ended: the app hung up (hangup verb)"


def test_app_factory_env_vars_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["call", "jambonz_runtime.demo:echo_app", "--script", "-", "-v", "--env", "A=1"]
    stdin = io.StringIO("speech: hello\nhangup\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", stdin)
        assert main(args) == 0
    lines = _transcript(capsys.readouterr().out)
    assert lines[1].startswith('    [{"verb": "gather", "actionHook": "/echo"')
    assert 'caller says: "hello"' in lines
    assert 'caller hears: "you said: hello"' in lines
    assert lines[-3:] == [
        "caller hangs up",
        "call:status completed",
        "call ended: the caller hung up",
    ]


def test_handler_errors_are_one_line_without_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n"))
    assert main(["call", "examples.call_recording:app"]) == 1  # a handler raised
    err = capsys.readouterr().err
    assert "EnvVarsError: env var SIPREC_SERVER: required but not set" in err
    assert "(--debug shows the traceback)" in err
    assert "Traceback" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n"))
    assert main(["call", "examples.call_recording:app", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n"))
    args = ["call", "examples.call_recording:app", "--env", "SIPREC_SERVER=sip:rec@example.com"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert '  app command record: {"action": "startCallRecording"' in captured.out


def test_ai_verbs_are_reported_as_not_simulated(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["call", "examples.voice_agent:app"]) == 0
    lines = _transcript(capsys.readouterr().out)
    assert (
        "  openai_s2s: connects the caller to an AI voice agent (needs a real call) "
        "(not simulated, next verb)" in lines
    )
    assert lines[-1].startswith("call ended: no more verbs")


def test_several_paths_need_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "examples.queue_with_hold:app", "--script", "/dev/null"]) == 1
    assert capsys.readouterr().err == (
        "jambonz-typed: error: the app answers several paths, choose one with --path: "
        "/support, /agent\n"
    )
    args = ["call", "examples.queue_with_hold:app", "--path", "/support", "--script", "/dev/null"]
    assert main(args) == 0
    assert "  enqueue: puts the caller on hold in a queue" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_xyz:app", "cannot import 'no_such_module_xyz': No module named"),
        ("examples.ivr_menu:nope", "'examples.ivr_menu' has no attribute 'nope'"),
        ("examples.ivr_menu:MENU", "examples.ivr_menu:MENU is a str, not a jambonz_runtime.App"),
        ("missing_file.py", "missing_file.py: no such file"),
        (":app", "expected MODULE:APP"),
    ],
)
def test_load_errors(spec: str, message: str) -> None:
    from jambonz_runtime.cli._console import CliError

    with pytest.raises(CliError, match=re.escape(message)):
        load_app(spec)


def test_load_app_forms() -> None:
    from examples import ivr_menu

    assert load_app("examples.ivr_menu:app") is ivr_menu.app
    assert load_app("examples.ivr_menu") is ivr_menu.app  # attribute defaults to "app"
    assert isinstance(load_app("jambonz_runtime.demo:echo_app"), App)  # a factory
    assert isinstance(load_app("examples/ivr_menu.py:app"), App)


def test_pick_path() -> None:
    from examples import ivr_menu, queue_with_hold

    assert pick_path(ivr_menu.app, None) == "/ivr"
    from jambonz_runtime.cli._console import CliError

    with pytest.raises(CliError, match="its paths: /ivr"):
        pick_path(ivr_menu.app, "/x")
    assert pick_path(queue_with_hold.app, "/agent") == "/agent"


def test_interactive_prompts_reprompt_and_ctrl_d_hangs_up(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    typed = iter(["hello", "7"])
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("sys.stdin", Tty())
    monkeypatch.setattr("builtins.input", fake_input)
    assert main(["call", "examples.ivr_menu:app"]) == 0
    lines = _transcript(capsys.readouterr().out)
    # the menu takes keys only: words are refused at the prompt, then 7 is pressed
    assert prompts[0] == "caller (keys; empty = silence; 'hangup' or Ctrl-D hangs up)> "
    assert len(prompts) == 3
    assert "  this gather does not listen for speech" in lines
    assert '  verb:hook /menu GatherCallback {"reason":"dtmfDetected","digits":"7"}' in lines
    assert not any(line.startswith("caller presses") for line in lines)  # you typed it
    assert lines[-1] == "call ended: the caller hung up"
