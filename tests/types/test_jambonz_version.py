"""Checking verbs against a declared jambonz release (the schemas' ``minVersion``).

Expectations come from the generated tables, which tests/codegen/test_min_versions.py
checks against the schema files; property-level entries are patched in, because the
vendored schemas may declare none (the bump rehearsal proves codegen carries them).
"""

from __future__ import annotations

import json

import pytest
from pydantic import JsonValue

import jambonz_types
from codegen.config import load_config
from codegen.schemas import load_schemas
from jambonz_types import (
    PROPERTY_MIN_VERSIONS,
    VERB_MIN_VERSIONS,
    JambonzError,
    JambonzVersionError,
    Verbs,
    check_jambonz_version,
)
from jambonz_types import versions as tables
from jambonz_types._versions import new_since, parse_version
from jambonz_types.app import verb_adapter
from jambonz_types.verbs import Say


def _newest() -> tuple[str, str, dict[str, JsonValue]]:
    """The verb with the highest minVersion among those with a schema example: its name,
    that version and the example (a valid verb object)."""
    examples: dict[str, dict[str, JsonValue]] = {}
    for f in load_schemas(load_config()).group("verbs"):
        for example in f.doc.get("examples", ()):
            if isinstance(example, dict) and isinstance(example.get("verb"), str):
                examples.setdefault(example["verb"], example)
    known = [
        (parse_version(v), k, v)
        for k, v in VERB_MIN_VERSIONS.items()
        if v is not None and k in examples
    ]
    _, verb, version = max(known)
    return verb, version, examples[verb]


def _just_below(version: str) -> str:
    major, minor, patch = parse_version(version)
    if patch:
        return f"{major}.{minor}.{patch - 1}"
    if minor:
        return f"{major}.{minor - 1}.99"
    return f"{major - 1}.99.99"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("0.9.6", (0, 9, 6)),
        ("10.1", (10, 1, 0)),
        ("v11.1.0", (11, 1, 0)),
        ("0.9.6-rc.1", (0, 9, 6)),
    ],
)
def test_parse_version(text: str, want: tuple[int, int, int]) -> None:
    assert parse_version(text) == want


@pytest.mark.parametrize("text", ["", "latest", "1", "1.x.0", "1.2.3.4"])
def test_parse_version_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a jambonz version like 0\.9\.6"):
        parse_version(text)


def test_builder_refuses_a_verb_the_declared_release_lacks() -> None:
    verb, version, example = _newest()
    older = _just_below(version)
    model = verb_adapter.validate_python(example, by_alias=True, by_name=False)
    verbs = Verbs(jambonz_version=older)
    with pytest.raises(JambonzVersionError) as info:
        verbs.append(model)
    assert str(info.value) == (
        f"verb {verb!r} needs jambonz >= {version}, but jambonz {older} is declared"
    )
    assert isinstance(info.value, JambonzError)
    assert len(verbs) == 0  # nothing was appended
    assert len(Verbs(jambonz_version=version).append(model)) == 1  # that release is fine


def test_builder_refuses_a_property_the_declared_release_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tables, "PROPERTY_MIN_VERSIONS", {"say": {"loop": "99.0.0"}})
    verbs = Verbs(jambonz_version="98.9.9").say(text="fine")
    with pytest.raises(JambonzVersionError, match=r"^say\.loop needs jambonz >= 99\.0\.0, but "
                       r"jambonz 98\.9\.9 is declared$"):  # fmt: skip
        verbs.say(text="hi", loop=2)
    with pytest.raises(JambonzVersionError, match=r"^say\.loop needs"):
        verbs.append(Say(text="hi", loop=2))
    assert len(verbs) == 1
    verbs.say(text="no loop")  # a verb that does not set the key is fine
    assert Verbs(jambonz_version="99.0.0").say(text="hi", loop=2).to_wire()[0]["loop"] == 2


def test_version_travels_with_copies_and_sums() -> None:
    verbs = Verbs(jambonz_version="0.9.6").say(text="a")
    assert verbs.jambonz_version == "0.9.6"
    assert verbs.copy().jambonz_version == "0.9.6"
    assert (verbs + Verbs().say(text="b")).jambonz_version == "0.9.6"
    assert Verbs().jambonz_version is None


def test_a_bad_declared_version_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'ten' is not a jambonz version"):
        Verbs(jambonz_version="ten")


def test_check_jambonz_version_lists_every_problem_with_its_index() -> None:
    verb, version, _ = _newest()
    older = _just_below(version)
    with pytest.raises(JambonzVersionError) as info:
        check_jambonz_version([{"verb": "say"}, {"verb": verb}, {"verb": verb}], older)
    message = f"verb {verb!r} needs jambonz >= {version}, but jambonz {older} is declared"
    assert info.value.problems == (f"1: {message}", f"2: {message}")
    check_jambonz_version([{"verb": verb}], version)


def test_new_since_is_everything_newer_sorted_by_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "PROPERTY_MIN_VERSIONS", {"say": {"loop": "99.0.0"}})
    newer = new_since("0.0.1")
    assert [n for n, _ in newer][-1] == "say.loop"
    assert {n for n, _ in newer} - {"say.loop"} == {
        k for k, v in VERB_MIN_VERSIONS.items() if v is not None
    }
    keys = [(parse_version(v), n) for n, v in newer]
    assert keys == sorted(keys)
    verb, version, _ = _newest()
    assert (verb, version) in new_since(_just_below(version))
    assert all(parse_version(v) > parse_version(version) for _, v in new_since(version))


def test_tables_are_exported_and_read_only() -> None:
    assert jambonz_types.PROPERTY_MIN_VERSIONS is PROPERTY_MIN_VERSIONS
    with pytest.raises(TypeError):
        PROPERTY_MIN_VERSIONS["say"] = {}  # type: ignore[index]


def test_from_wire_and_from_json_check_the_whole_array() -> None:
    verb, version, example = _newest()
    older = _just_below(version)
    data = [{"verb": "say", "text": "hi"}, example, example]
    with pytest.raises(JambonzVersionError) as info:
        Verbs.from_wire(data, jambonz_version=older)
    message = f"verb {verb!r} needs jambonz >= {version}, but jambonz {older} is declared"
    assert info.value.problems == (f"1: {message}", f"2: {message}")
    with pytest.raises(JambonzVersionError):
        Verbs.from_json(json.dumps(data), jambonz_version=older)
    verbs = Verbs.from_wire(data, jambonz_version=version)
    assert (len(verbs), verbs.jambonz_version) == (3, version)
    assert Verbs.from_wire(data).jambonz_version is None  # no version: no check
