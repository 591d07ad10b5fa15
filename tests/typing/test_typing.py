"""Run mypy --strict on the typing claims in this directory as part of the test suite.

The claims (``builder_claims.py``) are only meaningful when mypy checks them; this test
makes ``pytest`` do that, with the project's mypy configuration (strict, Python 3.10,
``warn_unused_ignores``), so a builder signature that loosens or tightens fails here.
Errors mypy reports in the package itself are the typecheck session's business; this
test fails on any error in the claim files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mypy import api

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_typing_claims_hold() -> None:
    claims = sorted(str(p) for p in HERE.glob("*.py") if p.name != Path(__file__).name)
    assert claims, "no typing claim files found"
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            "--show-error-codes",
            *claims,
        ]
    )
    assert "error" not in stderr, stderr
    # mypy prints paths relative to the working directory when it can: resolve them.
    ours = [
        line
        for line in stdout.splitlines()
        if ": error:" in line and Path(line.split(":", 1)[0]).resolve().is_relative_to(HERE)
    ]
    assert ours == [], "\n".join(ours)
    assert status in (0, 1), stdout


PYRIGHT_CLAIMS = ("dict_claims.py", "hook_claims.py")
"""Claim files written for both checkers: each must-fail line also carries a precise
``# pyright: ignore[rule]``. pyright runs them in strict mode with ``# type: ignore``
comments disabled and unnecessary ``pyright: ignore`` comments reported, so a case that
stops failing (or starts failing) under pyright fails here, as under mypy above."""


def test_typing_claims_hold_under_pyright(tmp_path: Path) -> None:
    config = {
        "extraPaths": [str(ROOT / "src"), str(ROOT)],
        "typeCheckingMode": "strict",
        "pythonVersion": "3.10",
        "enableTypeIgnoreComments": False,
        "reportUnnecessaryTypeIgnoreComment": "error",
    }
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    files = [str(HERE / name) for name in PYRIGHT_CLAIMS]
    config_file = str(tmp_path / "pyrightconfig.json")
    command = [sys.executable, "-m", "pyright", "--outputjson", "-p", config_file]
    proc = subprocess.run(
        [*command, "--pythonpath", sys.executable, *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(proc.stdout)
    problems = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert problems == [], "\n".join(problems)
    assert report["summary"]["filesAnalyzed"] == len(files), report["summary"]
