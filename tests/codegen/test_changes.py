"""The semantic schema diff: each kind of difference, with its class.

Breaking means code that worked may now be rejected (or, for callbacks, a field an app
reads may be gone); the rehearsal (test_bump_rehearsal.py) runs the same diff end to end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codegen.changelog import changelog_entry, format_report, prepend_entry
from codegen.changes import Change, Namer, diff_sets

NAMER = Namer({"verbs/x": {"": "X"}, "callbacks/x": {"": "XCallback"}}, {"verbs/x": "x"}, {})


def _verb(**props: object) -> dict[str, Any]:
    required = props.pop("_required", [])
    extra = dict(props.pop("_extra", {}))  # type: ignore[call-overload]
    return {"$id": "v", "type": "object", "properties": props, "required": required, **extra}


def _diff(old: dict[str, Any], new: dict[str, Any], group: str = "verbs") -> set[tuple[str, str]]:
    rel = f"{group}/x.schema.json"
    return {(c.kind, c.what) for c in diff_sets({rel: old}, {rel: new}, NAMER)}


S = {"type": "string"}


@pytest.mark.parametrize(
    ("old", "new", "want"),
    [
        (_verb(a=S), _verb(a=S, b=S), ("added", "new optional property")),
        (_verb(a=S), _verb(a=S, b=S, _required=["b"]), ("breaking", "new required property")),
        (_verb(a=S, b=S), _verb(a=S), ("breaking", "property removed")),
        (_verb(a=S), _verb(a=S, _required=["a"]), ("breaking", "now required")),
        (_verb(a=S, _required=["a"]), _verb(a=S), ("changed", "no longer required")),
        (_verb(a={"type": ["string", "number"]}), _verb(a=S),
         ("breaking", "type number|string -> string (narrowed)")),
        (_verb(a=S), _verb(a={"type": ["string", "number"]}),
         ("changed", "type string -> number|string (widened)")),
        (_verb(a={"type": "number"}), _verb(a={"type": "integer"}),
         ("breaking", "type number -> integer (narrowed)")),
        (_verb(a={"enum": ["p", "q"]}), _verb(a={"enum": ["p"]}),
         ("breaking", 'enum value removed: "q"')),
        (_verb(a={"enum": ["p"]}), _verb(a={"enum": ["p", "q"]}),
         ("added", 'enum value added: "q"')),
        (_verb(a={"default": 0}), _verb(a={"default": 12}), ("changed", "default 0 -> 12")),
        (_verb(a={"maximum": 10}), _verb(a={"maximum": 5}),
         ("breaking", "maximum 10 -> 5 (tightened)")),
        (_verb(a={"minimum": 1}), _verb(a={"minimum": 0}),
         ("changed", "minimum 1 -> 0 (loosened)")),
        (_verb(a={"pattern": "^a"}), _verb(a={"pattern": "^b"}),
         ("changed", 'pattern "^a" -> "^b"')),
        (_verb(a={"minVersion": "1.0.0"}), _verb(a={"minVersion": "2.0.0"}),
         ("changed", 'minVersion "1.0.0" -> "2.0.0"')),
        (_verb(a={"description": "x"}), _verb(a={"description": "y"}),
         ("changed", "description changed")),
        (_verb(_extra={"additionalProperties": False}), _verb(),
         ("changed", "additionalProperties false -> true (loosened)")),
        (_verb(), _verb(_extra={"additionalProperties": False}),
         ("breaking", "additionalProperties true -> false (tightened)")),
        (_verb(a={"oneOf": [S]}), _verb(a={"oneOf": [S, {"type": "number"}]}),
         ("added", 'new oneOf branch: {"type": "number"}')),
        (_verb(a={"oneOf": [S, {"type": "number"}]}), _verb(a={"oneOf": [S]}),
         ("breaking", "oneOf branch removed")),
        (_verb(a={"const": "p"}), _verb(a={"const": "q"}), ("breaking", 'const "p" -> "q"')),
        (_verb(o={"type": "object", "properties": {"k": S}}),
         _verb(o={"type": "object", "properties": {"k": {"type": "number"}}}),
         ("breaking", "type string -> number")),
    ],
)  # fmt: skip
def test_each_kind_of_change(
    old: dict[str, Any], new: dict[str, Any], want: tuple[str, str]
) -> None:
    assert _diff(old, new) == {want}


def test_a_title_change_renames_a_class() -> None:
    assert _diff(_verb(o={"type": "object", "title": "A", "properties": {"k": S}}),
                 _verb(o={"type": "object", "title": "B", "properties": {"k": S}})) == {
        ("breaking", 'title "A" -> "B" (renames the class)')
    }  # fmt: skip


def test_a_verb_leaving_the_app_union_is_breaking() -> None:
    app = {"$id": "https://x/app", "$defs": {"Verb": {"oneOf": [{"$ref": "verbs/x"}]}}}
    verb = {**_verb(), "$id": "https://x/verbs/x"}
    old = {"jambonz-app.schema.json": app, "verbs/x.schema.json": verb}
    gone = {"$id": "https://x/app", "$defs": {"Verb": {"oneOf": []}}}
    new = {"jambonz-app.schema.json": gone, "verbs/x.schema.json": verb}
    assert [(c.kind, c.where, c.what) for c in diff_sets(old, new, NAMER)] == [
        ("breaking", "verbs/x", "no longer in the application's verb union")
    ]
    assert [(c.kind, c.what) for c in diff_sets(new, old, NAMER)] == [
        ("added", "added to the application's verb union")
    ]


def test_callbacks_are_read_by_the_app() -> None:
    # The server sending one more required field is no break for an app that reads it,
    # but a field it may now leave out is.
    assert _diff(_verb(a=S), _verb(a=S, _required=["a"]), "callbacks") == {
        ("changed", "now required")
    }
    assert _diff(_verb(a=S, _required=["a"]), _verb(a=S), "callbacks") == {
        ("breaking", "no longer required")
    }


def test_files_added_and_removed() -> None:
    a = {"verbs/x.schema.json": _verb(), "components/c.schema.json": _verb()}
    b = {"verbs/x.schema.json": _verb(), "verbs/y.schema.json": _verb()}
    got = {(c.kind, c.where, c.what) for c in diff_sets(a, b, NAMER)}
    assert got == {
        ("added", "verbs/y", "new verb"),
        ("breaking", "components/c", "schema removed"),
    }


def test_identical_sets_have_no_changes() -> None:
    doc = _verb(a={"enum": ["p"], "default": "p"}, _required=["a"])
    assert diff_sets({"verbs/x.schema.json": doc}, {"verbs/x.schema.json": doc}, NAMER) == []


def test_report_and_changelog_text(tmp_path: Path) -> None:
    changes = [
        Change("breaking", "verbs/x#/properties/a", "property removed", "Verbs.x(a=...)"),
        Change("added", "verbs/y", "new verb", "Verbs.y()"),
    ]
    report = format_report("old (npm)", "new (directory d)", changes)
    assert report.splitlines() == [
        "Schema change report: old (npm) -> new (directory d)",
        "  2 change(s): 1 ⚠ breaking, 1 added",
        "⚠ breaking:",
        "  Verbs.x(a=...): property removed  [verbs/x#/properties/a]",
        "added:",
        "  Verbs.y(): new verb  [verbs/y]",
    ]
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\n## older\n\n* something\n", encoding="utf-8")
    prepend_entry(path, changelog_entry("Schema bump to 2", "new (directory d)", changes))
    assert path.read_text(encoding="utf-8") == (
        "# Changelog\n\n"
        "## Schema bump to 2\n\n"
        "* Update generated code for new (directory d) (2 change(s): 1 ⚠ breaking, 1 added)\n"
        "  * ⚠ Breaking: `Verbs.x(a=...)`: property removed (`verbs/x#/properties/a`)\n"
        "  * Add: `Verbs.y()`: new verb (`verbs/y`)\n"
        "\n## older\n\n* something\n"
    )
