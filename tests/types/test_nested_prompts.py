"""Gather's nested ``say``/``play``: typed models in, the server's wire form out.

The schema makes both free-form objects, so fidelity (accept what ajv accepts, round-
trip what arrives) must hold while Python callers get the ``Say``/``Play`` models.
"""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from jambonz_types import Verbs, _nested
from jambonz_types.verbs import Gather, Play, Say


def test_model_prompt_is_written_without_verb_key() -> None:
    gather = Gather(input=["digits"], say=Say(text="Press 1", early_media=True))
    assert gather.to_dict() == {
        "verb": "gather",
        "input": ["digits"],
        "say": {"text": "Press 1", "earlyMedia": True},
    }
    assert json.loads(gather.to_json()) == gather.to_dict()


def test_play_model_and_builder() -> None:
    wire = Verbs().gather(play=Play(url="https://x/a.wav", loop=2)).to_wire()
    assert wire == [{"verb": "gather", "play": {"url": "https://x/a.wav", "loop": 2}}]


@pytest.mark.parametrize(
    "nested",
    [
        {"text": "hi"},
        {},  # "no fields are required"
        {"text": 5, "verb": "anything", "unknownKey": [1, 2]},  # ajv accepts any object
    ],
)
def test_wire_objects_stay_raw_and_round_trip(nested: dict[str, object]) -> None:
    wire = {"verb": "gather", "say": nested}
    parsed = Gather.from_wire(wire)  # type: ignore[arg-type]
    assert type(parsed.say) is dict
    assert parsed.to_dict() == wire
    assert Gather.from_json(json.dumps(wire)).to_dict() == wire


def test_wrong_model_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        Gather(say=Play(url="x"))  # type: ignore[arg-type]
    assert {err["loc"][0] for err in info.value.errors()} == {"say"}


def test_non_object_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Gather.from_wire({"verb": "gather", "say": "hello"})


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which keys were warned about: "once per process" as if the process were new
    (other tests, e.g. the CLI's, validate the same typos earlier in this process)."""
    monkeypatch.setattr(_nested, "_WARNED", set())


@pytest.mark.usefixtures("fresh_process")
def test_unknown_key_in_a_dict_prompt_is_kept_and_warned_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="jambonz_types")
    for _ in range(3):
        wire = Verbs().gather(say={"txt": "Press 1"}).to_wire()  # type: ignore[arg-type]
        assert wire == [{"verb": "gather", "say": {"txt": "Press 1"}}]  # the server accepts it
    messages = [r.getMessage() for r in caplog.records if r.name == "jambonz_types"]
    assert messages == [
        'nested say: unknown key "txt" is sent as is, but jambonz does not use it; '
        'did you mean "text"?'
    ]


@pytest.mark.usefixtures("fresh_process")
def test_unknown_key_warning_names_the_closest_key_per_prompt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="jambonz_types")
    Gather.from_wire({"verb": "gather", "play": {"uri": "https://x/a.wav"}})
    Gather.from_wire({"verb": "gather", "say": {"early_media": True, "text": "x"}})
    Gather.from_wire({"verb": "gather", "say": {"qqqqqqqq": 1}})
    messages = [r.getMessage() for r in caplog.records if r.name == "jambonz_types"]
    assert len(messages) == 3
    assert 'nested play: unknown key "uri"' in messages[0]
    assert messages[0].endswith('did you mean "url"?')
    assert messages[1].endswith('did you mean "earlyMedia"?')
    assert "valid keys: " in messages[2]
    assert "text" in messages[2]


def test_known_keys_and_models_are_not_warned(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="jambonz_types")
    Verbs().gather(say={"text": "Hi", "synthesizer": {"vendor": "google"}, "earlyMedia": True})
    Verbs().gather(say=Say(text="Hi"), play={"url": "https://x/a.wav", "loop": 2})
    Gather.from_wire({"verb": "gather", "say": {"verb": "say", "text": "x"}})
    assert [r for r in caplog.records if r.name == "jambonz_types"] == []
