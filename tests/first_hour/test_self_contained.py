"""Issue 21 item 9: a fresh clone's test run needs nothing outside the repo and says why
anything is left out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A path built to climb out of the repository (``root / ".." / "shared"``) or an
# absolute one into the workplace's shared folder.
OUTSIDE = re.compile(r"""["']\.\.["']\s*/|/work/shared""")


def test_no_test_reads_files_outside_the_repository() -> None:
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path != Path(__file__) and OUTSIDE.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_corpus_is_vendored() -> None:
    data = ROOT / "tests" / "corpus" / "data"
    for name in ("verbs.jsonl", "payloads.jsonl", "README.md"):
        assert (data / name).is_file(), name
    assert len((data / "verbs.jsonl").read_text(encoding="utf-8").splitlines()) == 291


def test_deselected_tests_are_explained() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not conformance",
            "tests/conformance",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 5, proc.stdout + proc.stderr  # nothing selected there
    assert (
        "deselected: the ajv conformance tests (marker 'conformance'), which need npm; "
        "`python -m nox -s conformance` runs them"
    ) in proc.stdout
