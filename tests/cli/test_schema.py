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


def test_since_lists_what_is_newer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jambonz_types import versions

    monkeypatch.setattr(versions, "PROPERTY_MIN_VERSIONS", {"say": {"loop": "0.9.7"}})
    monkeypatch.setattr(versions, "VERB_MIN_VERSIONS", {"say": "0.9.6", "hangup": "0.9.8"})
    assert main(["schema", "--since", "0.9.6"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2 verb(s) and key(s) need a jambonz newer than 0.9.6 (the schemas' minVersion):",
        "",
        "  verb or verb.key                 since",
        "  say.loop                         0.9.7",
        "  hangup                           0.9.8",
    ]
    assert main(["schema", "--since", "0.9.6", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new"] == [
        {"name": "say.loop", "kind": "key", "min_jambonz_version": "0.9.7"},
        {"name": "hangup", "kind": "verb", "min_jambonz_version": "0.9.8"},
    ]
    assert main(["schema", "--since", "0.9.8"]) == 0
    assert capsys.readouterr().out == (
        "Nothing in this build's schemas needs a jambonz newer than 0.9.8.\n"
    )
    assert main(["schema", "--since", "x"]) == 1
    assert "--since: 'x' is not a jambonz version" in capsys.readouterr().err


def test_since_with_the_real_tables_lists_each_newer_verb(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "--since", "0.0.1", "--json"]) == 0
    new = json.loads(capsys.readouterr().out)["new"]
    names = {e["name"] for e in new if e["kind"] == "verb"}
    assert names == {k for k, v in VERB_MIN_VERSIONS.items() if v is not None}
