"""The generator's output is cached by a hash of its exact input (codegen/models.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from codegen import models


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_an_unchanged_input_is_copied_and_a_changed_one_regenerated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged = tmp_path / "staged" / "verbs"
    staged.mkdir(parents=True)
    props: dict[str, object] = {"tone": {"type": "string"}}
    schema = {"title": "Beep", "type": "object", "properties": props}
    (staged / "beep.json").write_text(json.dumps(schema), encoding="utf-8")
    cache = tmp_path / "cache"

    models.run_datamodel_codegen(staged.parent, tmp_path / "one", None, cache)
    assert len(list(cache.iterdir())) == 1

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the generator ran on a cached input")

    with monkeypatch.context() as patch:
        patch.setattr(subprocess, "run", refuse)
        models.run_datamodel_codegen(staged.parent, tmp_path / "two", None, cache)
    assert _tree(tmp_path / "two") == _tree(tmp_path / "one")

    props["pitch"] = {"type": "number"}
    (staged / "beep.json").write_text(json.dumps(schema), encoding="utf-8")
    models.run_datamodel_codegen(staged.parent, tmp_path / "three", None, cache)
    assert "pitch" in (tmp_path / "three" / "verbs" / "beep.py").read_text(encoding="utf-8")
    assert len(list(cache.iterdir())) == 2
    # Other options (field-name overrides) are part of the key too.
    assert models._cache_key(staged.parent, None) != models._cache_key(
        staged.parent, {"Beep.tone": "pitch_name"}
    )
