"""Operations of the effective spec as the data the resource templates render.

Every name here derives from the spec (paths, operationIds, parameter names) or from a
``names`` override, never from a counter:

* **resource**: the path's first collection (``/Applications/...`` -> ``applications``);
  under ``/Accounts/{AccountSid}/`` the collection after it (``.../RecentCalls`` ->
  ``recent_calls``), because the client is bound to one account;
* **method**: ``list``/``create`` on the collection, ``get``/``update``/``delete`` on one
  item, the snake-cased operationId elsewhere. Two operations landing on one name stop
  the generator: a ``names`` override must settle it.

Inline schemas (request bodies, responses, nested objects) are hoisted into
``components/schemas`` under names built from their place (``UpdateCallRequest``,
``ListRecentCallsResponseDataItem``), so the generated models are importable by a name
that says where they come from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .spec import OpenApiSpec, iter_operations

__all__ = ["Operation", "Param", "build_operations", "hoist_inline_schemas", "pascal", "snake"]

Json = Any
ACCOUNT_PARAM = "AccountSid"
_REF = "#/components/schemas/"
PY_KEYWORDS = {"from", "in", "is", "class", "def", "global", "import", "lambda", "pass", "type"}


def snake(name: str) -> str:
    """``VoipCarrierSid`` -> ``voip_carrier_sid``; ``callStatus`` -> ``call_status``."""
    name = re.sub(r"[^0-9A-Za-z]+", "_", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return name.strip("_").lower()


def pascal(name: str) -> str:
    """``updateCall`` -> ``UpdateCall``; ``sip_request`` -> ``SipRequest``."""
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^0-9A-Za-z]+", name) if p)


def _py_name(wire: str) -> str:
    name = snake(wire)
    return f"{name}_" if name in PY_KEYWORDS else name


def _is_model(schema: Json) -> bool:
    return isinstance(schema, dict) and "properties" in schema and "x-python-type" not in schema


def _hoist(schemas: dict[str, Json], schema: Json, name: str) -> Json:
    """Return ``schema`` with nested inline objects moved to ``schemas``; a model -> a $ref."""
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema["items"] = _hoist(schemas, schema["items"], f"{name}Item")
        return schema
    if not _is_model(schema):
        return schema
    for prop, sub in list(schema["properties"].items()):
        schema["properties"][prop] = _hoist(schemas, sub, f"{name}{pascal(prop)}")
    if name in schemas and schemas[name] != schema:
        raise SystemExit(f"hoisting an inline schema: {name} exists with another shape")
    schemas[name] = schema
    return {"$ref": _REF + name}


def hoist_inline_schemas(spec: OpenApiSpec) -> None:
    """Move every inline object schema of ``spec.document`` into ``components/schemas``."""
    doc = spec.document
    schemas: dict[str, Json] = doc["components"]["schemas"]
    for name in list(schemas):
        schema = schemas.pop(name)
        for prop, sub in list((schema.get("properties") or {}).items()):
            schema["properties"][prop] = _hoist(schemas, sub, f"{name}{pascal(prop)}")
        if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
            schema["items"] = _hoist(schemas, schema["items"], f"{name}Item")
        schemas[name] = schema
    for _path, _method, op in iter_operations(doc):
        base = pascal(op["operationId"])
        for media in op.get("requestBody", {}).get("content", {}).values():
            if "schema" in media:
                media["schema"] = _hoist(schemas, media["schema"], f"{base}Request")
        for status, response in op.get("responses", {}).items():
            if not str(status).startswith("2"):
                continue
            for media in response.get("content", {}).values():
                if "schema" in media:
                    media["schema"] = _hoist(schemas, media["schema"], f"{base}Response")
    doc["components"]["schemas"] = dict(sorted(schemas.items()))


@dataclass(frozen=True)
class Param:
    """A path or query parameter, a keyword-only argument of the method."""

    wire: str
    name: str
    annotation: str
    required: bool
    location: str
    doc: str
    account: bool = False
    """``AccountSid``: optional, defaults to the client's account."""


@dataclass
class Operation:
    """One API operation: one method on a sync and an async resource class."""

    operation_id: str
    resource: str
    method: str
    http_method: str
    path: str
    params: list[Param]
    body: str | None
    body_required: bool
    returns: str
    """``none``, ``model``, ``list``, ``optional_model``, ``bytes``, ``json``."""
    model: str | None
    summary: str
    description: str
    responses: list[tuple[str, str]] = field(default_factory=list)
    doc: str = ""
    """The method's docstring (filled by the generator)."""
    accept: str = "application/json"
    """The ``Accept`` header: the media type of a binary answer (pcap, audio)."""
    page_item: str | None = None
    """Item model of a paged list (``page``/``count`` query, ``data`` array answer)."""

    @property
    def idempotent(self) -> bool:
        return self.http_method in {"GET", "PUT", "DELETE"}

    @property
    def annotation(self) -> str:
        return {
            "none": "None",
            "model": str(self.model),
            "list": f"list[{self.model}]",
            "optional_model": f"{self.model} | None",
            "bytes": "bytes",
            "json": "JsonValue",
        }[self.returns]

    @property
    def required_params(self) -> list[Param]:
        return [p for p in self.params if p.required and not p.account]

    @property
    def optional_params(self) -> list[Param]:
        return [p for p in self.params if not (p.required and not p.account)]


def _scalar(schema: Json) -> str:
    if not isinstance(schema, dict):
        return "str"
    if "enum" in schema:
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    kind = schema.get("type")
    if kind == "boolean":
        return "bool"
    if kind == "integer" or (kind == "number" and schema.get("format") == "integer"):
        return "int"
    if kind == "number":
        return "float"
    return "str"


def _ref_name(schema: Json) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref[len(_REF) :] if isinstance(ref, str) and ref.startswith(_REF) else None


def _type_of(schema: Json) -> str:
    name = _ref_name(schema)
    if name:
        return name
    if isinstance(schema, dict) and schema.get("type") == "array":
        return f"list[{_type_of(schema.get('items', {}))}]"
    if isinstance(schema, dict) and schema.get("type") in {
        "string",
        "number",
        "integer",
        "boolean",
    }:
        return _scalar(schema)
    return "JsonValue"


def _derive(path: str, method: str, op_id: str) -> tuple[str, str]:
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["Accounts", "{AccountSid}"] and len(parts) > 2:
        parts = parts[2:]
    resource = snake(parts[0])
    tail = parts[1:]
    if not tail:
        name = {"get": "list", "post": "create"}.get(method)
    elif len(tail) == 1 and tail[0].startswith("{"):
        name = {"get": "get", "put": "update", "delete": "delete"}.get(method)
    else:
        name = None
    return resource, name or snake(op_id)


def _accept(op: Json) -> str:
    for status, response in sorted(op.get("responses", {}).items(), key=lambda i: str(i[0])):
        if str(status).startswith("2") and response.get("content"):
            return ", ".join(sorted(response["content"]))
    return "application/json"


def _returns(op: Json, schemas: dict[str, Json]) -> tuple[str, str | None, list[tuple[str, str]]]:
    ok = sorted((str(s), r) for s, r in op.get("responses", {}).items() if str(s).startswith("2"))
    docs = [(s, str(r.get("description", "")).strip()) for s, r in ok]
    bodies = []
    empty = False
    for status, response in ok:
        content = response.get("content") or {}
        if status == "204" or not content:
            empty = True
            continue
        if "application/json" in content:
            bodies.append(content["application/json"].get("schema", {}))
        else:
            return "bytes", None, docs
    if not bodies:
        return "none", None, docs
    schema = bodies[0]
    name = _ref_name(schema)
    if name and not empty:
        return "model", name, docs
    if name:
        return "optional_model", name, docs
    if schema.get("type") == "array":
        item = _ref_name(schema.get("items", {}))
        if item:
            return "list", item, docs
    return "json", None, docs


def _page_item(op: Operation, schemas: dict[str, Json]) -> str | None:
    query = {p.wire for p in op.params if p.location == "query"}
    if not {"page", "count"} <= query or op.returns != "model":
        return None
    data = schemas[str(op.model)].get("properties", {}).get("data", {})
    return _ref_name(data.get("items", {})) if data.get("type") == "array" else None


def build_operations(spec: OpenApiSpec) -> list[Operation]:
    """Every operation of the (hoisted) effective spec, in resource then method order."""
    doc = spec.document
    schemas: dict[str, Json] = doc["components"]["schemas"]
    ops: list[Operation] = []
    for path, method, op in iter_operations(doc):
        op_id = op["operationId"]
        resource, name = _derive(path, method, op_id)
        override = spec.names.get(op_id, {})
        resource = override.get("resource", resource)
        name = override.get("method", name)
        params = []
        for p in op.get("parameters", []):
            if p.get("in") not in {"path", "query"}:
                continue
            schema = p.get("schema", {})
            desc = str(p.get("description") or schema.get("description") or "").strip()
            params.append(
                Param(
                    wire=p["name"],
                    name=_py_name(p["name"]),
                    annotation=_scalar(schema),
                    required=bool(p.get("required")) or p["in"] == "path",
                    location=p["in"],
                    doc=" ".join(desc.split()),
                    account=p["name"] == ACCOUNT_PARAM and p["in"] == "path",
                )
            )
        body, body_required = None, False
        request = op.get("requestBody")
        if request:
            media = request.get("content", {}).get("application/json")
            if media is not None:
                body = _type_of(media.get("schema", {}))
                body_required = bool(request.get("required", True))
        returns, model, docs = _returns(op, schemas)
        operation = Operation(
            operation_id=op_id,
            resource=resource,
            method=name,
            http_method=method.upper(),
            path=path,
            params=params,
            body=body,
            body_required=body_required,
            returns=returns,
            model=model,
            summary=" ".join(str(op.get("summary") or op_id).split()),
            description=str(op.get("description") or "").strip(),
            responses=docs,
            accept=_accept(op),
        )
        operation.page_item = _page_item(operation, schemas)
        ops.append(operation)
    seen: dict[tuple[str, str], str] = {}
    for o in ops:
        key = (o.resource, o.method)
        if key in seen:
            raise SystemExit(
                f"operations {seen[key]} and {o.operation_id} both map to "
                f"{o.resource}.{o.method}: add a `names` entry to openapi/overrides.yaml"
            )
        seen[key] = o.operation_id
    return sorted(ops, key=lambda o: (o.resource, o.method))
