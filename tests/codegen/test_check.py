"""The drift check (``python -m codegen --check``): any byte of difference is reported.

One real generation into a temporary tree (a few seconds) is shared by the module; each
test then damages a copy of the committed tree in one way and checks that
``diff_trees`` names it. One subprocess run proves the CLI passes on the clean tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.__main__ import diff_trees
from codegen.config import ROOT, Config, load_config
from codegen.generate import build
from codegen.schemas import load_schemas


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT)


@pytest.fixture(scope="module")
def generated(config: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("generated") / config.package
    tree.mkdir()
    build(load_schemas(config), config, tree)
    return tree


@pytest.fixture
def committed(config: Config, tmp_path: Path) -> Path:
    copy = tmp_path / "committed"
    shutil.copytree(config.output_dir, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_fresh_generation_matches_committed_tree(generated: Path, committed: Path) -> None:
    assert diff_trees(generated, committed) == []


def test_hand_edit_is_reported_as_a_diff(generated: Path, committed: Path) -> None:
    say = committed / "verbs" / "say.py"
    say.write_text(say.read_text(encoding="utf-8") + "# tweak\n", encoding="utf-8")
    lines = diff_trees(generated, committed)
    assert "--- committed/verbs/say.py" in lines
    assert "+++ regenerated/verbs/say.py" in lines
    assert "-# tweak" in lines
    assert all("gather.py" not in line for line in lines)


def test_single_byte_change_is_reported(generated: Path, committed: Path) -> None:
    target = committed / "app.py"
    data = target.read_bytes()
    target.write_bytes(data.replace(b'"say"', b'"sax"', 1))
    assert any(line.startswith("--- committed/app.py") for line in diff_trees(generated, committed))


def test_added_file_is_reported(generated: Path, committed: Path) -> None:
    (committed / "verbs" / "extra.py").write_text("X = 1\n", encoding="utf-8")
    assert diff_trees(generated, committed) == ["unexpected file (not generated): verbs/extra.py"]


def test_removed_file_is_reported(generated: Path, committed: Path) -> None:
    (committed / "callbacks" / "dial.py").unlink()
    assert diff_trees(generated, committed) == ["missing file: callbacks/dial.py"]


def test_long_diffs_are_truncated(generated: Path, committed: Path) -> None:
    for path in sorted((committed / "verbs").glob("*.py")):
        path.write_text("", encoding="utf-8")
    lines = diff_trees(generated, committed, limit=50)
    assert len(lines) == 51
    assert lines[-1].startswith("... (")
    assert lines[-1].endswith("more diff lines)")


def test_cli_check_passes_on_clean_tree() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "is up to date" in proc.stdout
