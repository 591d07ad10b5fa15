"""Unknown wire keys are kept, never written twice, and never turned into nulls.

The server accepts unknown keys wherever a schema does not forbid them, so the models
keep them (``extra="allow"``). A snake_case key that happens to be a field's Python name
is such an unknown key on the wire, and must not make the field look "set".
"""

from __future__ import annotations

from pydantic import JsonValue

from jambonz_types import JambonzApp
from jambonz_types.verbs import Gather, Say


def test_snake_case_twin_of_a_field_stays_an_extra_key() -> None:
    say = Say.from_wire({"verb": "say", "text": "x", "early_media": True})
    assert say.early_media is None
    assert say.to_dict() == {"verb": "say", "text": "x", "early_media": True}


def test_field_and_its_snake_case_twin_both_survive() -> None:
    wire: dict[str, JsonValue] = {
        "verb": "say",
        "text": "x",
        "earlyMedia": True,
        "early_media": False,
    }
    say = Say.from_wire(wire)
    assert say.early_media is True
    assert say.to_dict() == wire


def test_twin_inside_a_verb_array_round_trips() -> None:
    wire = [{"verb": "gather", "num_digits": 3, "input": ["digits"]}]
    app = JambonzApp.model_validate(wire, by_alias=True, by_name=False)
    assert app.model_dump(mode="json", by_alias=True, exclude_unset=True) == wire
    gather = app.root[0]
    assert isinstance(gather, Gather)
    assert gather.num_digits is None


def test_python_names_still_set_fields_in_python() -> None:
    say = Say.model_validate({"verb": "say", "text": "x", "early_media": True})
    assert say.to_dict() == {"verb": "say", "text": "x", "earlyMedia": True}
