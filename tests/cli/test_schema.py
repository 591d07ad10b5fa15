"""``jambonz-typed schema``: the vendored version, each verb's minimum jambonz version."""

from __future__ import annotations

import json

import pytest

from jambonz_runtime.cli import main
from jambonz_types import SCHEMA_VERSION
from jambonz_types.app import VERB_MIN_VERSIONS, VERB_NAMES


def test_table_lists_every_verb_with_its_min_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"@jambonz/schema {SCHEMA_VERSION} (vendored; every model and check of this build "
        "comes from it)"
    )
    rows = {
        line.split()[0]: line.split()[1] for line in out if line.startswith("  ") and line.split()
    }
    del rows["verb"]  # the header
    assert set(rows) == set(VERB_NAMES)
    assert rows["say"] == "0.9.6"
    assert rows["agent"] == "10.1.0"
    assert rows["transfer"] == "10.3.0"
    assert rows["rest:dial"] == "-"
    # the verb whose schema declares no version is named, not silently blank
    assert (
        "-: the schema of rest:dial declares no minVersion, so the minimum jambonz version "
        "is not known here." in out
    )


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["package"] == "@jambonz/schema"
    assert data["version"] == SCHEMA_VERSION
    by_verb = {v["verb"]: v for v in data["verbs"]}
    assert {k: v["min_jambonz_version"] for k, v in by_verb.items()} == dict(VERB_MIN_VERSIONS)
    assert by_verb["room"]["model"] == "jambonz_types.verbs.conference.Conference"
    assert by_verb["say"]["summary"] == "Speaks text to the caller using text-to-speech"


def test_one_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "gather"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "gather: jambonz >= 0.9.6"
    assert out[1] == "model: jambonz_types.verbs.gather.Gather"
    assert out[4].split() == ["wire", "key", "Python", "name", "accepts"]
    # columns: wire key, Python name (where it differs), required/optional, accepts
    fields = {
        line[2:26].strip(): [line[27:51].strip(), *line[52:].split(None, 1)]
        for line in out[5:]
        if line
    }
    assert fields["verb"] == ["", "required", '"gather"']
    assert fields["input"] == ["", "optional", 'array of ("speech" | "digits")']
    assert fields["actionHook"] == ["action_hook", "optional", "string | object (HookSpec)"]
    assert fields["numDigits"][0] == "num_digits"
    assert main(["schema", "dial", "--json"]) == 0
    keys = {k["key"]: k for k in json.loads(capsys.readouterr().out)["keys"]}
    assert keys["target"] == {
        "key": "target",
        "python": "target",
        "required": True,
        "allowed": [],
        "expected": ["array of object (Target)"],
    }
    assert keys["srtpEncryption"]["allowed"] == ["sdes", "dtls"]


def test_unknown_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "gathr"]) == 1
    assert capsys.readouterr().err == (
        'jambonz-typed: error: unknown verb "gathr"; did you mean "gather"?\n'
    )
