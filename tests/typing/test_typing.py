"""Run mypy --strict on the typing claims in this directory as part of the test suite.

The claims (``builder_claims.py``) are only meaningful when mypy checks them; this test
makes ``pytest`` do that, with the project's mypy configuration (strict, Python 3.10,
``warn_unused_ignores``), so a builder signature that loosens or tightens fails here.
Errors mypy reports in the package itself are the typecheck session's business; this
test fails on any error in the claim files.
"""

from __future__ import annotations

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
    ours = [line for line in stdout.splitlines() if line.startswith(str(HERE))]
    assert ours == [], "\n".join(ours)
    assert status in (0, 1), stdout
