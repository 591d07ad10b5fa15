"""Gather's nested ``say``/``play``: typed models in, the server's wire form out.

The schema makes both free-form objects, so fidelity (accept what ajv accepts, round-
trip what arrives) must hold while Python callers get the ``Say``/``Play`` models.
"""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from jambonz_types import Verbs
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
