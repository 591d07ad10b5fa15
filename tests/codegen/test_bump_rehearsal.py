"""A schema bump rehearsed end to end, the way a maintainer does it, on a copy of the repo.

A "next" schema set is derived from the vendored one with one planted change of each
kind a real bump brings (a new verb, a new property, a new untitled nested object, a
removed enum value, a changed default, a loosened ``additionalProperties``, a newly
required key). The targets are picked from whatever ``schemas/`` holds, so a real bump
does not break the rehearsal. In a temporary copy of the repository (pyproject,
codegen, schemas, the generated package) the commands run as subprocesses:

1. ``python -m codegen vendor DIR --fail-on-breaking`` stops (exit 1, nothing written)
   and prints the ``acknowledged-breaking`` entries to add;
2. with those added to pyproject, the same command vendors the set from the directory
   and writes the report into CHANGELOG.md;
3. ``python -m codegen``, ``python -m codegen --check`` and ``mypy --strict`` on the
   regenerated package all pass.

Then: the new verb is a typed builder method, the report lists exactly the planted
changes with the right class and Python spelling, provenance is recorded, and no
existing class name changed.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen.config import ROOT, load_config
from codegen.schemas import class_name, load_schemas
from codegen.sources import content_sha256

Doc = dict[str, Any]
Planted = tuple[str, str, str]
"""(kind, where, what) exactly as the report prints them."""

BEEP: Doc = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://jambonz.org/schema/verbs/beep",
    "minVersion": "99.1.0",
    "title": "Beep",
    "description": "Plays a beep (a verb that exists only in this rehearsal).",
    "type": "object",
    "properties": {
        "verb": {"const": "beep", "description": "The verb name."},
        "tone": {"type": "string", "enum": ["low", "high"], "description": "Pitch."},
        "durationMs": {"type": "number", "description": "How long."},
    },
    "required": ["tone"],
    "additionalProperties": False,
}


def _load(path: Path) -> Doc:
    data: Doc = json.loads(path.read_text(encoding="utf-8"))
    return data


def _save(path: Path, doc: Doc) -> None:
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _verb_files(schemas: Path) -> Iterator[tuple[str, Path, Doc]]:
    for path in sorted((schemas / "verbs").glob("*.schema.json")):
        yield f"verbs/{path.name.removesuffix('.schema.json')}", path, _load(path)


def _top_props(doc: Doc) -> Iterator[tuple[str, Doc]]:
    for name, prop in sorted((doc.get("properties") or {}).items()):
        if isinstance(prop, dict) and name != "verb":
            yield name, prop


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def plant(schemas: Path) -> list[Planted]:
    """Apply the planted changes to the set in ``schemas``; return what the report must say."""
    planted: list[Planted] = []
    used: set[str] = set()

    (schemas / "verbs" / "beep.schema.json").write_text(json.dumps(BEEP, indent=2) + "\n")
    app = _load(schemas / "jambonz-app.schema.json")
    app["$defs"]["Verb"]["oneOf"].append({"$ref": "verbs/beep"})
    _save(schemas / "jambonz-app.schema.json", app)
    planted.append(("added", "verbs/beep", "new verb"))

    say = _load(schemas / "verbs/say.schema.json")
    say["properties"]["pitchShift"] = {
        "type": "number",
        "description": "Semitones.",
        "minVersion": "99.2.0",
    }
    _save(schemas / "verbs/say.schema.json", say)
    planted.append(("added", "verbs/say#/properties/pitchShift", "new optional property"))

    play = _load(schemas / "verbs/play.schema.json")
    play["properties"]["fadeOptions"] = {
        "type": "object",
        "description": "Fades (an untitled nested object).",
        "properties": {"inMs": {"type": "number"}, "outMs": {"type": "number"}},
        "additionalProperties": False,
    }
    _save(schemas / "verbs/play.schema.json", play)
    planted.append(("added", "verbs/play#/properties/fadeOptions", "new optional property"))
    used |= {"verbs/say", "verbs/play"}

    def first(pred: Callable[[Doc, str, Doc], bool]) -> tuple[str, Path, Doc, str, Doc]:
        for key, path, doc in _verb_files(schemas):
            if key in used:
                continue
            for name, prop in _top_props(doc):
                if pred(doc, name, prop):
                    used.add(key)
                    return key, path, doc, name, prop
        raise AssertionError("no verb property fits this planted change")

    # A removed enum value (one of at least three, so a Literal of two is left).
    key, path, doc, name, prop = first(
        lambda d, n, p: isinstance(p.get("enum"), list) and len(p["enum"]) >= 3
    )
    removed = prop["enum"].pop()
    if prop.get("default") == removed:
        prop["default"] = prop["enum"][0]
        planted.append(
            (
                "changed",
                f"{key}#/properties/{name}",
                f"default {_show(removed)} -> {_show(prop['default'])}",
            )
        )
    _save(path, doc)
    planted.append(
        ("breaking", f"{key}#/properties/{name}", f"enum value removed: {_show(removed)}")
    )

    # A changed numeric default (agent noResponseTimeout 0 -> 12 was missed once).
    key, path, doc, name, prop = first(
        lambda d, n, p: type(p.get("default")) is int and "enum" not in p
    )
    old_default = prop["default"]
    prop["default"] = old_default + 12
    _save(path, doc)
    planted.append(
        ("changed", f"{key}#/properties/{name}", f"default {old_default} -> {old_default + 12}")
    )

    # A newly required key of an existing verb.
    key, path, doc, name, prop = first(
        lambda d, n, p: n not in (d.get("required") or []) and p.get("type") == "string"
    )
    doc["required"] = [*(doc.get("required") or []), name]
    _save(path, doc)
    planted.append(("breaking", f"{key}#/properties/{name}", "now required"))

    # additionalProperties false -> true on a component (gladia's loosening was missed once).
    for path in sorted((schemas / "components").glob("*.schema.json")):
        doc = _load(path)
        if doc.get("additionalProperties") is False and "properties" in doc:
            doc["additionalProperties"] = True
            _save(path, doc)
            key = f"components/{path.name.removesuffix('.schema.json')}"
            planted.append(("changed", key, "additionalProperties false -> true (loosened)"))
            break
    else:
        raise AssertionError("no component forbids additional properties")
    return planted


@dataclasses.dataclass(frozen=True)
class Rehearsal:
    root: Path
    planted: list[Planted]
    blocked: subprocess.CompletedProcess[str]
    vendored: subprocess.CompletedProcess[str]
    steps: dict[str, subprocess.CompletedProcess[str]]
    before: dict[str, set[str]]


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip


def _classes(package: Path) -> dict[str, set[str]]:
    """``verbs/play`` -> names of the classes the module defines."""
    out: dict[str, set[str]] = {}
    for path in sorted(package.glob("*/*.py")):
        if path.name != "__init__.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            out[f"{path.parent.name}/{path.stem}"] = {
                n.name for n in tree.body if isinstance(n, ast.ClassDef)
            }
    return out


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Rehearsal:
    tmp = tmp_path_factory.mktemp("rehearsal")
    root = tmp / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    root.mkdir()
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for part in ("codegen", "schemas", "openapi", "src/jambonz_types", "src/jambonz_runtime"):
        shutil.copytree(ROOT / part, root / part, ignore=ignore)

    nxt = tmp / "schema-next"
    shutil.copytree(ROOT / "schemas", nxt, ignore=shutil.ignore_patterns("*.md", "*.toml"))
    version = load_schemas(load_config(ROOT)).version.split("+")[0]
    package = {"name": "@jambonz/schema", "version": f"{version}-next.1", "license": "MIT"}
    _save(nxt / "package.json", package)
    planted = plant(nxt)
    before = _classes(root / "src/jambonz_types")

    blocked = _run(root, "-m", "codegen", "vendor", str(nxt), "--fail-on-breaking")
    snippet = re.search(r"^acknowledged-breaking = \[\n.*?^\]", blocked.stderr, re.M | re.S)
    assert snippet is not None, blocked.stderr
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    head = "[tool.jambonz-codegen]\n"
    assert head in pyproject
    pyproject = pyproject.replace(head, head + snippet.group(0) + "\n", 1)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    vendored = _run(root, "-m", "codegen", "vendor", str(nxt), "--fail-on-breaking")
    steps = {
        "regenerate": _run(root, "-m", "codegen"),
        "check": _run(root, "-m", "codegen", "--check"),
        "mypy": _run(root, "-m", "mypy", "--strict", "-p", "jambonz_types"),
    }
    return Rehearsal(root, planted, blocked, vendored, steps, before)


def _report(text: str) -> set[tuple[str, str, str, str]]:
    """``(kind, python, what, where)`` of every change line of a printed report."""
    kinds = {"⚠ breaking:": "breaking", "changed:": "changed", "added:": "added"}
    out: set[tuple[str, str, str, str]] = set()
    kind = None
    for line in text.splitlines():
        if line in kinds:
            kind = kinds[line]
        elif kind and (m := re.fullmatch(r"  (.+?): (.+)  \[(.+)\]", line)):
            out.add((kind, m.group(1), m.group(2), m.group(3)))
        elif not line.startswith("  "):
            kind = None
    return out


def test_fail_on_breaking_stops_until_acknowledged(rehearsal: Rehearsal) -> None:
    assert rehearsal.blocked.returncode == 1
    breaking = [p for p in rehearsal.planted if p[0] == "breaking"]
    assert f"{len(breaking)} breaking change(s) not acknowledged" in rehearsal.blocked.stderr
    for _, where, what in breaking:
        assert json.dumps(f"{where}: {what}") in rehearsal.blocked.stderr
    assert rehearsal.vendored.returncode == 0, rehearsal.vendored.stderr


def test_every_step_passes(rehearsal: Rehearsal) -> None:
    for name, proc in rehearsal.steps.items():
        assert proc.returncode == 0, f"{name}:\n{proc.stdout}\n{proc.stderr}"
    assert "is up to date" in rehearsal.steps["check"].stdout
    assert "Success: no issues found" in rehearsal.steps["mypy"].stdout


def test_report_lists_every_planted_change_with_its_class(rehearsal: Rehearsal) -> None:
    blocked = _report(rehearsal.blocked.stdout)
    report = _report(rehearsal.vendored.stdout)
    assert report == blocked  # the refused and the accepted run report the same
    got = {(kind, where, what) for kind, _, what, where in report}
    assert got == set(rehearsal.planted)  # every planted change, and nothing else
    spelled = {where: python for _, python, _, where in report}
    assert spelled["verbs/beep"] == "Verbs.beep()"
    assert spelled["verbs/say#/properties/pitchShift"] == "Verbs.say(pitch_shift=...)"
    assert spelled["verbs/play#/properties/fadeOptions"] == "Verbs.play(fade_options=...)"


def test_changelog_and_provenance(rehearsal: Rehearsal) -> None:
    changelog = (rehearsal.root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n\n## Schema bump to @jambonz/schema ")
    assert "* Update generated code for @jambonz/schema " in changelog
    for kind, where, what in rehearsal.planted:
        mark = {"breaking": "⚠ Breaking:", "changed": "Change:", "added": "Add:"}[kind]
        assert re.search(rf"^  \* {re.escape(mark)} `[^`]+`: {re.escape(what)} \(`{re.escape(where)}`\)$",
                         changelog, re.M), (kind, where)  # fmt: skip
    source = (rehearsal.root / "schemas/SOURCE.toml").read_text(encoding="utf-8")
    assert 'kind = "directory"' in source
    assert 'source = "schema-next"' in source
    files = {
        p.relative_to(rehearsal.root / "schemas").as_posix(): p.read_bytes()
        for p in (rehearsal.root / "schemas").rglob("*.schema.json")
    }
    assert f'content-sha256 = "{content_sha256(files)}"' in source


def test_new_verb_is_a_typed_builder_method(rehearsal: Rehearsal) -> None:
    text = (rehearsal.root / "src/jambonz_types/builder.py").read_text(encoding="utf-8")
    beep = next(
        n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and n.name == "beep"
    )
    params = {a.arg: ast.unparse(a.annotation) for a in beep.args.kwonlyargs if a.annotation}
    assert params["tone"] == "Literal['low', 'high']"
    assert params["duration_ms"] == "StrictInt | StrictFloat | None"
    assert "Requires jambonz >= 99.1.0." in (ast.get_docstring(beep) or "")


def test_no_existing_class_name_changed(rehearsal: Rehearsal) -> None:
    after = _classes(rehearsal.root / "src/jambonz_types")
    for module, names in rehearsal.before.items():
        assert names <= after[module], (module, sorted(names - after[module]))
    config = dataclasses.replace(
        load_config(rehearsal.root), schemas_dir=rehearsal.root / "schemas"
    )
    play = next(f for f in load_schemas(config).files if f.key == "verbs/play")
    assert after["verbs/play"] - rehearsal.before["verbs/play"] == {
        f"{class_name(play, config)}FadeOptions"
    }


def test_property_min_version_reaches_the_version_table(rehearsal: Rehearsal) -> None:
    text = (rehearsal.root / "src/jambonz_types/versions.py").read_text(encoding="utf-8")
    tree = ast.parse(text)
    table = next(
        n.value
        for n in tree.body
        if isinstance(n, ast.AnnAssign)
        and isinstance(n.target, ast.Name)
        and n.target.id == "PROPERTY_MIN_VERSIONS"
    )
    assert table is not None
    assert '"say": MappingProxyType({"pitchShift": "99.2.0"})' in ast.unparse(table).replace(
        "'", '"'
    )
    assert '"beep": "99.1.0"' in text
