"""The semantic change report of a schema bump: what changed for users, and how badly.

Why diff the schemas rather than the generated code: the API surface manifest
(codegen/report.py) sees types and names only, so a default that changes what a call
does (agent ``noResponseTimeout`` 0 -> 12) or an ``additionalProperties`` loosening is
invisible there. This module walks the old and new schema documents side by side and
lists every difference in the keywords below, each classified:

* **breaking** (⚠): a removed verb, schema, property, enum value or ``oneOf`` branch; a
  property newly required; a narrowed type; a tightened bound; ``additionalProperties``
  newly ``false``; a changed ``const``. Code that worked may now be rejected.
* **changed**: defaults, descriptions, ``pattern``, ``format``, ``minVersion``, loosened
  bounds or ``additionalProperties``, a property no longer required, a widened type.
* **added**: new verbs, schemas, optional properties, enum values, ``oneOf`` branches.

Every change names its JSON location (``verbs/agent#/properties/noResponseTimeout``)
and its Python spelling (``Verbs.agent(no_response_timeout=...)``).
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import tempfile
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .schemas import APP_SCHEMA, load_schemas, snake, stage

__all__ = ["ADDED", "BREAKING", "CHANGED", "Change", "Namer", "counts", "diff_sets", "namer_for"]

ADDED, CHANGED, BREAKING = "added", "changed", "breaking"
_ORDER = {BREAKING: 0, CHANGED: 1, ADDED: 2}

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_PLAIN = ("pattern", "format", "minVersion", "$ref")
_SUBSCHEMAS = ("items", "not", "if", "then", "else", "contains", "propertyNames")
_BRANCHES = ("oneOf", "anyOf", "allOf", "prefixItems")
_IGNORED = frozenset({"examples", "$comment", "$schema", "$id", "description", "required"})
_HANDLED = frozenset(
    {
        "type",
        "enum",
        "const",
        "default",
        "properties",
        "additionalProperties",
        "$defs",
        "definitions",
        "title",
        *_LOWER_BOUNDS,
        *_UPPER_BOUNDS,
        *_PLAIN,
        *_SUBSCHEMAS,
        *_BRANCHES,
    }
)


@dataclass(frozen=True)
class Change:
    """One difference between two schema sets."""

    kind: str
    """:data:`ADDED`, :data:`CHANGED` or :data:`BREAKING`."""
    where: str
    """``verbs/agent#/properties/noResponseTimeout`` (``verbs/beep`` for a whole file)."""
    what: str
    """``default 0 -> 12``."""
    python: str
    """``Verbs.agent(no_response_timeout=...)``."""

    @property
    def key(self) -> str:
        """Stable identity, e.g. for ``acknowledged-breaking`` in pyproject."""
        return f"{self.where}: {self.what}"

    def sort_key(self) -> tuple[int, str, str]:
        return (_ORDER[self.kind], self.where, self.what)


@dataclass(frozen=True)
class Namer:
    """Python spellings for JSON locations of one schema set."""

    classes: Mapping[str, Mapping[str, str]]
    """``verbs/agent`` -> JSON pointer -> class name (from staging, codegen/naming.py)."""
    methods: Mapping[str, str]
    """``verbs/agent`` -> builder method name (verb files only)."""
    field_names: Mapping[str, str]
    """``Class.wireKey`` -> Python field name overrides (``field-names`` in the config)."""

    def __call__(self, key: str, pointer: str) -> str:
        parts = [urllib.parse.unquote(p) for p in pointer.split("/")[1:]] if pointer else []
        names = self.classes.get(key, {})
        # The longest named ancestor, preferring ``Class.field`` over the field's own
        # class: ``Target.from_``, not ``TargetFrom``, for ``target#/properties/from``.
        owners = [p for p in names if pointer.startswith(p + "/") or (p == "" and pointer)]
        best = max(owners, key=len, default=pointer if pointer in names else None)
        if best is None:
            return key
        rest = parts[len(best.split("/")) - 1 if best else 0 :]
        cls = names[best]
        field = None
        if len(rest) >= 2 and rest[0] == "properties":
            wire = rest[1]
            field = self.field_names.get(f"{cls}.{wire}") or snake(wire)
            if keyword.iskeyword(field):
                field += "_"
        if best == "" and key in self.methods:
            method = self.methods[key]
            return f"Verbs.{method}({field}=...)" if field else f"Verbs.{method}()"
        return f"{cls}.{field}" if field else cls


def _types(node: Mapping[str, Any]) -> frozenset[str]:
    value = node.get("type")
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(str(v) for v in value)
    return frozenset()


def _covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    """Every type of ``narrow`` is accepted by ``wide`` (``number`` accepts ``integer``)."""
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _addl(node: Mapping[str, Any]) -> str:
    value = node.get("additionalProperties", True)
    if value is False:
        return "false"
    if value is True:
        return "true"
    return "schema"


class _Walker:
    def __init__(self, key: str, namer: Namer, inbound: bool) -> None:
        self.key = key
        self.namer = namer
        self.inbound = inbound
        self.out: list[Change] = []

    def emit(self, kind: str, pointer: str, what: str) -> None:
        where = f"{self.key}#{pointer}" if pointer else self.key
        self.out.append(Change(kind, where, what, self.namer(self.key, pointer)))

    def node(self, old: Any, new: Any, ptr: str) -> None:
        if not (isinstance(old, dict) and isinstance(new, dict)):
            if old != new:
                self.emit(CHANGED, ptr, f"schema {_show(old)} -> {_show(new)}")
            return
        self._type(old, new, ptr)
        self._enum(old, new, ptr)
        if old.get("const") != new.get("const"):
            if "const" in old:
                kind = BREAKING
            else:
                kind = BREAKING if "const" in new else CHANGED
            self.emit(kind, ptr, f"const {_show(old.get('const'))} -> {_show(new.get('const'))}")
        if old.get("default") != new.get("default"):
            a = _show(old["default"]) if "default" in old else "(none)"
            b = _show(new["default"]) if "default" in new else "(none)"
            self.emit(CHANGED, ptr, f"default {a} -> {b}")
        self._bounds(old, new, ptr)
        for word in _PLAIN:
            if old.get(word) != new.get(word):
                a = _show(old[word]) if word in old else "(none)"
                b = _show(new[word]) if word in new else "(none)"
                self.emit(CHANGED, ptr, f"{word} {a} -> {b}")
        if old.get("description") != new.get("description"):
            self.emit(CHANGED, ptr, "description changed")
        if old.get("title") != new.get("title"):
            # Titles are class names: a new title renames a public class.
            a = _show(old["title"]) if "title" in old else "(none)"
            b = _show(new["title"]) if "title" in new else "(none)"
            self.emit(BREAKING, ptr, f"title {a} -> {b} (renames the class)")
        self._additional(old, new, ptr)
        self._properties(old, new, ptr)
        for word in ("$defs", "definitions"):
            old_defs, new_defs = old.get(word) or {}, new.get(word) or {}
            for name in sorted(set(new_defs) - set(old_defs)):
                self.emit(ADDED, f"{ptr}/{word}/{name}", "new definition")
            for name in sorted(set(old_defs) - set(new_defs)):
                self.emit(BREAKING, f"{ptr}/{word}/{name}", "definition removed")
            for name in sorted(set(old_defs) & set(new_defs)):
                self.node(old_defs[name], new_defs[name], f"{ptr}/{word}/{name}")
        for word in _SUBSCHEMAS:
            if word in old and word in new:
                self.node(old[word], new[word], f"{ptr}/{word}")
            elif word in new:
                self.emit(CHANGED, ptr, f"{word} added: {_show(new[word])}")
            elif word in old:
                self.emit(CHANGED, ptr, f"{word} removed")
        for word in _BRANCHES:
            old_br, new_br = old.get(word) or [], new.get(word) or []
            for i in range(min(len(old_br), len(new_br))):
                self.node(old_br[i], new_br[i], f"{ptr}/{word}/{i}")
            for i in range(len(old_br), len(new_br)):
                kind = CHANGED if word == "allOf" else ADDED
                self.emit(kind, f"{ptr}/{word}/{i}", f"new {word} branch: {_show(new_br[i])}")
            for i in range(len(new_br), len(old_br)):
                kind = CHANGED if word == "allOf" else BREAKING
                self.emit(kind, f"{ptr}/{word}/{i}", f"{word} branch removed")
        for word in sorted((set(old) | set(new)) - _HANDLED - _IGNORED):
            if old.get(word) != new.get(word):
                self.emit(CHANGED, ptr, f"{word} {_show(old.get(word))} -> {_show(new.get(word))}")

    def _type(self, old: Mapping[str, Any], new: Mapping[str, Any], ptr: str) -> None:
        a, b = _types(old), _types(new)
        if a == b:
            return
        text = f"type {'|'.join(sorted(a)) or '(any)'} -> {'|'.join(sorted(b)) or '(any)'}"
        if not b or (a and _covers(b, a)):
            self.emit(CHANGED, ptr, text + " (widened)")
        elif not a or _covers(a, b):
            self.emit(BREAKING, ptr, text + " (narrowed)")
        else:
            self.emit(BREAKING, ptr, text)

    def _enum(self, old: Mapping[str, Any], new: Mapping[str, Any], ptr: str) -> None:
        if "enum" not in old and "enum" not in new:
            return
        if "enum" not in new:
            self.emit(CHANGED, ptr, "enum removed (any value of the type accepted)")
            return
        if "enum" not in old:
            self.emit(BREAKING, ptr, f"now restricted to enum {_show(new['enum'])}")
            return
        a = {json.dumps(v, sort_keys=True) for v in old["enum"]}
        b = {json.dumps(v, sort_keys=True) for v in new["enum"]}
        for value in sorted(b - a):
            self.emit(ADDED, ptr, f"enum value added: {value}")
        for value in sorted(a - b):
            self.emit(BREAKING, ptr, f"enum value removed: {value}")

    def _bounds(self, old: Mapping[str, Any], new: Mapping[str, Any], ptr: str) -> None:
        for lower, words in ((True, _LOWER_BOUNDS), (False, _UPPER_BOUNDS)):
            for word in words:
                a, b = old.get(word), new.get(word)
                if a == b:
                    continue
                if b is None:
                    tighter = False
                elif a is None:
                    tighter = True
                else:
                    tighter = b > a if lower else b < a
                kind = BREAKING if tighter else CHANGED
                shown = f"{word} {_show(a) if a is not None else '(none)'} -> "
                shown += _show(b) if b is not None else "(none)"
                self.emit(kind, ptr, shown + (" (tightened)" if tighter else " (loosened)"))

    def _additional(self, old: Mapping[str, Any], new: Mapping[str, Any], ptr: str) -> None:
        a, b = _addl(old), _addl(new)
        if a == "schema" and b == "schema":
            self.node(old["additionalProperties"], new["additionalProperties"],
                      f"{ptr}/additionalProperties")  # fmt: skip
        elif a != b:
            tighter = b == "false" or (a == "true" and b == "schema")
            self.emit(
                BREAKING if tighter else CHANGED,
                ptr,
                f"additionalProperties {a} -> {b} ({'tightened' if tighter else 'loosened'})",
            )

    def _properties(self, old: Mapping[str, Any], new: Mapping[str, Any], ptr: str) -> None:
        a, b = old.get("properties") or {}, new.get("properties") or {}
        ra, rb = set(old.get("required") or ()), set(new.get("required") or ())
        for name in sorted(set(b) - set(a)):
            here = f"{ptr}/properties/{name}"
            if name in rb and not self.inbound:
                self.emit(BREAKING, here, "new required property")
            else:
                self.emit(ADDED, here, f"new {'required' if name in rb else 'optional'} property")
        for name in sorted(set(a) - set(b)):
            self.emit(BREAKING, f"{ptr}/properties/{name}", "property removed")
        for name in sorted(set(a) & set(b)):
            here = f"{ptr}/properties/{name}"
            if name in rb and name not in ra:
                self.emit(CHANGED if self.inbound else BREAKING, here, "now required")
            elif name in ra and name not in rb:
                self.emit(BREAKING if self.inbound else CHANGED, here, "no longer required")
            self.node(a[name], b[name], here)
        for name in sorted((rb - ra) - set(a) - set(b)):
            self.emit(BREAKING, f"{ptr}/properties/{name}", "now required (undeclared key)")


def _file_key(rel: str) -> str:
    return rel.removesuffix(".schema.json")


def diff_sets(
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
    namer: Namer,
) -> list[Change]:
    """Every change from ``old`` to ``new`` (``path`` -> schema document), sorted.

    Callback schemas describe what the server sends, so there a newly required property
    is no break for an app (it only reads more), but one no longer required is.
    """
    out: list[Change] = []
    for rel in sorted(set(new) - set(old) - {APP_SCHEMA}):
        key = _file_key(rel)
        what = "new verb" if rel.startswith("verbs/") else f"new {rel.split('/')[0][:-1]} schema"
        out.append(Change(ADDED, key, what, namer(key, "")))
    for rel in sorted(set(old) - set(new) - {APP_SCHEMA}):
        key = _file_key(rel)
        what = "verb removed" if rel.startswith("verbs/") else "schema removed"
        out.append(Change(BREAKING, key, what, key))
    for rel in sorted((set(old) & set(new)) - {APP_SCHEMA}):
        walker = _Walker(_file_key(rel), namer, inbound=rel.startswith("callbacks/"))
        walker.node(dict(old[rel]), dict(new[rel]), "")
        out.extend(walker.out)
    out.extend(_app_union_changes(old, new, namer))
    return sorted(out, key=Change.sort_key)


def _app_verbs(docs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """File key (``verbs/say``) of each verb in the app root's ``$defs/Verb`` union."""
    app = docs.get(APP_SCHEMA) or {}
    base = str(app.get("$id", ""))
    by_id = {str(doc.get("$id")): _file_key(rel) for rel, doc in docs.items()}
    out: dict[str, str] = {}
    for branch in ((app.get("$defs") or {}).get("Verb") or {}).get("oneOf") or []:
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if isinstance(ref, str):
            key = by_id.get(urllib.parse.urljoin(base, ref), ref)
            out[key] = ref
    return out


def _app_union_changes(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]], namer: Namer
) -> list[Change]:
    """A verb leaving the application union is breaking even if its file stays."""
    a, b = _app_verbs(old), _app_verbs(new)
    new_files = {_file_key(rel) for rel in set(new) - set(old)}
    out = [
        Change(BREAKING, key, "no longer in the application's verb union", namer(key, ""))
        for key in sorted(set(a) - set(b))
        if f"{key}.schema.json" in new
    ]
    out += [
        Change(ADDED, key, "added to the application's verb union", namer(key, ""))
        for key in sorted(set(b) - set(a) - new_files)
    ]
    return out


def counts(changes: list[Change]) -> Iterator[tuple[str, int]]:
    """``(kind, number)`` for each kind, breaking first."""
    for kind in (BREAKING, CHANGED, ADDED):
        yield kind, sum(1 for c in changes if c.kind == kind)


def namer_for(config: Config, schemas_dir: Path) -> Namer:
    """The :class:`Namer` of the schema set in ``schemas_dir`` (staged as ``build`` does)."""
    from .naming import assign_titles

    schemas = load_schemas(dataclasses.replace(config, schemas_dir=schemas_dir), version="")
    classes: dict[str, dict[str, str]] = {}
    methods: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="jambonz-names-") as tmp:
        staged = stage(schemas, config, Path(tmp))
        for module_key, f in staged.items():
            doc = json.loads((Path(tmp) / f"{module_key}.json").read_text(encoding="utf-8"))
            classes[f.key] = assign_titles(doc, f.key)
    for f in schemas.group("verbs"):
        verb = urllib.parse.unquote(f.schema_id.rstrip("/").rsplit("/", 1)[-1])
        methods[f.key] = config.method_names.get(verb, verb.replace(":", "_").replace("-", "_"))
    return Namer(classes, methods, dict(config.field_names))
