"""The package's public API: every ``__all__`` name resolves, and importing it is cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import jambonz_runtime

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", jambonz_runtime.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(jambonz_runtime, name) is not None


def test_all_is_sorted_unique_and_matches_dir() -> None:
    names = jambonz_runtime.__all__
    assert len(set(names)) == len(names)
    assert dir(jambonz_runtime) == sorted(names)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        getattr(jambonz_runtime, "Nope")  # noqa: B009


def test_every_module_declares_all() -> None:
    package = ROOT / "src" / "jambonz_runtime"
    for path in sorted(package.rglob("*.py")):
        assert "__all__" in path.read_text(encoding="utf-8"), path.name


def test_import_is_light() -> None:
    code = (
        "import sys, jambonz_runtime; "
        "heavy = [m for m in ('jambonz_types.app', 'websockets', 'pydantic') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""},
    ).stdout.strip()
    assert out == ""
