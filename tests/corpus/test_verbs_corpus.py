"""Real-world verb arrays and payloads (tests/corpus/data, vendored) against our models.

``verbs.jsonl`` records, for each verb array found in public jambonz code and docs,
whether ``validateApp`` of ``@jambonz/schema`` 0.4.15 accepted it. Our application root
must give the same verdict on every line, and a rejection must name the failing field.
``payloads.jsonl`` holds callback payloads; where a callback model clearly applies, it
must accept the payload and keep every key (nothing lost on the way to a handler).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import JsonValue, ValidationError

from jambonz_types._base import JambonzModel
from jambonz_types.app import JambonzApp
from jambonz_types.callbacks import (
    AmdCallback,
    CallStatusCallback,
    DialCallback,
    GatherCallback,
    SessionNewCallback,
    SessionReconnectCallback,
    SessionRedirectCallback,
    SipReferEventCallback,
    TtsStreamingEventCallback,
)
from jambonz_types.commands import LlmToolOutputCommand

CORPUS = Path(__file__).resolve().parent / "data"


def _lines(name: str) -> list[dict[str, JsonValue]]:
    path = CORPUS / name  # vendored (tests/corpus/data/README.md says where it comes from)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_every_verb_array_gets_the_servers_verdict() -> None:
    lines = _lines("verbs.jsonl")
    wrong = []
    rejected = 0
    for entry in lines:
        expected = entry["ajv_valid_0_4_15"]
        try:
            JambonzApp.model_validate(entry["verbs"], by_alias=True, by_name=False)
            ours = True
        except ValidationError as exc:
            ours = False
            rejected += 1
            for error in exc.errors():
                # A path into the array: the verb index, then the verb or field names.
                assert error["loc"], (entry["source"], error)
                assert isinstance(error["loc"][0], int), (entry["source"], error)
        if ours != expected:
            wrong.append(f"{entry['source']}:{entry['line']} ajv={expected} ours={ours}")
    assert not wrong, "\n".join(wrong)
    assert len(lines) >= 250
    assert rejected >= 10


@pytest.mark.parametrize(
    ("source_line", "path"),
    [
        # from ajv_first_error of each line: the field our error must name too
        ("'/say': must be object", ("gather", "say")),
        ("'/input/1': must be equal to one of the allowed values", ("gather", "input", 1)),
        (
            "'/target/1/auth': must have required property 'username'",
            ("dial", "target", 1, "auth", "username"),
        ),
        ("'/referTo': must be string", ("sip:refer", "referTo")),
        ("'(root)': must have required property 'url'", ("listen", "url")),
        (
            "'/synthesizer': must have required property 'vendor'",
            ("config", "synthesizer", "vendor"),
        ),
        ("'(root)': must have required property 'llmOptions'", ("openai_s2s", "llmOptions")),
        ("invalid instruction: rasa", ()),
    ],
)
def test_invalid_arrays_are_rejected_at_the_failing_field(
    source_line: str, path: tuple[str | int, ...]
) -> None:
    entries = [e for e in _lines("verbs.jsonl") if source_line in str(e.get("ajv_first_error", ""))]
    assert entries, source_line
    for entry in entries:
        with pytest.raises(ValidationError) as caught:
            JambonzApp.model_validate(entry["verbs"], by_alias=True, by_name=False)
        locs = [tuple(e["loc"]) for e in caught.value.errors()]
        if path:
            assert any(loc[1 : 1 + len(path)] == path for loc in locs), (entry["source"], locs)
        else:  # an unknown verb: the error names the verb key's place in the array
            assert any(loc == (0,) for loc in locs), locs


PAYLOAD_MODELS: dict[str, type[JambonzModel] | type[TtsStreamingEventCallback]] = {
    "amd-event": AmdCallback,
    "call-status-webhook": CallStatusCallback,
    "verb:hook:gather (speech)": GatherCallback,
    "verb:hook:gather (digits)": GatherCallback,
    "verb:hook:gather (timeout)": GatherCallback,
    "verb:hook:dial": DialCallback,
    "verb:hook:dial (failed)": DialCallback,
}
"""Payload kind -> the callback model of its ``data`` (the payload itself for webhooks)."""

ENVELOPED: dict[str, type[JambonzModel] | type[TtsStreamingEventCallback]] = {
    "session:new": SessionNewCallback,
    "session:reconnect": SessionReconnectCallback,
    "session:redirect": SessionRedirectCallback,
    "call:status": CallStatusCallback,
    "tts:streaming-event": TtsStreamingEventCallback,
}
"""Websocket message kind -> the callback model of its ``data`` member."""


def _dump(model: object) -> JsonValue:
    if isinstance(model, JambonzModel):
        return model.to_dict()
    assert isinstance(model, TtsStreamingEventCallback)
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)  # type: ignore[no-any-return]


def test_callback_payloads_validate_and_keep_every_key() -> None:
    checked = 0
    for entry in _lines("payloads.jsonl"):
        kind = str(entry["kind"])
        data = entry["data"]
        if kind in PAYLOAD_MODELS:
            cls = PAYLOAD_MODELS[kind]
        elif kind in ENVELOPED and isinstance(data, dict):
            cls, data = ENVELOPED[kind], data["data"]
        else:
            continue
        model = cls.model_validate(data, by_alias=True, by_name=False)
        assert _dump(model) == data, (entry["source"], kind)
        checked += 1
    assert checked >= 20


def test_refer_event_with_string_status_is_a_known_schema_mismatch() -> None:
    """The docs show ``call_status: "180"`` (a string) in a sip:refer event; the schema
    says integer, and our strict model follows the schema. Kept visible, not skipped."""
    (entry,) = [e for e in _lines("payloads.jsonl") if e["kind"] == "sip:refer eventHook"]
    with pytest.raises(ValidationError, match="call_status"):
        SipReferEventCallback.model_validate(entry["data"], by_alias=True, by_name=False)
    data = entry["data"]
    assert isinstance(data, dict)
    fixed = {**data, "call_status": 180}
    assert (
        SipReferEventCallback.model_validate(fixed, by_alias=True, by_name=False).to_dict() == fixed
    )


def test_tool_output_command_from_the_corpus_validates() -> None:
    entries = [e for e in _lines("payloads.jsonl") if e["kind"] == "llm:tool-output (app->jambonz)"]
    assert entries
    for entry in entries:
        command = LlmToolOutputCommand.from_wire(entry["data"])
        assert command.to_dict() == entry["data"]
