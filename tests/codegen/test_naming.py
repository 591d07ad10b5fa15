"""Class names of untitled objects come from their JSON path, never from a counter.

The unit tests pin the naming rules; the staging test adds unrelated untitled objects
to a copy of the vendored schemas (in files that already have inline classes, and in
one that has none) and proves every existing name is unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codegen.config import ROOT, load_config
from codegen.naming import assign_titles
from codegen.schemas import load_schemas, stage


def _obj(**props: object) -> dict[str, object]:
    return {"type": "object", "properties": props}


def test_path_derived_names() -> None:
    doc: dict[str, Any] = {
        "title": "Agent",
        "type": "object",
        "properties": {
            "llm": _obj(auth=_obj(apiKey={"type": "string"}), label={"type": "string"}),
            "mcpServers": {"type": "array", "items": _obj(url={"type": "string"})},
            "history": {"type": "array", "items": _obj(x={"type": "string"})},
            "languageConfig": {"type": "object", "additionalProperties": _obj(tts={})},
            "turnDetection": {"oneOf": [{"type": "string"}, _obj(mode={"type": "string"})]},
            "event": {
                "oneOf": [
                    _obj(type={"const": "turn_end"}, a={}),
                    _obj(type={"const": "user_transcript"}, b={}),
                ]
            },
            "shape": {"anyOf": [_obj(a={}), _obj(b={})]},
            "titled": {**_obj(a={}), "title": "FromTheSchema"},
            "freeForm": {"type": "object"},
        },
        "$defs": {"llmMessage": _obj(role={})},
    }
    names = assign_titles(doc, "verbs/agent")
    assert names == {
        "": "Agent",
        "/properties/llm": "AgentLlm",
        "/properties/llm/properties/auth": "AgentLlmAuth",
        "/properties/mcpServers/items": "AgentMcpServer",
        "/properties/history/items": "AgentHistoryItem",
        "/properties/languageConfig/additionalProperties": "AgentLanguageConfigValue",
        "/properties/turnDetection/oneOf/1": "AgentTurnDetection",
        "/properties/event/oneOf/0": "AgentEventTurnEnd",
        "/properties/event/oneOf/1": "AgentEventUserTranscript",
        "/properties/shape/anyOf/0": "AgentShapeVariant0",
        "/properties/shape/anyOf/1": "AgentShapeVariant1",
        "/properties/titled": "FromTheSchema",
        "/$defs/llmMessage": "AgentLlmMessage",
    }
    assert "title" not in doc["properties"]["freeForm"]  # a dict, not a class


def test_a_clash_is_an_error_naming_the_override() -> None:
    doc = {
        "title": "Say",
        "type": "object",
        "properties": {
            "fooBar": _obj(a={}),
            "foo": _obj(bar=_obj(b={})),
        },
    }
    with pytest.raises(SystemExit) as info:
        assign_titles(doc, "verbs/say")
    message = str(info.value)
    assert "'SayFooBar'" in message
    assert "verbs/say#/properties/foo/properties/bar" in message
    assert '"verbs/say#/properties/fooBar" = "<Name>"' in message
    assert "[tool.jambonz-codegen.titles]" in message


def _staged_names(schemas_dir: Path, tmp: Path) -> dict[str, dict[str, str]]:
    """``group/module`` -> JSON pointer -> class name, for every staged schema."""
    config = dataclasses.replace(load_config(ROOT), schemas_dir=schemas_dir)
    stage(load_schemas(config), config, tmp)
    out: dict[str, dict[str, str]] = {}
    for path in sorted(tmp.glob("*/*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        key = f"{path.parent.name}/{path.stem}"
        out[key] = assign_titles(doc, key)  # already titled: reads the names back
    return out


def _add(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_unrelated_untitled_objects_change_no_existing_name(tmp_path: Path) -> None:
    before = _staged_names(ROOT / "schemas", tmp_path / "before")
    assert any(len(names) > 1 for names in before.values())  # inline classes exist

    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    auth = _obj(token={"type": "string"})
    # A new untitled object first in files that already have inline classes
    # (a generator that numbers would rename the old ones) and in a file with none.
    for rel in ("verbs/agent", "components/llm-base", "callbacks/gather", "verbs/say"):

        def edit(doc: dict[str, Any]) -> None:
            props = doc.setdefault("properties", {})
            doc["properties"] = {"aaaAuth": copy.deepcopy(auth), "auth2": auth, **props}

        _add(schemas / f"{rel}.schema.json", edit)

    after = _staged_names(schemas, tmp_path / "after")
    for key, names in before.items():
        for pointer, name in names.items():
            assert after[key].get(pointer) == name, (key, pointer)
    assert after["verbs/say"]["/properties/auth2"] == "SayAuth2"


def test_a_class_name_the_generator_invents_fails_the_build(tmp_path: Path) -> None:
    from codegen.generate import _check_names

    staged = tmp_path / "say.json"
    staged.write_text(json.dumps({"title": "Say", "properties": {"a": {"title": "SayA"}}}))
    _check_names(
        "class SayA(JambonzModel):\n    pass\nclass Say(SayA):\n    pass\n", staged, "verbs/say"
    )
    with pytest.raises(
        SystemExit, match=r"verbs/say: the generator invented class names \['Auth2'\]"
    ):
        _check_names("class Auth2(JambonzModel):\n    pass\n", staged, "verbs/say")
