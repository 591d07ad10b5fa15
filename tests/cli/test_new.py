"""``jambonz-typed new``: the scaffold passes its own tests and ``mypy --strict`` at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jambonz_runtime.cli import main
from jambonz_runtime.cli._console import CliError
from jambonz_runtime.cli.new import FILES, package_name

SRC = Path(__file__).resolve().parents[2] / "src"


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # this checkout's packages, not whatever jambonz-typed the interpreter has installed
    env["PYTHONPATH"] = str(SRC)
    env["MYPYPATH"] = str(SRC)
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_new_project_passes_its_tests_and_mypy_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    target = tmp_path / "my-ivr"
    assert main(["new", "my-ivr", "--dir", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"created {target}:\n")
    assert "  .venv/bin/jambonz-typed call my_ivr.app:app\n" in out
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert written == sorted(dest.replace("{{package}}", "my_ivr") for _, dest in FILES)
    pyproject = (target / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "my-ivr"' in pyproject
    assert "strict = true" in pyproject
    assert "{{" not in pyproject + (target / "src/my_ivr/app.py").read_text(encoding="utf-8")

    tests = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider"], target, timeout=120)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout
    typed = _run(["-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")], target, timeout=240)
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert typed.stdout.startswith("Success: no issues found in 4 source files")


def test_scaffolded_app_answers_a_scripted_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo-app"
    assert main(["new", "demo-app", "--dir", str(target)]) == 0
    capsys.readouterr()
    monkeypatch.chdir(target)  # ./src is importable, as for an uninstalled project
    monkeypatch.syspath_prepend(str(target / "src"))
    assert main(["call", "demo_app.app:app", "--script", "answers.txt"]) == 0
    out = capsys.readouterr().out
    assert 'caller hears: "Hello from demo-app."' in out
    assert "caller stays silent" in out
    assert 'caller hears: "Nice to meet you, Ada. Goodbye!"' in out


def test_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["new", "taken", "--dir", str(tmp_path / "taken")]) == 1
    assert "already exists and is not an empty directory" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    ("name", "package"), [("my-ivr", "my_ivr"), ("Acme.Voice", "acme_voice"), ("bot2", "bot2")]
)
def test_package_names(name: str, package: str) -> None:
    assert package_name(name) == package


@pytest.mark.parametrize(
    "name", ["2fast", "my ivr", "-x", "class", "json", "jambonz_types", "a--b"]
)
def test_bad_names(name: str) -> None:
    with pytest.raises(CliError):
        package_name(name)
