"""Behaviour of the generated ``Verbs`` builder: wire output, validation errors, list API."""

from __future__ import annotations

import json

import pytest

from jambonz_types import HookRef, JambonzCallback, Verbs, VerbValidationError
from jambonz_types.callbacks import GatherCallback
from jambonz_types.components import Target
from jambonz_types.verbs import Conference, Say


def test_chain_gives_exact_wire_json() -> None:
    verbs = (
        Verbs()
        .say(text="Hi", early_media=True)
        .gather(input=["speech"], action_hook=HookRef("/menu", GatherCallback))
        .room(name="lobby")
        .sip_decline(status=486)
    )
    assert verbs.to_wire() == [
        {"verb": "say", "text": "Hi", "earlyMedia": True},
        {"verb": "gather", "actionHook": "/menu", "input": ["speech"]},
        {"verb": "room", "name": "lobby"},
        {"verb": "sip:decline", "status": 486},
    ]
    assert json.loads(verbs.to_json()) == verbs.to_wire()
    assert isinstance(verbs.to_list()[2], Conference)


def test_round_trip_through_wire() -> None:
    target = Target(type="phone", number="+15551234567")
    verbs = Verbs().say(text="a").dial(target=[target])
    again = Verbs.from_json(verbs.to_json())
    assert again == verbs
    assert Verbs.from_wire(verbs.to_wire()).to_wire() == verbs.to_wire()


def test_to_list_is_a_copy_and_not_destructive() -> None:
    verbs = Verbs().say(text="a")
    first = verbs.to_list()
    first.clear()
    assert len(verbs) == 1
    assert verbs.to_list() == verbs.to_list()
    assert [v.to_dict() for v in verbs] == verbs.to_wire()


def test_append_extend_add() -> None:
    a = Verbs([Say(text="1")])
    b = Verbs().say(text="2")
    both = a + b
    assert [v["text"] for v in both.to_wire()] == ["1", "2"]
    assert len(a) == 1
    assert len(b) == 1
    a.extend(b).append(Say(text="3"))
    assert [v["text"] for v in a.to_wire()] == ["1", "2", "3"]
    assert not Verbs()
    with pytest.raises(TypeError, match="expected a jambonz verb model"):
        Verbs().append({"verb": "say"})  # type: ignore[arg-type]


def test_bad_literal_names_verb_path_and_choices() -> None:
    with pytest.raises(VerbValidationError) as info:
        Verbs().gather(input=["dtmf"])  # type: ignore[list-item]
    message = str(info.value)
    assert "gather.input.0" in message
    assert "'speech' or 'digits'" in message
    assert info.value.errors.error_count() == 1


def test_error_paths_use_wire_names() -> None:
    with pytest.raises(
        VerbValidationError, match=r"say\.earlyMedia: Input should be a valid boolean"
    ):
        Verbs().say(text="x", early_media="yes")  # type: ignore[arg-type]


def test_from_wire_errors_name_index_and_verb() -> None:
    with pytest.raises(VerbValidationError) as info:
        Verbs.from_wire([{"verb": "say", "text": "ok"}, {"verb": "gather", "input": ["x"]}])
    assert "1.gather.input.0" in str(info.value)
    with pytest.raises(VerbValidationError, match="does not match any of the expected tags"):
        Verbs.from_wire([{"verb": "sey"}])
    with pytest.raises(VerbValidationError):
        Verbs.from_json("not json")


def test_hookref_with_base_payload_is_sent_as_path() -> None:
    hook: HookRef[JambonzCallback] = HookRef("/events", JambonzCallback)
    verbs = Verbs().conference(name="c", enter_hook=hook)
    assert verbs.to_wire() == [{"verb": "conference", "name": "c", "enterHook": "/events"}]


def test_none_means_not_given() -> None:
    assert Verbs().say(text="x", loop=None).to_wire() == [{"verb": "say", "text": "x"}]
