"""The ``jambonz-typed`` entry point: help everywhere, exit codes, tracebacks only with --debug."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jambonz_runtime.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("validate", "new", "call", "schema", "api")


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: jambonz-typed [-h] [--debug] COMMAND ...")
    for command in COMMANDS:
        assert f"\n    {command} " in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: jambonz-typed {command} ")
    assert "--debug" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["call"])
    assert exit_.value.code == 2


def test_errors_have_no_traceback_unless_debug(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "no_such_module_xyz:app"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("jambonz-typed: error: cannot import 'no_such_module_xyz'")
    assert "Traceback" not in err
    # --debug works before or after the command
    for args in (
        ["--debug", "call", "no_such_module_xyz:app"],
        ["call", "no_such_module_xyz:app", "--debug"],
    ):
        assert main(args) == 1
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err
        assert err.rstrip().endswith(
            "No module named 'no_such_module_xyz' (run from the project directory or set PYTHONPATH)"
        )


def test_unexpected_errors_are_one_line_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jambonz_runtime.cli import schema

    def boom(*args: object) -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(schema, "schema_info", boom)
    assert main(["schema"]) == 1
    assert capsys.readouterr().err == (
        "jambonz-typed: error: RuntimeError: boom (run with --debug for the traceback)\n"
    )


def test_python_dash_m_and_prog_name() -> None:
    assert build_parser().prog == "jambonz-typed"
    proc = subprocess.run(
        [sys.executable, "-m", "jambonz_runtime", "schema", "say"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("say: jambonz >= 0.9.6\n")
    assert "\x1b[" not in proc.stdout  # not a terminal: no colour
