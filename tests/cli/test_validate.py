"""``jambonz-typed validate``: output lines, ``--json``, exit status, stdin, colour."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from codegen.config import load_config
from codegen.schemas import load_schemas
from jambonz_runtime.cli import main

BAD = """[
  {"verb": "say", "txt": "hi"},
  {"verb": "gather", "input": ["digits", "dtmf"], "numDigits": "1", "actionHook": "/x"},
  {"verb": "sya"}
]
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    bad = tmp_path / "bad.json"
    bad.write_text(BAD, encoding="utf-8")
    ok = tmp_path / "ok.json"
    ok.write_text('[{"verb": "say", "text": "hi"}, {"verb": "hangup"}]', encoding="utf-8")
    warn = tmp_path / "warn.json"
    warn.write_text('[{"verb": "say", "text": "hi", "lop": 2}]', encoding="utf-8")
    return {"bad": bad, "ok": ok, "warn": warn}


def test_valid_file_exits_0(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(files["ok"])]) == 0
    assert capsys.readouterr().out == f"{files['ok']}: valid (2 verbs)\n"


def test_each_problem_has_file_line_column_path_value_and_allowed(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(files["bad"])]) == 1
    out = capsys.readouterr().out.splitlines()
    name = str(files["bad"])
    assert out == [
        f'{name}:2:19: warning: $[0].txt (say): unknown key "txt": not in the schema, so '
        'jambonz accepts it but may ignore it; did you mean "text"?',
        f'{name}:3:42: error: $[1].input[1] (gather): "dtmf" is not an allowed value',
        '    allowed: "speech", "digits"',
        f'{name}:3:64: error: $[1].numDigits (gather): "1" has the wrong type (string)',
        "    expected: number",
        f'{name}:4:12: error: $[2].verb: unknown verb "sya"; did you mean "say"?',
    ]


def test_warnings_pass_unless_strict(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(files["warn"])]) == 0
    out = capsys.readouterr().out
    assert 'did you mean "loop"?' in out
    assert out.endswith(f"{files['warn']}: valid (1 verb), 1 warning\n")
    assert main(["validate", "--strict", str(files["warn"])]) == 1


def test_several_files_get_a_summary_and_unreadable_ones_are_errors(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.json"
    syntax = tmp_path / "syntax.json"
    syntax.write_text('[{"verb": "say",}]', encoding="utf-8")
    args = ["validate", str(files["ok"]), str(missing), str(syntax), str(tmp_path)]
    assert main(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"{missing}: error: cannot read: no such file" in out
    assert (
        f"{syntax}:1:17: error: not valid JSON: Expecting property name enclosed in double quotes"
        in out
    )
    assert f"{tmp_path}: error: cannot read: is a directory" in out
    assert out[-1] == "4 files: 1 valid, 3 invalid (3 errors, 0 warnings)"


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('[{"verb": "play", "URL": "x"}]'))
    assert main(["validate"]) == 1
    assert capsys.readouterr().out == (
        '<stdin>:1:2: error: $[0].url (play): missing required key "url"; '
        'did you mean "url" instead of "URL"?\n'
    )
    monkeypatch.setattr("sys.stdin", io.StringIO('[{"verb": "hangup"}]'))
    assert main(["validate", "-"]) == 0
    assert capsys.readouterr().out == "<stdin>: valid (1 verb)\n"


def test_no_input_on_a_terminal_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty())
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "jambonz-typed: error: give JSON files to check, or pipe a verb array into stdin (FILE -)\n"
    )


def test_json_report(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--json", str(files["bad"]), str(files["ok"])]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["schema"] == f"@jambonz/schema {load_schemas(load_config()).version}"
    assert (report["valid"], report["errors"], report["warnings"]) == (False, 3, 1)
    bad, ok = report["files"]
    assert ok == {"file": str(files["ok"]), "valid": True, "verbs": 2, "problems": []}
    assert bad["verbs"] == 3
    enum = bad["problems"][1]
    assert enum == {
        "severity": "error",
        "code": "not_allowed",
        "message": '"dtmf" is not an allowed value',
        "path": "$[1].input[1]",
        "pointer": "/1/input/1",
        "line": 3,
        "column": 42,
        "verb": "gather",
        "value": "dtmf",
        "allowed": ["speech", "digits"],
        "expected": [],
        "suggestion": None,
    }
    assert [p["code"] for p in bad["problems"]] == [
        "unknown_key",
        "not_allowed",
        "wrong_type",
        "unknown_verb",
    ]
    assert bad["problems"][3]["suggestion"] == "say"


def test_colour_only_on_a_terminal_without_no_color(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    tty = Tty()
    monkeypatch.setattr("sys.stdout", tty)
    main(["validate", str(files["bad"])])
    assert "\x1b[31;1merror\x1b[0m" in tty.getvalue()

    monkeypatch.setenv("NO_COLOR", "1")
    plain = Tty()
    monkeypatch.setattr("sys.stdout", plain)
    main(["validate", str(files["bad"])])
    assert "\x1b[" not in plain.getvalue()
    assert "error" in plain.getvalue()


def test_jambonz_version_flags_newer_verbs_and_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jambonz_types import versions

    monkeypatch.setattr(versions, "PROPERTY_MIN_VERSIONS", {"say": {"loop": "0.9.7"}})
    monkeypatch.setattr(versions, "VERB_MIN_VERSIONS", {"say": "0.9.6", "hangup": "0.9.8"})
    arr = tmp_path / "app.json"
    arr.write_text('[\n{"verb": "say", "text": "hi", "loop": 2},\n{"verb": "hangup"}\n]\n')
    assert main(["validate", "--jambonz-version", "0.9.6", str(arr)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{arr}:2:31: error: $[0].loop (say): say.loop needs jambonz >= 0.9.7, but jambonz "
        "0.9.6 is declared",
        f"{arr}:3:10: error: $[1].verb (hangup): verb 'hangup' needs jambonz >= 0.9.8, but "
        "jambonz 0.9.6 is declared",
    ]
    assert main(["validate", "--jambonz-version", "0.9.8", str(arr)]) == 0
    assert main(["validate", str(arr)]) == 0  # no version declared: nothing to check
    capsys.readouterr()
    assert main(["validate", "--jambonz-version", "nine", str(arr)]) == 1
    assert capsys.readouterr().err == (
        "jambonz-typed: error: --jambonz-version: 'nine' is not a jambonz version like 0.9.6\n"
    )
