"""A schema bump regenerates with no manual step, and the builder and the report follow.

A modified copy of the vendored schemas (a new verb, a new and a removed property, a
changed enum) is run through the whole pipeline into a temporary tree (one build for the
module: it takes a few seconds). The regenerated builder must gain and lose exactly the
matching method and parameters, and the API change report must list each change.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from codegen.config import ROOT, load_config
from codegen.generate import build
from codegen.report import SURFACE_FILE, api_change_report, diff_surfaces
from codegen.schemas import load_schemas

NEW_VERB = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://jambonz.org/schema/verbs/beep",
    "minVersion": "99.1.0",
    "title": "Beep",
    "description": "Plays a beep (a verb that exists only in this test).",
    "type": "object",
    "properties": {
        "verb": {"const": "beep", "description": "The verb name."},
        "tone": {"type": "string", "enum": ["low", "high"], "description": "Pitch."},
        "durationMs": {"type": "number", "description": "How long."},
    },
    "required": ["tone"],
    "additionalProperties": False,
}


def _edit(path: Path, change: object) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class Bumped:
    tree: Path
    methods: dict[str, dict[str, bool]]
    """method name -> parameter name -> required."""
    report: str


def _methods(builder: Path) -> dict[str, dict[str, bool]]:
    cls = next(
        n
        for n in ast.parse(builder.read_text(encoding="utf-8")).body
        if isinstance(n, ast.ClassDef) and n.name == "Verbs"
    )
    out: dict[str, dict[str, bool]] = {}
    for fn in cls.body:
        if isinstance(fn, ast.FunctionDef):
            args = fn.args
            out[fn.name] = {
                a.arg: d is None for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
            }
    return out


@pytest.fixture(scope="module")
def bumped(tmp_path_factory: pytest.TempPathFactory) -> Bumped:
    tmp = tmp_path_factory.mktemp("bump")
    schemas_dir = tmp / "schemas"
    shutil.copytree(ROOT / "schemas", schemas_dir)
    verbs = schemas_dir / "verbs"
    (verbs / "beep.schema.json").write_text(json.dumps(NEW_VERB, indent=2), encoding="utf-8")
    _edit(
        schemas_dir / "jambonz-app.schema.json",
        lambda d: d["$defs"]["Verb"]["oneOf"].append({"$ref": "verbs/beep"}),
    )

    def say(d: dict[str, dict[str, object]]) -> None:
        del d["properties"]["instructions"]
        d["properties"]["pitchShift"] = {"type": "number", "description": "Semitones."}

    _edit(verbs / "say.schema.json", say)

    def listen(d: dict[str, dict[str, dict[str, object]]]) -> None:
        d["properties"]["mixType"]["enum"] = ["mono", "stereo", "surround"]

    _edit(verbs / "listen.schema.json", listen)

    config = dataclasses.replace(load_config(ROOT), schemas_dir=schemas_dir)
    tree = tmp / "jambonz_types"
    tree.mkdir()
    build(load_schemas(config), config, tree)
    return Bumped(
        tree, _methods(tree / "builder.py"), api_change_report(ROOT / "src/jambonz_types", tree)
    )


def test_builder_gains_and_loses_exactly_the_changes(bumped: Bumped) -> None:
    before = _methods(ROOT / "src/jambonz_types/builder.py")
    after = bumped.methods
    assert set(after) - set(before) == {"beep"}
    assert set(before) - set(after) == set()
    assert after["beep"] == {"tone": True, "duration_ms": False}
    assert set(after["say"]) - set(before["say"]) == {"pitch_shift"}
    assert set(before["say"]) - set(after["say"]) == {"instructions"}
    for name in set(before) - {"say"}:
        assert after[name] == before[name], name


def test_new_verb_is_typed_and_in_the_union(bumped: Bumped) -> None:
    text = (bumped.tree / "builder.py").read_text(encoding="utf-8")
    assert 'tone: Literal["low", "high"],' in text
    assert "Requires jambonz >= 99.1.0." in text
    assert "duration_ms: StrictInt | StrictFloat | None = None" in text
    assert "from .verbs.beep import Beep" in (bumped.tree / "app.py").read_text(encoding="utf-8")


def test_listen_enum_change_reaches_the_signature(bumped: Bumped) -> None:
    text = (bumped.tree / "builder.py").read_text(encoding="utf-8")
    listen = next(
        n
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.FunctionDef) and n.name == "listen"
    )
    source = ast.get_source_segment(text, listen) or ""
    assert 'mix_type: Literal["mono", "stereo", "surround"] | None = None' in source
    # stream has its own schema, which the bump left alone
    assert 'mix_type: Literal["mono", "stereo", "mixed"] | None = None' in text


def test_report_lists_every_change(bumped: Bumped) -> None:
    report = bumped.report
    assert "+ verb 'beep': new method Verbs.beep()" in report
    assert "+ Verbs.say(): optional parameter pitch_shift: StrictInt | StrictFloat | None" in report
    assert "- Verbs.say(): parameter instructions removed" in report
    assert "~ Verbs.listen(): mix_type: enum values added: 'surround'" in report
    assert "~ Verbs.listen(): mix_type: enum values removed: 'mixed'" in report
    assert "~ Verbs.stream(): mix_type: enum values added: 'surround'" not in report
    assert "+ model verbs.beep.Beep" in report


def test_report_of_identical_surfaces_is_empty(bumped: Bumped) -> None:
    surface = json.loads((bumped.tree / SURFACE_FILE).read_text(encoding="utf-8"))
    assert diff_surfaces(surface, surface) == []
