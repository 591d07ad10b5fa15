"""The checks behind ``validate``: server verdicts, wire paths, allowed values, did-you-mean.

The verdict must be the server's on every recorded corpus array (ajv results in
``tests/corpus/data/verbs.jsonl``); what is added on top (paths, allowed values,
suggestions, typo warnings) is pinned here on small documents.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import JsonValue

from jambonz_runtime.cli._check import (
    Problem,
    check_document,
    check_text,
    describe_annotation,
    did_you_mean,
    json_path,
    json_pointer,
    verb_models,
)
from jambonz_runtime.cli._jsonpos import locate
from jambonz_types.app import VERB_NAMES
from jambonz_types.verbs import Conference, Gather

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "data" / "verbs.jsonl"


def _only(doc: JsonValue, severity: str = "error") -> Problem:
    found = [p for p in check_document(doc) if p.severity == severity]
    assert len(found) == 1, found
    return found[0]


def test_corpus_verdicts_match_the_servers_ajv() -> None:
    lines = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    wrong, warned = [], []
    for entry in lines:
        problems = check_document(entry["verbs"])
        errors = [p for p in problems if p.severity == "error"]
        if (not errors) != entry["ajv_valid_0_4_15"]:
            wrong.append(f"{entry['source']}: ajv={entry['ajv_valid_0_4_15']} ours={errors}")
        warned += [json_path(p.path) for p in problems if p.severity == "warning"]
        for problem in errors:
            assert problem.message, problem
    assert not wrong, "\n".join(wrong)
    assert len(lines) >= 250
    # Real typos in published docs: accepted by jambonz (so warnings), and each has a fix.
    assert "$[0].bdirectionalAudio" in warned
    assert "$[0].actionHookDelayAction.noResponseGiveupTimeout" in warned


def test_enum_value_names_the_allowed_values_and_the_wire_path() -> None:
    problem = _only([{"verb": "gather", "input": ["digits", "dtmf"], "actionHook": "/x"}])
    assert problem.code == "not_allowed"
    assert problem.path == (0, "input", 1)
    assert json_path(problem.path) == "$[0].input[1]"
    assert json_pointer(problem.path) == "/0/input/1"
    assert problem.value == "dtmf"
    assert problem.allowed == ("speech", "digits")
    assert problem.verb == "gather"


def test_enum_typo_gets_a_suggestion() -> None:
    problem = _only([{"verb": "dial", "target": [{"type": "phon", "number": "+15551230000"}]}])
    assert problem.path == (0, "target", 0, "type")
    assert problem.allowed == ("phone", "sip", "user", "teams")
    assert problem.suggestion == "phone"
    assert 'did you mean "phone"?' in problem.message


def test_union_type_errors_merge_into_one_problem_with_expected_types() -> None:
    problem = _only([{"verb": "gather", "numDigits": "1"}])
    assert problem.code == "wrong_type"
    assert problem.path == (0, "numDigits")
    assert problem.expected == ("number",)
    hook = _only([{"verb": "gather", "actionHook": 5}])
    assert hook.expected == ("string", "object (HookSpec)")


def test_object_branch_errors_win_over_wrong_type_noise() -> None:
    # actionHook is a string or a HookSpec object; given an object, the object's own
    # missing key is the problem, not "should be a string".
    problem = _only([{"verb": "gather", "actionHook": {}}])
    assert problem.code == "missing_key"
    assert problem.path == (0, "actionHook", "url")


def test_unknown_verb_suggests_the_closest_and_lists_all() -> None:
    problem = _only([{"verb": "sya", "text": "hi"}])
    assert problem.code == "unknown_verb"
    assert problem.path == (0, "verb")
    assert problem.suggestion == "say"
    assert problem.allowed == VERB_NAMES
    legacy = _only([{"verb": "rasa"}])
    assert legacy.suggestion is None


def test_missing_verb_key_and_a_misspelled_one() -> None:
    assert _only([{"text": "hi"}]).code == "missing_verb"
    problem = _only([{"Verb": "say", "text": "hi"}])
    assert problem.suggestion == "verb"
    assert 'instead of "Verb"' in problem.message
    # the stray key is named by the error; no extra warning about it
    assert [p.severity for p in check_document([{"Verb": "say", "text": "hi"}])] == ["error"]


def test_missing_required_key_points_at_the_misspelled_one() -> None:
    problem = _only([{"verb": "play", "URL": "https://example.com/a.wav"}])
    assert problem.code == "missing_key"
    assert problem.path == (0, "url")
    assert problem.suggestion == "url"
    assert 'instead of "URL"' in problem.message


def test_misspelled_optional_key_is_a_warning_because_the_server_accepts_it() -> None:
    doc: JsonValue = [
        {"verb": "say", "text": "hi", "synthesizer": {"vendor": "google", "langauge": "en-US"}}
    ]
    problems = check_document(doc)
    assert [p.severity for p in problems] == ["warning"]
    (warning,) = problems
    assert warning.code == "unknown_key"
    assert warning.path == (0, "synthesizer", "langauge")
    assert warning.suggestion == "language"
    assert warning.at_key
    # snake_case spelling of a camelCase key
    snake = _only([{"verb": "gather", "action_hook": "/x"}], "warning")
    assert snake.suggestion == "actionHook"


def test_unknown_keys_without_a_likely_fix_and_free_form_maps_are_silent() -> None:
    assert check_document([{"verb": "say", "text": "hi", "myAppData": 1}]) == []
    # dial headers are a free-form map: any key is fine
    doc: JsonValue = [
        {"verb": "dial", "target": [{"type": "phone", "number": "1"}], "headers": {"X-Tag": "a"}}
    ]
    assert check_document(doc) == []


def test_forbidden_extra_key_is_an_error_with_suggestion() -> None:
    # transfer.brief has additionalProperties: false in the schema: the server rejects it
    doc: JsonValue = [
        {
            "verb": "transfer",
            "mode": "warm",
            "target": [{"type": "phone", "number": "+15551234567"}],
            "brief": {"txt": "a customer about billing"},
        }
    ]
    problems = check_document(doc)
    unknown = [p for p in problems if p.code == "unknown_key"]
    assert len(unknown) == 1
    assert unknown[0].severity == "error"
    assert unknown[0].path == (0, "brief", "txt")
    assert unknown[0].suggestion == "text"
    assert unknown[0].allowed == ("text", "synthesizer")
    missing = [p for p in problems if p.code == "missing_key"]
    assert [p.path for p in missing] == [(0, "brief", "text")]


def test_null_rule_and_root_problems() -> None:
    null = _only([{"verb": "say", "text": None}])
    assert null.code == "null_not_allowed"
    assert null.expected == ("string", "array of string")
    rule = _only(
        [
            {
                "verb": "transfer",
                "mode": "blind",
                "target": [{"type": "phone", "number": "+15551234567"}],
                "disposition": {"onNoAnswer": "voicemail"},
            }
        ]
    )
    assert rule.code == "missing_key"
    assert rule.path == (0, "disposition", "voicemailUrl")
    assert "required when" in rule.message
    assert _only([]).code == "empty_array"
    root = _only({"verb": "say", "text": "hi"})
    assert root.code == "not_an_array"
    assert "wrap a single verb" in root.message


def test_invalid_json_reports_its_own_position() -> None:
    problems, positions = check_text('[{"verb": "say",\n "text": "hi",}]')
    assert positions is None
    (problem,) = problems
    assert problem.code == "invalid_json"
    assert problem.at == (2, 15)


def test_positions_of_values_and_keys() -> None:
    line2 = '  {"verb": "say", "t\\"x": "a\\\\", "n": [1, -2.5e3, true, null, {}]},'
    text = "[\n" + line2 + '\n  {"verb": "gather"}\n]'
    found = locate(text)
    assert found.of((0, "n", 1)) == (2, line2.index("-2.5e3") + 1)
    assert found.of((0, "n", 3)) == (2, line2.index("null") + 1)
    assert found.of((1, "verb")) == (3, len('  {"verb": ') + 1)
    assert found.of((0, 't"x'), key=True) == (2, line2.index('"t') + 1)
    assert found.of((0, 't"x')) == (2, line2.index('"a') + 1)
    assert found.of((1, "missing")) == (3, 3)  # falls back to the object
    assert json.loads(text)[0]['t"x'] == "a\\"
    assert locate("[1, 2").values == {}  # not JSON: no positions, no exception


def test_did_you_mean() -> None:
    assert did_you_mean("sya", VERB_NAMES) == "say"
    assert did_you_mean("sip-decline", VERB_NAMES) == "sip:decline"
    assert did_you_mean("action_hook", ["actionHook", "action"]) == "actionHook"
    assert did_you_mean("bdirectionalAudio", ["bidirectionalAudio", "url"]) == "bidirectionalAudio"
    assert did_you_mean("zzz", ["say", "play"]) is None
    assert did_you_mean("say", ["say"]) is None  # the word itself is not a suggestion


def test_annotations_and_verb_models() -> None:
    models = verb_models()
    assert set(models) == set(VERB_NAMES)
    assert models["room"] is Conference
    values, kinds, anything = describe_annotation(Gather.model_fields["input"].annotation)
    assert (values, kinds, anything) == ((), ('array of ("speech" | "digits")',), False)
    values, kinds, anything = describe_annotation(Gather.model_fields["say"].annotation)
    assert kinds == ("object (Say)",)


def test_nested_prompt_keys_are_checked_like_the_verb() -> None:
    # gather.say is "the same properties as the say verb": a typo there is silence
    warning = _only([{"verb": "gather", "say": {"txt": "Press 1"}}], "warning")
    assert warning.path == (0, "say", "txt")
    assert warning.suggestion == "text"


def test_mutated_corpus_arrays_never_crash_and_keep_the_models_verdict() -> None:
    """Seeded random damage to real arrays: errors exactly when the models reject."""
    import copy
    import random

    from pydantic import ValidationError

    from jambonz_types.app import JambonzApp

    docs = [json.loads(line)["verbs"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    rnd = random.Random(20260415)
    values: list[JsonValue] = [None, 1, -1, 1.5, "x", "", True, [], {}, [1], {"a": 1}, "digits"]

    def mutate(doc: JsonValue) -> JsonValue:
        doc = copy.deepcopy(doc)
        places: list[tuple[dict[str, JsonValue] | list[JsonValue], str | int]] = []

        def walk(value: JsonValue) -> None:
            if isinstance(value, dict):
                for key, child in value.items():
                    places.append((value, key))
                    walk(child)
            elif isinstance(value, list):
                for index, child in enumerate(value):
                    places.append((value, index))
                    walk(child)

        walk(doc)
        parent, key = rnd.choice(places)
        if isinstance(parent, dict) and isinstance(key, str) and rnd.random() < 0.3:
            parent[key + rnd.choice(["x", "_", "s"])] = parent.pop(key)  # a misspelled key
        elif isinstance(parent, dict) and isinstance(key, str):
            parent[key] = rnd.choice(values)
        elif isinstance(parent, list) and isinstance(key, int):
            parent[key] = rnd.choice(values)
        return doc

    checked = 0
    for _ in range(600):
        doc = mutate(rnd.choice(docs))
        try:
            JambonzApp.model_validate(doc, by_alias=True, by_name=False)
            valid = True
        except ValidationError:
            valid = False
        errors = [p for p in check_document(doc) if p.severity == "error"]
        assert valid == (not errors), (json.dumps(doc)[:300], errors)
        assert all(p.message for p in errors)
        checked += not valid
    assert checked > 100
