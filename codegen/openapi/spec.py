"""The effective REST API spec: the vendored OpenAPI document with ``overrides.yaml`` applied.

The api-server's ``swagger.yaml`` is stale in places (missing routes, a live-call-control
body with half the keys the feature-server reads, booleans the server returns as 0/1).
It is vendored byte for byte (``openapi/SOURCE.toml``); every fix is an entry of
``openapi/overrides.yaml`` with a one-line ``reason`` and the ``upstream`` issue it
works around, applied here in a fixed order so the result is deterministic:

1. ``exclude``: operations left out (the hosted portal's billing/login routes);
2. ``add-operations``: routes the server has that the spec lacks; ``move-operations``:
   an operation the spec puts on the wrong path;
3. ``patch``: replace a schema, or merge properties into it / set its ``required``, at a target (``schema NAME``,
   ``body OPERATION``, ``response OPERATION [STATUS [MEDIA]]``, ``query OPERATION NAME``);
4. ``int-bools``: every boolean property of the named schemas also accepts 0/1
   (MySQL ``BOOLEAN`` columns come back as ``TINYINT``);
5. ``partial-bodies``: an update whose body is a copy of the resource schema with
   nothing required (the server's PUT applies only the keys sent);
6. ``names``: an operation's client resource and method name where the derived ones
   are awkward.

The same effective document feeds the model generator, the resource templates and the
Prism mock server the tests run, so what the client sends is checked against exactly
what it was generated from.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml  # type: ignore[import-untyped]

from ..config import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "HTTP_METHODS",
    "INT_BOOL_TYPE",
    "OpenApiSpec",
    "Override",
    "iter_operations",
    "load_effective",
]

SPEC_DIR = ROOT / "openapi"
HTTP_METHODS = ("get", "post", "put", "delete", "patch")
INT_BOOL_TYPE = "jambonz_types.api._compat.IntBool"
"""Python type of a boolean the server stores as ``TINYINT`` (accepts true/false and 0/1)."""
_REQUIRED_KEYS = ("reason", "upstream")

Json = Any  # a parsed YAML/JSON value; the codegen is internal, not public API


@dataclass(frozen=True)
class Override:
    """One applied entry of overrides.yaml (for the docs and the change report)."""

    kind: str
    target: str
    reason: str
    upstream: str


@dataclass(frozen=True)
class OpenApiSpec:
    """The effective document plus what was done to it."""

    document: dict[str, Json]
    names: dict[str, dict[str, str]]
    """operationId -> {"resource": ..., "method": ...} from the ``names`` overrides."""
    applied: tuple[Override, ...]
    source: dict[str, Json]
    """The vendored SOURCE.toml, for headers."""


def iter_operations(document: Mapping[str, Json]) -> Iterator[tuple[str, str, dict[str, Json]]]:
    """``(path, method, operation)`` for every operation, in document order."""
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _check_entry(kind: str, entry: Mapping[str, Json]) -> None:
    missing = [k for k in _REQUIRED_KEYS if not str(entry.get(k, "")).strip()]
    if missing:
        raise SystemExit(f"overrides.yaml {kind} entry {dict(entry)!r} lacks {', '.join(missing)}")


def _operation(document: dict[str, Json], operation_id: str) -> dict[str, Json]:
    for _path, _method, op in iter_operations(document):
        if op.get("operationId") == operation_id:
            return op
    raise SystemExit(f"overrides.yaml: no operation {operation_id!r} in the spec")


def _json_body(op: dict[str, Json]) -> dict[str, Json]:
    content = op.setdefault("requestBody", {"required": True}).setdefault("content", {})
    return cast("dict[str, Json]", content.setdefault("application/json", {}))


def _resolve(document: dict[str, Json], at: str) -> tuple[dict[str, Json], str]:
    """The container and key a ``patch`` target names."""
    kind, _, rest = at.partition(" ")
    if kind == "schema":
        return document["components"]["schemas"], rest
    if kind == "body":
        return _json_body(_operation(document, rest)), "schema"
    if kind == "response":
        op_id, *more = rest.split(" ")
        status = more[0] if more else "200"
        media = more[1] if len(more) > 1 else "application/json"
        response = _operation(document, op_id)["responses"][int(status)]
        return response.setdefault("content", {}).setdefault(media, {}), "schema"
    if kind == "query":
        op_id, _, name = rest.partition(" ")
        for param in _operation(document, op_id).get("parameters", []):
            if param.get("name") == name:
                return param, "schema"
        raise SystemExit(f"overrides.yaml: operation {op_id} has no parameter {name!r}")
    if kind == "operation":
        op_id, _, key = rest.partition(" ")
        return _operation(document, op_id), key
    raise SystemExit(f"overrides.yaml: unknown patch target {at!r}")


def _hoist_path_parameters(document: dict[str, Json]) -> None:
    # Path-level parameters apply to every operation of the path; copying them onto
    # each operation lets the generator read one list per operation.
    for item in document["paths"].values():
        shared = item.pop("parameters", [])
        for method in HTTP_METHODS:
            if method in item:
                own = item[method].setdefault("parameters", [])
                names = {(p.get("in"), p.get("name")) for p in own}
                own[:0] = [p for p in shared if (p.get("in"), p.get("name")) not in names]


def _int_bools(schema: dict[str, Json]) -> None:
    for prop in (schema.get("properties") or {}).values():
        if prop.get("type") == "boolean":
            desc = prop.get("description")
            prop.clear()
            prop["oneOf"] = [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}]
            prop["x-python-type"] = INT_BOOL_TYPE
            if desc:
                prop["description"] = desc


def apply_overrides(document: dict[str, Json], overrides: Mapping[str, Json]) -> OpenApiSpec:
    """Apply ``overrides`` to a copy of ``document`` (see the module docstring for the order)."""
    doc = copy.deepcopy(document)
    applied = _name_unnamed(doc, overrides)
    _hoist_path_parameters(doc)

    excluded = overrides.get("exclude", [])
    for entry in excluded:
        _check_entry("exclude", entry)
    gone = {op_id for entry in excluded for op_id in entry["operations"]}
    found: set[str] = set()
    for path in list(doc["paths"]):
        item = doc["paths"][path]
        for method in HTTP_METHODS:
            op_id = item.get(method, {}).get("operationId")
            if op_id in gone:
                found.add(op_id)
                del item[method]
        if not any(m in item for m in HTTP_METHODS):
            del doc["paths"][path]
    if gone - found:
        raise SystemExit(f"overrides.yaml excludes unknown operations: {sorted(gone - found)}")
    applied += [
        Override("exclude", ", ".join(e["operations"]), e["reason"], e["upstream"])
        for e in excluded
    ]

    for entry in overrides.get("add-operations", []):
        _check_entry("add-operations", entry)
        item = doc["paths"].setdefault(entry["path"], {})
        method = entry["method"]
        if method in item:
            raise SystemExit(f"overrides.yaml adds {method} {entry['path']}, which exists")
        item[method] = copy.deepcopy(entry["operation"])
        applied.append(
            Override(
                "add-operation",
                f"{method.upper()} {entry['path']}",
                entry["reason"],
                entry["upstream"],
            )
        )

    for entry in overrides.get("move-operations", []):
        _check_entry("move-operations", entry)
        _move(doc, entry["operation"], entry["to"])
        applied.append(
            Override(
                "move", f"{entry['operation']} -> {entry['to']}", entry["reason"], entry["upstream"]
            )
        )

    for entry in overrides.get("patch", []):
        _check_entry("patch", entry)
        container, key = _resolve(doc, entry["at"])
        if "replace" in entry:
            container[key] = copy.deepcopy(entry["replace"])
        else:
            if key not in container and not entry["at"].startswith("body "):
                raise SystemExit(
                    f"overrides.yaml patches {entry['at']!r}, which is not in the spec"
                )
            target = container.setdefault(key, {"type": "object"})
            for name, value in entry.get("merge-properties", {}).items():
                target.setdefault("properties", {})[name] = copy.deepcopy(value)
            for name in entry.get("remove-properties", []):
                target.get("properties", {}).pop(name, None)
            if "required" in entry:
                target["required"] = list(entry["required"])
        applied.append(Override("patch", entry["at"], entry["reason"], entry["upstream"]))

    for entry in overrides.get("int-bools", []):
        _check_entry("int-bools", entry)
        for name in entry["schemas"]:
            if name not in doc["components"]["schemas"]:
                raise SystemExit(
                    f"overrides.yaml int-bools names {name!r}, which is not in the spec"
                )
            _int_bools(doc["components"]["schemas"][name])
        applied.append(
            Override("int-bools", ", ".join(entry["schemas"]), entry["reason"], entry["upstream"])
        )

    for entry in overrides.get("partial-bodies", []):
        _check_entry("partial-bodies", entry)
        for op_id in entry["operations"]:
            media = _json_body(_operation(doc, op_id))
            ref = str(media.get("schema", {}).get("$ref", ""))
            name = ref.rsplit("/", 1)[-1]
            if name not in doc["components"]["schemas"]:
                raise SystemExit(f"overrides.yaml partial-bodies: {op_id} has no $ref body")
            partial = copy.deepcopy(doc["components"]["schemas"][name])
            partial.pop("required", None)
            partial.pop("example", None)
            media["schema"] = partial
        applied.append(
            Override(
                "partial-body", ", ".join(entry["operations"]), entry["reason"], entry["upstream"]
            )
        )

    names: dict[str, dict[str, str]] = {}
    for entry in overrides.get("names", []):
        _check_entry("names", entry)
        _operation(doc, entry["operation"])
        names[entry["operation"]] = {
            k: entry[k] for k in ("resource", "method", "operation-id") if k in entry
        }
        applied.append(Override("name", entry["operation"], entry["reason"], entry["upstream"]))
    return OpenApiSpec(doc, names, tuple(applied), {})


def _name_unnamed(document: dict[str, Json], overrides: Mapping[str, Json]) -> list[Override]:
    # An operation the spec leaves without an operationId gets the one the override
    # names, before anything else refers to operations by id.
    applied = []
    for entry in overrides.get("operation-ids", []):
        _check_entry("operation-ids", entry)
        method, path = entry["method"], entry["path"]
        document["paths"][path][method]["operationId"] = entry["operation-id"]
        applied.append(
            Override("operation-id", f"{method.upper()} {path}", entry["reason"], entry["upstream"])
        )
    return applied


def _move(document: dict[str, Json], operation_id: str, to: str) -> None:
    for path, method, op in list(iter_operations(document)):
        if op.get("operationId") == operation_id:
            del document["paths"][path][method]
            if not any(m in document["paths"][path] for m in HTTP_METHODS):
                del document["paths"][path]
            op["parameters"] = [
                p
                for p in op.get("parameters", [])
                if p.get("in") != "path" or "{" + str(p.get("name")) + "}" in to
            ]
            target = document["paths"].setdefault(to, {})
            if method in target:
                raise SystemExit(
                    f"overrides.yaml moves {operation_id} onto {method} {to}, which exists"
                )
            target[method] = op
            return
    raise SystemExit(f"overrides.yaml: no operation {operation_id!r} to move")


def _load_yaml(path: Path) -> Json:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_effective(spec_dir: Path = SPEC_DIR) -> OpenApiSpec:
    """Read ``swagger.yaml`` and ``overrides.yaml`` under ``spec_dir`` and apply them."""
    document = _load_yaml(spec_dir / "swagger.yaml")
    overrides = _load_yaml(spec_dir / "overrides.yaml") or {}
    spec = apply_overrides(document, overrides)
    source = tomllib.loads((spec_dir / "SOURCE.toml").read_text(encoding="utf-8"))
    return OpenApiSpec(spec.document, spec.names, spec.applied, source)
