"""``VERB_MIN_VERSIONS``: each verb's ``minVersion`` carried from its schema file.

The schemas declare the oldest jambonz release of a verb with a custom ``minVersion``
keyword that the model generator drops; codegen carries it into ``jambonz_types.app``
(the ``schema`` command of the CLI prints it). Checked here against the raw files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import jambonz_types
from jambonz_types.app import VERB_MIN_VERSIONS, VERB_NAMES

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> dict[str, str | None]:
    """Verb value (last segment of ``$id``) -> ``minVersion`` of every verb schema file."""
    found: dict[str, str | None] = {}
    for path in sorted((ROOT / "schemas" / "verbs").glob("*.schema.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        version = doc.get("minVersion")
        found[str(doc["$id"]).rsplit("/", 1)[-1]] = None if version is None else str(version)
    return found


def test_every_verb_name_has_its_schema_min_version() -> None:
    declared = _declared()
    assert list(VERB_MIN_VERSIONS) == list(VERB_NAMES)
    for name in VERB_NAMES:
        assert VERB_MIN_VERSIONS[name] == declared[name], name


def test_known_values_and_read_only() -> None:
    assert VERB_MIN_VERSIONS["say"] == "0.9.6"
    assert VERB_MIN_VERSIONS["agent"] == "10.1.0"
    assert VERB_MIN_VERSIONS["room"] == "0.9.6"  # room.schema.json is a bare $ref
    assert VERB_MIN_VERSIONS["rest:dial"] is None  # its schema declares none
    assert jambonz_types.VERB_MIN_VERSIONS is VERB_MIN_VERSIONS
    with pytest.raises(TypeError):
        VERB_MIN_VERSIONS["say"] = "1"  # type: ignore[index]
