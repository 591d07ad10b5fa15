"""The checks behind ``jambonz-typed validate``: pydantic errors told in wire terms.

Why not just print the ``ValidationError``: its locations mix wire keys with pydantic's
union-member tags (``0.gather.numDigits.int``), one wrong value in a union yields one
error per member, and it never says what *would* have been accepted. Here each error is
mapped back onto the JSON document (``$[0].numDigits``), errors at the same place are
merged, and "what is allowed" is read from the generated models' annotations (``Literal``
members, strict scalar types, nested models), so it is exactly what the schemas say.

Verdicts come from the generated models only, which agree with the server's ajv on
every document of the shared corpus. That includes unknown keys: where a schema leaves
``additionalProperties`` unset, ajv (and so jambonz) accepts any extra key and ignores it.
A misspelled optional key (``actionhook``) is therefore *valid* for jambonz, and silently
does nothing. It is reported as a **warning** with a "did you mean", never as an error,
so that ``validate`` and the server never disagree on what is valid; ``--strict`` turns
warnings into a failing exit status. Where a schema says ``additionalProperties: false``
the models forbid the key and it is an error, as on the server.
"""

from __future__ import annotations

import difflib
import functools
import json
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Annotated, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel, JsonValue, RootModel, ValidationError
from pydantic_core import ErrorDetails

from ._jsonpos import Positions, Segment, locate

__all__ = [
    "Problem",
    "Severity",
    "check_document",
    "check_text",
    "describe_annotation",
    "did_you_mean",
    "json_path",
    "json_pointer",
    "verb_models",
]

Severity = Literal["error", "warning"]
"""How bad a problem is: errors make the server reject the array, warnings do not."""

_MISSING: Final = object()
_KEYED: Final = frozenset({"missing", "rule_required"})
"""Error types whose last location segment names a key that is *not* in the document."""
_TYPE_ERRORS: Final = frozenset(
    {
        "model_type",
        "model_attributes_type",
        "dataclass_type",
        "is_instance_of",
        "literal_error",
        "int_from_float",
    }
)
_MAX_VALUE: Final = 60
_CUTOFF: Final = 0.75


@dataclass(frozen=True)
class Problem:
    """One finding about one place in a document."""

    severity: Severity
    code: str
    """Stable kind: ``invalid_json``, ``not_an_array``, ``empty_array``, ``unknown_verb``,
    ``missing_verb``, ``missing_key``, ``unknown_key``, ``not_allowed``, ``wrong_type``,
    ``null_not_allowed``, ``rule``, ``invalid_value``, ``unreadable``, ``too_new`` (a verb
    or key newer than ``validate --jambonz-version``)."""
    path: tuple[Segment, ...]
    """Where, as wire keys and array indices (``(0, "input", 1)``)."""
    message: str
    """What is wrong, in one sentence."""
    value: JsonValue = None
    """The offending value (meaningful when :attr:`has_value`)."""
    has_value: bool = False
    allowed: tuple[JsonValue, ...] = ()
    """The values (enum members, verb names, keys) accepted here, if it is a closed set."""
    expected: tuple[str, ...] = ()
    """The JSON types accepted here (``string``, ``integer``, ``object (Synthesizer)``)."""
    suggestion: str | None = None
    """A "did you mean" replacement (a verb name or a key)."""
    verb: str | None = None
    """The ``verb`` of the array entry the problem is in."""
    at_key: bool = False
    """Whether the problem is the key itself (point at the key, not its value)."""
    at: tuple[int, int] | None = None
    """Line and column when known without a path (a JSON syntax error)."""


def json_path(path: Iterable[Segment]) -> str:
    """``$[0].input[1]`` (keys that are not identifiers are quoted: ``$.headers["X-A"]``)."""
    out = "$"
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif seg.isidentifier():
            out += f".{seg}"
        else:
            out += f"[{json.dumps(seg)}]"
    return out


def json_pointer(path: Iterable[Segment]) -> str:
    """RFC 6901 pointer (``/0/input/1``), the form ajv reports as ``instancePath``."""
    return "".join("/" + str(seg).replace("~", "~0").replace("/", "~1") for seg in path)


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# -- the type walker: which annotations apply at a place in the document -------------------


def _leaves(tp: object) -> list[object]:
    """The alternatives of an annotation: unions flattened, ``Annotated`` and root models
    unwrapped, ``None`` dropped (an absent key is never an error of its own)."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _leaves(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [leaf for arg in get_args(tp) for leaf in _leaves(arg)]
    if isinstance(tp, type) and issubclass(tp, RootModel):
        return _leaves(tp.model_fields["root"].annotation)
    if tp is type(None):
        return []
    return [tp]


def _is_model(leaf: object) -> bool:
    return isinstance(leaf, type) and issubclass(leaf, BaseModel)


@functools.cache
def _wire_keys(model: type[BaseModel]) -> dict[str, str]:
    """Wire key -> field name (cached: the generated models never change)."""
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        out[alias or info.alias or name] = name
    return out


def _verb_literals(model: type[BaseModel]) -> tuple[object, ...]:
    info = model.model_fields.get("verb")
    if info is None:
        return ()
    return tuple(v for leaf in _leaves(info.annotation) for v in get_args(leaf))


def _narrow(leaves: list[object], value: object) -> list[object]:
    """Keep the verb models whose ``verb`` matches the object's (the discriminator)."""
    if not isinstance(value, dict) or not isinstance(value.get("verb"), str):
        return leaves
    kept = [
        leaf
        for leaf in leaves
        if not (_is_model(leaf) and _verb_literals(leaf))  # type: ignore[arg-type]
        or value["verb"] in _verb_literals(leaf)  # type: ignore[arg-type]
    ]
    return kept or leaves


def _step(leaves: list[object], seg: Segment) -> list[object]:
    out: list[object] = []
    for leaf in leaves:
        origin = get_origin(leaf)
        if isinstance(seg, int):
            if origin in (list, tuple):
                out.extend(_leaves(get_args(leaf)[0]))
        elif _is_model(leaf):
            model: type[BaseModel] = leaf  # type: ignore[assignment]
            name = _wire_keys(model).get(seg)
            if name is not None:
                out.extend(_leaves(model.model_fields[name].annotation))
        elif origin is dict:
            out.extend(_leaves(get_args(leaf)[1]))
    return out


def _root_leaves() -> list[object]:
    from jambonz_types.app import JambonzApp

    return _leaves(JambonzApp)


def _leaves_at(doc: JsonValue, path: tuple[Segment, ...]) -> list[object]:
    """The annotation alternatives that apply to the value at ``path``."""
    leaves = _narrow(_root_leaves(), doc)
    value: object = doc
    for seg in path:
        leaves = _step(leaves, seg)
        value = _child(value, seg)
        leaves = _narrow(leaves, value)
    return leaves


def _child(value: object, seg: Segment) -> object:
    if isinstance(seg, int) and isinstance(value, list) and 0 <= seg < len(value):
        return value[seg]
    if isinstance(seg, str) and isinstance(value, dict):
        return value.get(seg, _MISSING)
    return _MISSING


def _describe(
    leaves: list[object], depth: int = 0
) -> tuple[tuple[JsonValue, ...], tuple[str, ...], bool]:
    """(enum values, type names, anything goes) accepted by these alternatives."""
    values: list[JsonValue] = []
    kinds: list[str] = []
    anything = False
    for leaf in leaves:
        origin = get_origin(leaf)
        kind: str | None = None
        if origin is Literal:
            values.extend(v for v in get_args(leaf) if v not in values)
        elif leaf is JsonValue or leaf is object:
            anything = True
        elif leaf is bool:
            kind = "boolean"
        elif leaf is int:
            kind = "integer"
        elif leaf is float:
            kind = "number"
        elif leaf is str:
            kind = "string"
        elif origin in (list, tuple) or leaf in (list, tuple):
            kind = "array"
            args = get_args(leaf)
            if args and depth < 2:
                inner = _one_line(*_describe(_leaves(args[0]), depth + 1))
                kind = f"array of ({inner})" if " | " in inner else f"array of {inner}"
        elif origin is dict or leaf is dict:
            kind = "object"
        elif _is_model(leaf):
            kind = f"object ({leaf.__name__})"  # type: ignore[attr-defined]
        if kind is not None and kind not in kinds:
            kinds.append(kind)
    if "integer" in kinds and "number" in kinds:
        kinds.remove("integer")  # JSON Schema's number includes integers
    if "object" in kinds and any(k.startswith("object (") for k in kinds):
        kinds.remove("object")  # a raw-object-or-model field (gather.say): name the model
    verbs = [leaf for leaf in leaves if _is_model(leaf) and _verb_literals(leaf)]  # type: ignore[arg-type]
    if len(verbs) > 1:
        # The verb union: one "object (a verb)" instead of 37 class names.
        names = {f"object ({leaf.__name__})" for leaf in verbs}  # type: ignore[attr-defined]
        kinds = [k for k in kinds if k not in names] + ["object (a verb)"]
    return tuple(values), tuple(kinds), anything


def _one_line(values: tuple[JsonValue, ...], kinds: tuple[str, ...], anything: bool) -> str:
    parts = [json.dumps(v) for v in values] + list(kinds)
    if anything:
        parts.append("any JSON value")
    return " | ".join(parts) or "nothing"


def describe_annotation(annotation: object) -> tuple[tuple[JsonValue, ...], tuple[str, ...], bool]:
    """What a field annotation accepts: (enum values, JSON type names, anything goes)."""
    return _describe(_leaves(annotation))


def verb_models() -> dict[str, type[BaseModel]]:
    """Verb name -> the generated model that validates it (``room`` -> ``Conference``)."""
    from jambonz_types.app import Verb

    found: dict[str, type[BaseModel]] = {}
    for leaf in _leaves(Verb):
        if _is_model(leaf):
            model: type[BaseModel] = leaf  # type: ignore[assignment]
            for name in _verb_literals(model):
                found.setdefault(str(name), model)
    return found


def _accepts_type(kinds: tuple[str, ...], value: object) -> bool:
    """Whether one of the type names accepts the JSON type of ``value``."""
    given = _json_type(value)
    for kind in kinds:
        base = kind.split(" ", 1)[0]
        if base == given or (base == "number" and given == "integer"):
            return True
    return False


# -- did you mean --------------------------------------------------------------------------


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (``sya`` -> ``say``)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` most likely misspells, or ``None``.

    Same letters ignoring case and ``_``/``-`` first (``action_hook`` -> ``actionHook``),
    then one or two typing slips (a letter missing, extra, wrong or swapped; two only
    in longer words), then difflib's similarity for the rest.
    """
    options = [c for c in dict.fromkeys(choices) if c != word]
    same = [c for c in options if _norm(c) == _norm(word)]
    if same:
        return same[0]
    if len(word) >= 3:
        limit = 2 if len(word) >= 8 else 1
        scored = sorted((_distance(word.lower(), c.lower()), c) for c in options)
        if scored and scored[0][0] <= limit:
            return scored[0][1]
    lowered = {c.lower(): c for c in options}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=_CUTOFF)
    return lowered[close[0]] if close else None


# -- errors --------------------------------------------------------------------------------


def _wire_path(doc: JsonValue, loc: tuple[int | str, ...], kind: str) -> tuple[Segment, ...]:
    """A pydantic location as a path into the document: union tags dropped."""
    path: list[Segment] = []
    value: object = doc
    entered = False
    for index, seg in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(value, list) and isinstance(seg, int) and 0 <= seg < len(value):
            path.append(seg)
            value, entered = value[seg], True
            continue
        if isinstance(value, dict) and isinstance(seg, str):
            if entered and value.get("verb") == seg:
                entered = False  # the discriminated union's tag (the verb name)
                continue
            if seg in value:
                path.append(seg)
                value, entered = value[seg], True
                continue
            if last and kind in _KEYED:
                path.append(seg)
                break
        entered = False  # a union member tag such as ``str`` or ``HookSpec``
    return tuple(path)


def _verb_of(doc: JsonValue, path: tuple[Segment, ...]) -> str | None:
    if path and isinstance(path[0], int) and isinstance(doc, list) and path[0] < len(doc):
        entry = doc[path[0]]
        if isinstance(entry, dict) and isinstance(entry.get("verb"), str):
            return str(entry["verb"])
    return None


def _known_keys(doc: JsonValue, path: tuple[Segment, ...]) -> list[str]:
    keys: list[str] = []
    for leaf in _leaves_at(doc, path):
        if _is_model(leaf):
            keys.extend(k for k in _wire_keys(leaf) if k not in keys)
    return keys


def _problem(doc: JsonValue, path: tuple[Segment, ...], errors: list[ErrorDetails]) -> Problem:
    """One problem from the pydantic errors that map to the same place."""
    kinds = {e["type"] for e in errors}
    value = _child_path(doc, path)
    has_value = value is not _MISSING
    given: JsonValue = value if has_value else None  # type: ignore[assignment]
    # The value at ``path`` as the document has it; each branch fills in the rest.
    here = Problem("error", "", path, "", given, has_value, verb=_verb_of(doc, path))

    if "union_tag_invalid" in kinds:
        from jambonz_types.app import VERB_NAMES

        tag = value.get("verb") if isinstance(value, dict) else None
        suggestion = did_you_mean(tag, VERB_NAMES) if isinstance(tag, str) else None
        return Problem(
            "error",
            "unknown_verb",
            (*path, "verb"),
            f"unknown verb {_show(tag)}"
            + (f'; did you mean "{suggestion}"?' if suggestion else ""),
            value=tag,
            has_value=True,
            allowed=tuple(VERB_NAMES),
            suggestion=suggestion,
        )
    if "union_tag_not_found" in kinds:
        keys = [k for k in value if isinstance(k, str)] if isinstance(value, dict) else []
        close = did_you_mean("verb", keys)
        return Problem(
            "error",
            "missing_verb",
            (*path, "verb"),
            'missing required key "verb" (which verb this object is)'
            + (f'; did you mean "verb" instead of "{close}"?' if close else ""),
            suggestion="verb" if close else None,
        )
    if not path and "list_type" in kinds:
        hint = " (wrap a single verb in [ ])" if isinstance(doc, dict) and "verb" in doc else ""
        return Problem(
            "error",
            "not_an_array",
            (),
            f"expected an array of verbs, got {_json_type(doc)}{hint}",
            value=doc,
            has_value=True,
        )
    if not path and "too_short" in kinds:
        return Problem("error", "empty_array", (), "the verb array is empty: jambonz needs a verb")
    if kinds & _KEYED and path and isinstance(_child_path(doc, path[:-1]), dict):
        key = str(path[-1])
        parent = _child_path(doc, path[:-1])
        rule = next((e["msg"] for e in errors if e["type"] == "rule_required"), None)
        present = [k for k in parent if isinstance(k, str)] if isinstance(parent, dict) else []
        known = _known_keys(doc, path[:-1])
        strays = [k for k in present if k not in known]
        close = did_you_mean(key, strays)
        message = rule or f'missing required key "{key}"'
        if close:
            message += f'; did you mean "{key}" instead of "{close}"?'
        return replace(here, code="missing_key", message=message, suggestion=key if close else None)
    if "extra_forbidden" in kinds:
        key = str(path[-1])
        known = _known_keys(doc, path[:-1])
        close = did_you_mean(key, known)
        message = f'unknown key "{key}" (not allowed here)'
        if close:
            message += f'; did you mean "{close}"?'
        return replace(
            here,
            code="unknown_key",
            message=message,
            allowed=tuple(known),
            suggestion=close,
            at_key=True,
        )
    leaves = _leaves_at(doc, path)
    values, expected, anything = _describe(leaves)
    if "null_not_allowed" in kinds:
        return replace(
            here,
            code="null_not_allowed",
            message="null is not allowed here: omit the key to leave it unset",
            allowed=values,
            expected=expected,
        )
    typed = {k for k in kinds if k in _TYPE_ERRORS or k.endswith("_type")}
    if typed and typed == kinds and (values or expected) and not anything:
        shown = _show(given)
        if values and not _accepts_type(expected, given):
            same_kind = any(_json_type(v) == _json_type(given) for v in values)
            if same_kind:
                close = (
                    did_you_mean(given, [v for v in values if isinstance(v, str)])
                    if isinstance(given, str)
                    else None
                )
                return replace(
                    here,
                    code="not_allowed",
                    message=f"{shown} is not an allowed value"
                    + (f'; did you mean "{close}"?' if close else ""),
                    allowed=values,
                    expected=expected,
                    suggestion=close,
                )
        return replace(
            here,
            code="wrong_type",
            message=f"{shown} has the wrong type ({_json_type(given)})",
            allowed=values,
            expected=expected,
        )
    messages = list(dict.fromkeys(_clean(e["msg"]) for e in errors))
    code = "rule" if any(k.startswith("rule_") for k in kinds) else "invalid_value"
    return replace(here, code=code, message="; ".join(messages))


def _child_path(doc: JsonValue, path: tuple[Segment, ...]) -> object:
    value: object = doc
    for seg in path:
        value = _child(value, seg)
    return value


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def _from_validation_error(doc: JsonValue, error: ValidationError) -> list[Problem]:
    groups: dict[tuple[Segment, ...], list[ErrorDetails]] = {}
    for item in error.errors(include_url=False):
        path = _wire_path(doc, tuple(item["loc"]), item["type"])
        groups.setdefault(path, []).append(item)
    problems: list[Problem] = []
    for path, errors in groups.items():
        deeper = any(len(p) > len(path) and p[: len(path)] == path for p in groups)
        value = _child_path(doc, path)
        if deeper and isinstance(value, (dict, list)):
            # One union member takes this object/array and failed inside it: those
            # deeper errors are the real ones; "wrong type" for the others is noise.
            kinds = {e["type"] for e in errors}
            if all(k in _TYPE_ERRORS or k.endswith("_type") for k in kinds):
                continue
        problems.append(_problem(doc, path, errors))
    return problems


# -- warnings: misspelled optional keys that the server would silently ignore ---------------


def _unknown_keys(
    value: JsonValue, leaves: list[object], path: tuple[Segment, ...]
) -> Iterator[tuple[tuple[Segment, ...], list[str]]]:
    """(path of an unknown key, the keys known there) for every object in ``value``."""
    leaves = _narrow(leaves, value)
    if isinstance(value, dict):
        # Objects with a model are checked, also where a raw object is allowed besides
        # (gather's nested say/play: "the same properties as the say verb"); free-form
        # maps without a model (dial headers, vendor options) take any key.
        models = [leaf for leaf in leaves if _is_model(leaf)]
        if models:
            known: list[str] = []
            for model in models:
                known.extend(k for k in _wire_keys(model) if k not in known)
            for key in value:
                if key not in known:
                    yield (*path, key), known
        for key, child in value.items():
            yield from _unknown_keys(child, _step(leaves, key), (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _unknown_keys(child, _step(leaves, index), (*path, index))


def _warnings(doc: JsonValue, reported: set[tuple[Segment, ...]]) -> list[Problem]:
    out: list[Problem] = []
    for path, known in _unknown_keys(doc, _root_leaves(), ()):
        if path in reported:
            continue
        key = str(path[-1])
        close = did_you_mean(key, known)
        if close is None:
            continue
        out.append(
            Problem(
                "warning",
                "unknown_key",
                path,
                f'unknown key "{key}": not in the schema, so jambonz accepts it but may ignore '
                f'it; did you mean "{close}"?',
                value=_child_path(doc, path),  # type: ignore[arg-type]
                has_value=True,
                allowed=tuple(known),
                suggestion=close,
                verb=_verb_of(doc, path),
                at_key=True,
            )
        )
    return out


# -- entry points ----------------------------------------------------------------------------


def check_document(doc: JsonValue) -> list[Problem]:
    """Every problem of a decoded verb array: the server's verdict plus typo warnings."""
    from jambonz_types.app import JambonzApp

    problems: list[Problem] = []
    try:
        JambonzApp.model_validate(doc, by_alias=True, by_name=False)
    except ValidationError as exc:
        problems = _from_validation_error(doc, exc)
    if isinstance(doc, list):
        reported = {p.path for p in problems}
        # A stray key already named by a "missing key ...; did you mean" error.
        reported |= {
            (*p.path[:-1], stray)
            for p in problems
            if p.code in ("missing_key", "missing_verb")
            for stray in _strays(doc, p)
        }
        problems.extend(_warnings(doc, reported))
    # By array entry; within one, errors before warnings (callers may sort by position).
    return sorted(problems, key=lambda p: (_entry(p), p.severity != "error"))


def _strays(doc: JsonValue, problem: Problem) -> list[str]:
    """The present key a "missing key; did you mean" error blamed, if any."""
    parent = _child_path(doc, problem.path[:-1])
    if not isinstance(parent, dict) or problem.suggestion is None:
        return []
    known = _known_keys(doc, problem.path[:-1])
    stray = did_you_mean(str(problem.path[-1]), [k for k in parent if k not in known])
    return [stray] if stray is not None else []


def _entry(problem: Problem) -> int:
    return problem.path[0] if problem.path and isinstance(problem.path[0], int) else -1


def check_text(text: str) -> tuple[list[Problem], Positions | None]:
    """Decode ``text`` and check it; a JSON syntax error is one ``invalid_json`` problem.

    Returns the problems and the positions of the document's values (``None`` when
    the text is not JSON: the error's own line and column are in its message).
    """
    try:
        doc: JsonValue = json.loads(text)
    except json.JSONDecodeError as exc:
        return [
            Problem(
                "error",
                "invalid_json",
                (),
                f"not valid JSON: {exc.msg}",
                at=(exc.lineno, exc.colno),
            )
        ], None
    except RecursionError:
        return [Problem("error", "invalid_json", (), "not valid JSON: nested too deeply")], None
    return check_document(doc), locate(text)
