"""Differential test: our models accept exactly what JSON Schema (and so the server) accepts.

The oracle is python ``jsonschema`` (Draft 2020-12, ``referencing`` registry by ``$id``,
formats not asserted, as ajv on the server asserts none). The documents are every
schema example, hand-picked ``if``/``then`` cases and deterministic mutations of the
examples (see tests/fidelity.py). Where we differ on purpose, the difference is listed
in ``tests.fidelity.DELIBERATE`` with its reason; anything else fails with the document.
"""

from __future__ import annotations

import collections

from tests.fidelity import DELIBERATE, Case, all_cases, deliberate, ours_accepts, schema_accepts

__all__: list[str] = []


def test_models_agree_with_jsonschema() -> None:
    cases = all_cases()
    counts: collections.Counter[str] = collections.Counter()
    wrong: list[str] = []
    for case in cases:
        schema_ok = schema_accepts(case)
        ours_ok, error = ours_accepts(case)
        counts["valid" if schema_ok else "invalid"] += 1
        if schema_ok == ours_ok:
            continue
        reason = deliberate(case, schema_ok, ours_ok)
        if reason is not None:
            counts[f"deliberate {case.group}/{case.kind}"] += 1
            continue
        verdict = "accepts" if ours_ok else f"rejects ({error})"
        wrong.append(
            f"{case.origin}: schema {'accepts' if schema_ok else 'rejects'}, ours {verdict}"
        )
    assert not wrong, f"{len(wrong)} of {len(cases)} disagree:\n" + "\n".join(wrong[:20])
    mutated = sum(1 for c in cases if c.kind not in ("example", "if-then"))
    assert mutated >= 1000, f"only {mutated} mutations generated"
    # Both verdicts must be well represented, or the test proves little.
    assert counts["valid"] >= 300, counts
    assert counts["invalid"] >= 600, counts
    # Every listed difference must still occur: a stale entry is removed, not kept.
    for group, kind in DELIBERATE:
        assert counts[f"deliberate {group}/{kind}"] > 0, (group, kind)


def test_rule_errors_name_the_field_and_the_condition() -> None:
    case = Case(
        "components/transferOptions",
        {
            "mode": "blind",
            "target": [{"type": "phone", "number": "+15551234567"}],
            "disposition": {"onBusy": "voicemail"},
        },
        "if-then",
        "transferOptions voicemail without voicemailUrl",
    )
    ok, error = ours_accepts(case)
    assert not ok
    assert error is not None
    (detail,) = error.errors()
    assert detail["loc"] == ("disposition", "voicemailUrl")
    assert detail["msg"] == (
        'disposition.voicemailUrl is required when disposition.onBusy is "voicemail"'
    )
