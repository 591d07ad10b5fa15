"""Unknown wire keys are kept, never written twice, and never turned into nulls.

The server accepts unknown keys wherever a schema does not forbid them, so the models
keep them (``extra="allow"``). A snake_case key that happens to be a field's Python name
is such an unknown key on the wire, and must not make the field look "set".
"""

from __future__ import annotations

import pytest
from pydantic import JsonValue, ValidationError

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


def test_callbacks_skip_the_per_instance_hooks_and_still_write_shadowing_keys_once() -> None:
    """Inbound payloads validate in pydantic-core alone (no Python hook per instance),
    yet a snake_case extra key still never turns into ``null`` on the way out."""
    from typing import ClassVar

    from jambonz_types import JambonzCallback
    from jambonz_types._rules import Rule
    from jambonz_types.callbacks import CallStatusCallback, GatherCallback

    for callback in (CallStatusCallback, GatherCallback):
        assert callback.__pydantic_post_init__ is None
        assert not callback.__pydantic_decorators__.model_validators
    for verb in (Say, Gather):
        assert verb.__pydantic_post_init__ == "model_post_init"
        assert list(verb.__pydantic_decorators__.model_validators) == ["_no_explicit_null"]

    status = CallStatusCallback.from_wire({"call_sid": "c1", "from_": "x", "from": "+1"})
    assert status.from_ == "+1"
    assert status.to_dict() == {"call_sid": "c1", "from": "+1", "from_": "x"}
    shadowed = CallStatusCallback.from_wire({"call_sid": "c1", "from_": "x"})
    assert shadowed.to_dict() == {"call_sid": "c1", "from_": "x"}
    assert shadowed.to_json() == '{"call_sid":"c1","from_":"x"}'

    class Ruled(JambonzCallback):  # a callback with schema rules gets the hook back
        a: str | None = None
        __jambonz_rules__: ClassVar[tuple[Rule, ...]] = ({"not": {"required": ["a"]}},)

    assert Ruled.__pydantic_post_init__ == "model_post_init"
    assert Ruled.from_wire({}).to_dict() == {}
    with pytest.raises(ValidationError):
        Ruled.from_wire({"a": "x"})


def test_hooks_are_given_once_and_kept_with_a_class_own_post_init() -> None:
    """A subclass inherits the hooks; a strict class with its own ``model_post_init``
    still gets the null check and the verb/rules hook, run before its own."""
    from typing import ClassVar

    from pydantic import BaseModel

    from jambonz_types import JambonzCallback, JambonzModel
    from jambonz_types._rules import Rule

    class LoudSay(Say):
        pass

    assert LoudSay.model_post_init is Say.model_post_init
    assert LoudSay.from_wire({"text": "x"}).to_dict() == {"verb": "say", "text": "x"}

    seen: list[str] = []

    class Own(JambonzModel):
        a: str | None = None

        def model_post_init(self, context: object, /) -> None:
            seen.append(f"own {sorted(self.model_fields_set)}")

    Own.from_wire({"a": "x"})
    assert seen == ["own ['a']"]
    with pytest.raises(ValidationError, match="null is not allowed"):
        Own.from_wire({"a": None})

    class RuledCallback(JambonzCallback):
        a: str | None = None
        __jambonz_rules__: ClassVar[tuple[Rule, ...]] = ({"not": {"required": ["a"]}},)

    class StrictAgain(RuledCallback):
        _reject_null: ClassVar[bool] = True

    assert StrictAgain.model_post_init is RuledCallback.model_post_init
    assert StrictAgain.model_post_init is not BaseModel.model_post_init
    with pytest.raises(ValidationError, match="null is not allowed"):
        StrictAgain.from_wire({"b": None, "a": None})
    assert not RuledCallback.__pydantic_decorators__.model_validators
