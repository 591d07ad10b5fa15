"""Turn the schema rules pydantic types cannot express into data the models check at run time.

The jambonz server validates with ajv, which enforces ``if``/``then``/``else``, ``not``
and ``oneOf`` exclusivity. datamodel-code-generator drops the first two silently, so a
plain translation accepts what the server rejects (a ``transferOptions`` with
``onNoAnswer: "voicemail"`` and no ``voicemailUrl``). Instead of hand-written validators,
staging moves every such rule out of the schema and into an ``x-jambonz-rules``
extension on the object schema that carries it:

* ``if``/``then``/``else`` on an object schema, and inline ``allOf`` entries that only
  hold ``if``/``then``/``else``, become one rule each (still JSON Schema);
* a property whose whole schema is ``not: ...`` (``"model": {"not": {}}``: the key is
  forbidden) is removed from ``properties`` (so no field invites it) and becomes the
  rule ``{"properties": {"model": {"not": {}}}}``;
* a ``oneOf`` property in which two branches both accept every string (``target``'s
  ``confirmHook``: a ``uri`` string or an ``actionHook``, itself a string or an object)
  can never validate a string; the string branches are dropped, so the model type, and
  mypy, only offer what the server accepts.

datamodel-code-generator carries the extension to the right class through
``--model-extra-keys``; :mod:`codegen.postprocess` moves it into a
``__jambonz_rules__`` class variable, and ``jambonz_types._rules`` evaluates it after
field validation. Rules use a small subset of JSON Schema (:data:`SUPPORTED`); a schema
bump that needs more fails the generator loudly instead of being ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["RULES_KEY", "SUPPORTED", "extract_rules"]

RULES_KEY = "x-jambonz-rules"
SUPPORTED = frozenset(
    {
        "required",
        "properties",
        "const",
        "enum",
        "type",
        "anyOf",
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "description",
    }
)
"""The JSON Schema keywords ``jambonz_types._rules`` implements."""

_ANNOTATIONS = frozenset({"$comment", "title", "examples", "default"})
_RULE_ONLY = frozenset({"if", "then", "else"}) | _ANNOTATIONS

RefResolver = Callable[[str, str], Mapping[str, Any]]
"""``(file key, $ref)`` -> the referenced schema (of the vendored, unstaged set)."""


def _clean(schema: Any, where: str) -> Any:
    """Drop annotations from a rule schema and refuse keywords the evaluator lacks."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        raise SystemExit(f"{where}: rule is not a schema: {schema!r}")
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key not in SUPPORTED:
            raise SystemExit(
                f"{where}: rule keyword {key!r} is not supported by jambonz_types._rules "
                f"(supported: {', '.join(sorted(SUPPORTED))}); extend the evaluator"
            )
        if key in ("if", "then", "else", "not"):
            out[key] = _clean(value, f"{where}/{key}")
        elif key in ("anyOf", "allOf"):
            out[key] = [_clean(v, f"{where}/{key}/{i}") for i, v in enumerate(value)]
        elif key == "properties":
            out[key] = {k: _clean(v, f"{where}/properties/{k}") for k, v in value.items()}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _conditional(node: Mapping[str, Any], where: str) -> dict[str, Any]:
    rule = {k: node[k] for k in ("if", "then", "else") if k in node}
    return _clean(rule, where)  # type: ignore[no-any-return]


def _accepts_every_string(schema: Mapping[str, Any], resolve: Callable[[str], Any]) -> bool:
    """True when ``schema`` accepts any string (formats are not asserted by ajv there)."""
    if "$ref" in schema:
        return _accepts_every_string(resolve(schema["$ref"]), resolve)
    if "oneOf" in schema or "anyOf" in schema:
        branches = schema.get("oneOf", schema.get("anyOf"))
        return any(_accepts_every_string(b, resolve) for b in branches)
    if schema.get("type") != "string":
        return False
    narrowing = {"enum", "const", "pattern", "minLength", "maxLength", "not"}
    return not narrowing & set(schema)


def extract_rules(node: Any, where: str, resolve: Callable[[str], Any]) -> Any:
    """Move rules out of ``node`` (a staged schema tree) into ``x-jambonz-rules``, in place.

    ``where`` names the location for error messages; ``resolve`` maps a ``$ref`` of this
    file to the schema it points at (used for the ``oneOf`` overlap check).
    """
    if isinstance(node, list):
        for i, item in enumerate(node):
            extract_rules(item, f"{where}/{i}", resolve)
        return node
    if not isinstance(node, dict):
        return node
    rules: list[dict[str, Any]] = []
    if "if" in node:
        rules.append(_conditional(node, where))
        for key in ("if", "then", "else"):
            node.pop(key, None)
    if isinstance(node.get("allOf"), list):
        kept = []
        for i, entry in enumerate(node["allOf"]):
            if isinstance(entry, dict) and "if" in entry and set(entry) <= _RULE_ONLY:
                rules.append(_conditional(entry, f"{where}/allOf/{i}"))
            else:
                kept.append(entry)
        if kept:
            node["allOf"] = kept
        else:
            del node["allOf"]
    props = node.get("properties")
    if isinstance(props, dict):
        for name in list(props):
            prop = props[name]
            if isinstance(prop, dict) and "not" in prop and set(prop) <= {"not", "description"}:
                forbidden: dict[str, Any] = {"not": _clean(prop["not"], f"{where}/{name}")}
                if "description" in prop:
                    forbidden["description"] = prop["description"]
                rules.append({"properties": {name: forbidden}})
                del props[name]
            elif isinstance(prop, dict) and isinstance(prop.get("oneOf"), list):
                _drop_ambiguous_strings(prop, resolve)
    for key, value in node.items():
        if key != RULES_KEY:
            extract_rules(value, f"{where}/{key}", resolve)
    if rules:
        node[RULES_KEY] = rules
    return node


def _drop_ambiguous_strings(prop: dict[str, Any], resolve: Callable[[str], Any]) -> None:
    """If two ``oneOf`` branches accept every string, no string is valid: keep only the
    non-string parts (a ``$ref`` to a string-or-object ``oneOf`` keeps its object branches)."""
    branches = prop["oneOf"]
    if sum(1 for b in branches if _accepts_every_string(b, resolve)) < 2:
        return
    kept: list[dict[str, Any]] = []
    for branch in branches:
        if not _accepts_every_string(branch, resolve):
            kept.append(branch)
        elif "$ref" in branch:
            target = resolve(branch["$ref"])
            base = branch["$ref"].partition("#")[0]
            for i, sub in enumerate(target.get("oneOf", ())):
                if not _accepts_every_string(sub, resolve):
                    kept.append({"$ref": f"{base}#/oneOf/{i}"})
    if not kept:
        raise SystemExit(f"oneOf accepts nothing after removing ambiguous strings: {prop!r}")
    del prop["oneOf"]
    if len(kept) == 1:
        prop.update(kept[0])
    else:
        prop["oneOf"] = kept
