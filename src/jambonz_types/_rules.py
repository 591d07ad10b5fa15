"""Evaluate the schema rules pydantic types cannot express (copied verbatim from codegen/static).

The jambonz server validates with ajv, which enforces ``if``/``then``/``else`` and
``not``. The generator (codegen/rules.py) takes those rules out of the schemas as data and
puts them on the model class that the schema object became, as ``__jambonz_rules__``: a
tuple of JSON Schema fragments. This module checks a validated model against them with
a deliberately small subset of JSON Schema: ``required``, ``properties``, ``const``,
``enum``, ``type``, ``anyOf``, ``allOf``, ``not`` and ``if``/``then``/``else``
(``description`` is used for messages). Anything else makes the generator fail, so a
new kind of rule cannot be silently ignored.

Rules speak wire (camelCase) keys; a model value is read through its aliases, a key
counts as present when it was set (or arrived as an unknown key), exactly as it would
be present in the wire JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, JsonValue, RootModel

__all__ = ["Rule", "Violation", "check", "describe"]

Rule = Mapping[str, JsonValue]
"""One rule: a JSON Schema fragment in the supported subset."""

Violation = tuple[tuple[str | int, ...], str, str]
"""``(location, error type, message)`` of one broken rule."""

_ABSENT = object()
_KEYS: dict[type[BaseModel], dict[str, str]] = {}


def _wire_keys(cls: type[BaseModel]) -> dict[str, str]:
    """Wire key -> field name of a model class."""
    found = _KEYS.get(cls)
    if found is None:
        found = {}
        for name, info in cls.model_fields.items():
            alias = info.validation_alias if isinstance(info.validation_alias, str) else None
            found[alias or info.alias or name] = name
        _KEYS[cls] = found
    return found


def _child(value: object, key: str) -> object:
    """The value under wire key ``key`` of a JSON object or model, or ``_ABSENT``."""
    if isinstance(value, RootModel):
        return _child(value.root, key)
    if isinstance(value, BaseModel):
        name = _wire_keys(type(value)).get(key)
        if name is not None:
            if name in value.model_fields_set:
                got: object = getattr(value, name)
                return _ABSENT if got is None else got
            return _ABSENT
        extra = value.model_extra or {}
        return extra.get(key, _ABSENT)
    if isinstance(value, Mapping):
        return value.get(key, _ABSENT)
    return _ABSENT


def _is_object(value: object) -> bool:
    if isinstance(value, RootModel):
        return _is_object(value.root)
    return isinstance(value, (BaseModel, Mapping))


def _json(value: object) -> object:
    """A model as its wire JSON value; JSON values unchanged."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return value


def _same(a: object, b: object) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or (
        type(a) in (int, float) and type(b) in (int, float) and a == b
    )


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "array": (list, tuple),
    "null": (type(None),),
}


def _has_type(value: object, name: str) -> bool:
    if name == "object":
        return _is_object(value)
    if name in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return name == "number" or float(value).is_integer()
    return isinstance(value, _TYPES[name])


def _text(value: JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False)


def _path(loc: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in loc) or "(root)"


def describe(schema: JsonValue, loc: tuple[str | int, ...] = ()) -> str:
    """A short English reading of a condition, e.g. ``disposition.onNoAnswer is "voicemail"``."""
    if not isinstance(schema, Mapping):
        return "always" if schema is not False else "never"
    parts: list[str] = []
    found = schema.get("properties")
    props: Mapping[str, JsonValue] = found if isinstance(found, Mapping) else {}
    required = schema.get("required")
    for key in required if isinstance(required, list) else ():
        if key not in props:
            parts.append(f"{_path((*loc, str(key)))} is set")
    for key, sub in props.items():
        parts.append(describe(sub, (*loc, key)))
    if "const" in schema:
        parts.append(f"{_path(loc)} is {_text(schema['const'])}")
    if isinstance(schema.get("enum"), list):
        parts.append(f"{_path(loc)} is one of {_text(schema['enum'])}")
    if isinstance(schema.get("anyOf"), list):
        parts.append(" or ".join(describe(s, loc) for s in schema["anyOf"]))  # type: ignore[union-attr]
    return " and ".join(p for p in parts if p) or "always"


def _errors(
    schema: JsonValue, value: object, loc: tuple[str | int, ...], why: str
) -> list[Violation]:
    """Every way ``value`` (at ``loc``) breaks ``schema``; ``why`` explains a condition."""
    if schema is True or schema == {}:
        return []
    if not isinstance(schema, Mapping):
        return [(loc, "rule_false", f"{_path(loc)} is not allowed here{why}")]
    out: list[Violation] = []
    if isinstance(schema.get("type"), str) and not _has_type(value, str(schema["type"])):
        out.append((loc, "rule_type", f"{_path(loc)} must be of type {schema['type']}{why}"))
        return out
    obj = _is_object(value)
    required = schema.get("required")
    if obj and isinstance(required, list):
        for key in required:
            if _child(value, str(key)) is _ABSENT:
                where = _path((*loc, str(key)))
                out.append(((*loc, str(key)), "rule_required", f"{where} is required{why}"))
    props = schema.get("properties")
    if obj and isinstance(props, Mapping):
        for key, sub in props.items():
            child = _child(value, key)
            if child is not _ABSENT:
                out.extend(_errors(sub, child, (*loc, key), why))
    if "const" in schema and not _same(_json(value), schema["const"]):
        expected = _text(schema["const"])
        out.append((loc, "rule_const", f"{_path(loc)} must be {expected}{why}"))
    enum = schema.get("enum")
    if isinstance(enum, list) and not any(_same(_json(value), e) for e in enum):
        out.append((loc, "rule_enum", f"{_path(loc)} must be one of {_text(enum)}{why}"))
    if "not" in schema and not _errors(schema["not"], value, loc, ""):
        note = schema.get("description")
        detail = f": {note}" if isinstance(note, str) else ""
        out.append((loc, "rule_not", f"{_path(loc)} is not allowed here{why}{detail}"))
    any_of = schema.get("anyOf")
    if isinstance(any_of, list) and all(_errors(s, value, loc, why) for s in any_of):
        out.append((loc, "rule_any_of", f"{_path(loc)} must match {describe(schema, loc)}{why}"))
    all_of = schema.get("allOf")
    for sub in all_of if isinstance(all_of, list) else ():
        out.extend(_errors(sub, value, loc, why))
    if "if" in schema:
        condition = schema["if"]
        if not _errors(condition, value, loc, ""):
            if "then" in schema:
                out.extend(_errors(schema["then"], value, loc, f" when {describe(condition)}"))
        elif "else" in schema:
            out.extend(_errors(schema["else"], value, loc, f" unless {describe(condition)}"))
    return out


def check(model: BaseModel, rules: Sequence[Rule]) -> list[Violation]:
    """Every violation of ``rules`` by ``model``, located relative to the model."""
    out: list[Violation] = []
    for rule in rules:
        out.extend(_errors(dict(rule), model, (), ""))
    return out
