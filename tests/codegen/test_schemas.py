"""Staging of the vendored schemas (codegen/schemas.py) on a tiny fixture schema set.

The published schemas reference each other by ``$id`` URL, some of which contain a colon
(``verbs/sip:decline``) and differ from the file name; datamodel-code-generator follows
file paths only. These tests pin the rewrite that bridges the two, and the class names
the staged titles produce, without running the generator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codegen.config import Config
from codegen.schemas import SchemaSet, class_name, load_schemas, pascal, snake, stage

BASE = "https://jambonz.org/schema"

FIXTURE: dict[str, dict[str, Any]] = {
    "verbs/say.schema.json": {
        "$id": f"{BASE}/verbs/say",
        "title": "Say",
        "type": "object",
        "properties": {
            "verb": {"const": "say"},
            "synthesizer": {"$ref": "../components/synthesizer"},
            "voice": {"$ref": "../components/synthesizer#/$defs/Voice"},
            "local": {"$ref": "#/$defs/Local"},
            "inline": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
        "$defs": {"Local": {"type": "string"}},
    },
    "verbs/sip-decline.schema.json": {
        "$id": f"{BASE}/verbs/sip:decline",
        "title": "SIP Decline",
        "type": "object",
        "properties": {"verb": {"const": "sip:decline"}, "status": {"type": "number"}},
        "required": ["status"],
    },
    "verbs/conference.schema.json": {
        "$id": f"{BASE}/verbs/conference",
        "title": "Conference",
        "type": "object",
        "properties": {"verb": {"enum": ["conference", "room"]}},
    },
    "components/synthesizer.schema.json": {
        "$id": f"{BASE}/components/synthesizer",
        "title": "Synthesizer",
        "type": "object",
        "properties": {"vendor": {"type": "string"}, "auth": {"$ref": "auth"}},
        "$defs": {"Voice": {"type": "string"}},
    },
    "components/auth.schema.json": {
        "$id": f"{BASE}/components/auth",
        "title": "Auth",
        "type": "object",
    },
    "callbacks/call-status.schema.json": {
        "$id": f"{BASE}/callbacks/call-status",
        "title": "Call status",
        "type": "object",
        "properties": {"nested": {"type": "object", "properties": {"x": {"type": "string"}}}},
    },
    "commands/llm-tool-output.schema.json": {
        "$id": f"{BASE}/commands/llm:tool-output",
        "title": "LLM tool output",
        "type": "object",
        "properties": {"synth": {"$ref": "../components/synthesizer"}},
    },
    "jambonz-app.schema.json": {
        "$id": f"{BASE}/jambonz-app",
        "type": "array",
        "items": {"$ref": "#/$defs/Verb"},
        "$defs": {
            "Verb": {
                "oneOf": [
                    {"$ref": "verbs/say"},
                    {"$ref": "verbs/sip:decline"},
                    {"$ref": "verbs/conference"},
                ],
                "discriminator": {"propertyName": "verb"},
            }
        },
    },
}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    root = tmp_path / "schemas"
    for rel, doc in FIXTURE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc), encoding="utf-8")
    (root / "SOURCE.toml").write_text('package = "@jambonz/schema"\nversion = "9.9.9"\n')
    return Config(
        schemas_dir=root,
        output_dir=tmp_path / "out",
        package="jambonz_types",
        class_names={"components/auth": "VendorAuth"},
        titles={"verbs/say#/properties/inline": "InlineThing"},
    )


@pytest.fixture
def schemas(config: Config) -> SchemaSet:
    return load_schemas(config)


@pytest.fixture
def staged(schemas: SchemaSet, config: Config, tmp_path: Path) -> Path:
    dest = tmp_path / "staged"
    stage(schemas, config, dest)
    return dest


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_load_reads_sorted_files_and_version(schemas: SchemaSet) -> None:
    assert schemas.version == "9.9.9"
    assert [f.path.as_posix() for f in schemas.files] == [
        "verbs/conference.schema.json",
        "verbs/say.schema.json",
        "verbs/sip-decline.schema.json",
        "components/auth.schema.json",
        "components/synthesizer.schema.json",
        "callbacks/call-status.schema.json",
        "commands/llm-tool-output.schema.json",
    ]


def test_stage_writes_module_named_files(staged: Path) -> None:
    assert sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*.json")) == [
        "app.json",
        "callbacks/call_status.json",
        "commands/llm_tool_output.json",
        "components/auth.json",
        "components/synthesizer.json",
        "verbs/conference.json",
        "verbs/say.json",
        "verbs/sip_decline.json",
    ]


def test_refs_rewritten_through_id_map(staged: Path) -> None:
    say = _load(staged / "verbs/say.json")["properties"]
    assert say["synthesizer"] == {"$ref": "../components/synthesizer.json"}
    assert say["voice"] == {"$ref": "../components/synthesizer.json#/$defs/Voice"}
    assert say["local"] == {"$ref": "#/$defs/Local"}  # in-document refs untouched
    synth = _load(staged / "components/synthesizer.json")["properties"]
    assert synth["auth"] == {"$ref": "auth.json"}  # same group: bare file name
    cmd = _load(staged / "commands/llm_tool_output.json")["properties"]
    assert cmd["synth"] == {"$ref": "../components/synthesizer.json"}


def test_app_refs_and_discriminator_mapping_use_colon_ids(staged: Path) -> None:
    verb = _load(staged / "app.json")["$defs"]["Verb"]
    assert [r["$ref"] for r in verb["oneOf"]] == [
        "verbs/say.json",
        "verbs/sip_decline.json",
        "verbs/conference.json",
    ]
    assert verb["discriminator"]["mapping"] == {
        "say": "verbs/say.json",
        "sip:decline": "verbs/sip_decline.json",
        "conference": "verbs/conference.json",
        "room": "verbs/conference.json",
    }


def test_ids_dropped(staged: Path) -> None:
    for path in staged.rglob("*.json"):
        assert "$id" not in _load(path), path


def test_titles_become_class_names(staged: Path) -> None:
    titles = {p.relative_to(staged).as_posix(): _load(p)["title"] for p in staged.rglob("*/*.json")}
    assert titles == {
        "verbs/say.json": "Say",
        "verbs/sip_decline.json": "SIPDecline",
        "verbs/conference.json": "Conference",
        "components/synthesizer.json": "Synthesizer",
        "components/auth.json": "VendorAuth",  # class-names override
        "callbacks/call_status.json": "CallStatusCallback",
        "commands/llm_tool_output.json": "LlmToolOutputCommand",
    }
    inline = _load(staged / "verbs/say.json")["properties"]["inline"]
    assert inline["title"] == "InlineThing"  # titles override for an untitled inline object


def test_callback_objects_get_tolerant_base(staged: Path) -> None:
    doc = _load(staged / "callbacks/call_status.json")
    assert doc["customBasePath"] == "jambonz_types._base.JambonzCallback"
    assert doc["properties"]["nested"]["customBasePath"] == "jambonz_types._base.JambonzCallback"
    assert "customBasePath" not in _load(staged / "verbs/say.json")


def test_schema_file_names(schemas: SchemaSet, config: Config) -> None:
    by_key = {f.key: f for f in schemas.files}
    decline = by_key["verbs/sip-decline"]
    assert (decline.group, decline.stem, decline.module) == ("verbs", "sip-decline", "sip_decline")
    assert decline.schema_id == f"{BASE}/verbs/sip:decline"
    assert decline.verb_names == ("sip:decline",)
    assert by_key["verbs/conference"].verb_names == ("conference", "room")
    assert class_name(by_key["callbacks/call-status"], config) == "CallStatusCallback"
    assert [f.key for f in schemas.app_verb_files()] == [
        "verbs/say",
        "verbs/sip-decline",
        "verbs/conference",
    ]


def test_missing_version_line_is_an_error(config: Config) -> None:
    (config.schemas_dir / "SOURCE.toml").write_text('package = "@jambonz/schema"\n')
    with pytest.raises(SystemExit, match="version"):
        load_schemas(config)


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("recognizer-assemblyAiOptions", "recognizer_assembly_ai_options"),
        ("sip:decline", "sip_decline"),
        ("actionHookDelayAction", "action_hook_delay_action"),
        ("tts-streaming-event", "tts_streaming_event"),
    ],
)
def test_snake(name: str, want: str) -> None:
    assert snake(name) == want


@pytest.mark.parametrize(
    ("name", "want"),
    [("tts-streaming-event", "TtsStreamingEvent"), ("llm:tool-output", "LlmToolOutput")],
)
def test_pascal(name: str, want: str) -> None:
    assert pascal(name) == want
