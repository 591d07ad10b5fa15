"""Issue 21 item 1: the scaffold installs as printed wherever jambonz-typed came from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pytest

from jambonz_runtime.cli import main
from jambonz_runtime.cli.new import requirement

ROOT = Path(__file__).resolve().parents[2]


class FakeDist(metadata.Distribution):
    """A distribution with a given version and PEP 610 ``direct_url.json``."""

    def __init__(self, version: str, direct_url: Mapping[str, object] | None) -> None:
        self._files = {"METADATA": f"Name: jambonz-typed\nVersion: {version}\n"}
        if direct_url is not None:
            self._files["direct_url.json"] = json.dumps(direct_url)

    def read_text(self, filename: str) -> str | None:
        return self._files.get(filename)

    def locate_file(self, path: str | object) -> Path:
        raise NotImplementedError


def test_editable_clone_is_pinned_by_path() -> None:
    dist = FakeDist(
        "0.1.0", {"url": "file:///home/me/jambonz-typed", "dir_info": {"editable": True}}
    )
    assert requirement(dist) == "jambonz-typed @ file:///home/me/jambonz-typed"


def test_wheel_file_is_pinned_by_path() -> None:
    url = "file:///tmp/dist/jambonz_typed-0.1.0-py3-none-any.whl"
    dist = FakeDist("0.1.0", {"url": url, "archive_info": {}})
    assert requirement(dist) == f"jambonz-typed @ {url}"


def test_index_install_is_pinned_by_version() -> None:
    assert requirement(FakeDist("0.3.1", None)) == "jambonz-typed>=0.3.1"
    vcs = {"url": "https://example.invalid/x.git", "vcs_info": {"vcs": "git"}}
    assert requirement(FakeDist("0.3.1", vcs)) == "jambonz-typed>=0.3.1"


def test_this_checkout_scaffolds_a_project_that_points_back_at_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        installed = metadata.distribution("jambonz-typed")
    except metadata.PackageNotFoundError:
        pytest.skip("jambonz-typed is not installed here (the suite runs from PYTHONPATH)")
    direct = json.loads(installed.read_text("direct_url.json") or "{}")
    if direct.get("url") != ROOT.as_uri():
        pytest.skip(f"jambonz-typed is installed from {direct.get('url')}, not this checkout")
    target = tmp_path / "my-ivr"
    assert main(["new", "my-ivr", "--dir", str(target)]) == 0
    capsys.readouterr()
    pyproject = (target / "pyproject.toml").read_text(encoding="utf-8")
    assert f'dependencies = ["jambonz-typed @ {ROOT.as_uri()}"]' in pyproject
    assert "allow-direct-references = true" in pyproject
