"""Every operation of the generated REST clients, sync and async, against Prism.

Prism (tests/runtime/rest/prism.py, the ``prism_url`` fixture of conftest.py) serves the effective spec (overrides applied) and checks
each request the client sends against it: a wrong path, query parameter, body or a
missing bearer token is answered 422/401, which the client raises, so a green test
means the request fit the spec. The answer is parsed into the method's return type,
which is checked too. Arguments are built from the spec: every required parameter and
body field gets a value of its schema's type (``_sample``).
"""

from __future__ import annotations

import builtins
import inspect
from pathlib import Path

import pytest
from pydantic import BaseModel, JsonValue

from codegen.openapi.generate import effective_spec
from codegen.openapi.operations import Operation, build_operations
from jambonz_runtime.exceptions import RestAuthError, RestClientError
from jambonz_runtime.rest import AsyncJambonzClient, JambonzClient
from jambonz_types import api

SPEC = effective_spec()
SCHEMAS: dict[str, JsonValue] = SPEC.document["components"]["schemas"]
OPERATIONS = build_operations(SPEC)
ACCOUNT = "0f0e5f57-52b1-4f6e-9a1b-00000000000a"
SAMPLE_UUID = "0f0e5f57-52b1-4f6e-9a1b-000000000001"
BODIES: dict[str, JsonValue] = {
    # nothing is required by the schema, but an update needs one action
    "updateCall": {"mute_status": "mute"},
}


def _sample(schema: JsonValue, depth: int = 0) -> JsonValue:
    """A small value the schema accepts (required keys only)."""
    assert isinstance(schema, dict)
    assert depth < 12
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _sample(SCHEMAS[ref.rsplit("/", 1)[-1]], depth + 1)
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return _sample(options[0], depth + 1)
    parts = schema.get("allOf")
    if isinstance(parts, list):
        merged: dict[str, JsonValue] = {}
        for part in parts:
            value = _sample(part, depth + 1)
            assert isinstance(value, dict)
            merged.update(value)
        return merged
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "array":
        return [_sample(schema.get("items", {}), depth + 1)]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        assert isinstance(props, dict)
        required = schema.get("required") or []
        assert isinstance(required, list)
        return {str(k): _sample(props[str(k)], depth + 1) for k in required if str(k) in props}
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return 1
    return {
        "uuid": SAMPLE_UUID,
        "date-time": "2026-01-01T00:00:00Z",
        "email": "dev@example.com",
        "url": "https://example.com/hook",
        "uri": "https://example.com/hook",
    }.get(str(fmt), "x1")


def _body(op: Operation) -> BaseModel | list[BaseModel] | list[str]:
    raw = SPEC.document["paths"][op.path][op.http_method.lower()]["requestBody"]
    schema = raw["content"]["application/json"]["schema"]
    value = BODIES.get(op.operation_id) or _sample(schema)
    body = str(op.body)
    if body == "list[str]":
        assert isinstance(value, list)
        return [str(v) for v in value]
    if body.startswith("list["):
        model = getattr(api, body[len("list[") : -1])
        assert isinstance(value, list)
        return [model.model_validate(v) for v in value]
    return getattr(api, body).model_validate(value)  # type: ignore[no-any-return]


def _kwargs(op: Operation) -> dict[str, object]:
    kwargs: dict[str, object] = {}
    raw = SPEC.document["paths"][op.path][op.http_method.lower()]
    schemas = {p["name"]: p.get("schema", {}) for p in raw.get("parameters", [])}
    for p in op.params:
        if p.required and not p.account:
            kwargs[p.name] = _sample(schemas[p.wire])
    if op.body and op.body_required:
        kwargs["body"] = _body(op)
    return kwargs


def _check_result(op: Operation, result: object) -> None:
    model = getattr(api, op.model) if op.model else None
    if op.returns == "none":
        assert result is None
    elif op.returns == "model":
        assert isinstance(result, model)  # type: ignore[arg-type]
    elif op.returns == "optional_model":
        assert result is None or isinstance(result, model)  # type: ignore[arg-type]
    elif op.returns == "list":
        assert isinstance(result, builtins.list)
        assert all(isinstance(r, model) for r in result)  # type: ignore[arg-type]
    elif op.returns == "bytes":
        assert isinstance(result, bytes)


IDS = [f"{o.resource}.{o.method}" for o in OPERATIONS]


def test_every_operation_is_a_method_of_both_clients() -> None:
    for client_cls in (JambonzClient, AsyncJambonzClient):
        client = client_cls(base_url="http://127.0.0.1:9", api_key="k", env={})
        for op in OPERATIONS:
            method = getattr(getattr(client, op.resource), op.method)
            assert inspect.iscoroutinefunction(method) is (client_cls is AsyncJambonzClient)
            params = inspect.signature(method).parameters.values()
            assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params), op.operation_id
            assert op.path in (method.__doc__ or "")


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_sync_operation_fits_the_spec(prism_url: str, op: Operation) -> None:
    with JambonzClient(base_url=prism_url, account_sid=ACCOUNT, api_key="key", env={}) as client:
        result = getattr(getattr(client, op.resource), op.method)(**_kwargs(op))
    _check_result(op, result)


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
async def test_async_operation_fits_the_spec(prism_url: str, op: Operation) -> None:
    async with AsyncJambonzClient(
        base_url=prism_url, account_sid=ACCOUNT, api_key="key", env={}
    ) as client:
        result = await getattr(getattr(client, op.resource), op.method)(**_kwargs(op))
    _check_result(op, result)


def test_prism_refuses_what_the_spec_refuses(prism_url: str) -> None:
    # The suite is only as good as Prism's checks: a request without the bearer token
    # and one with a body the spec forbids must fail.
    import httpx

    answer = httpx.get(f"{prism_url}/v1/Applications")
    assert answer.status_code == 401
    with JambonzClient(base_url=prism_url, account_sid=ACCOUNT, api_key="key", env={}) as client:
        bad = api.UpdateCallRequest.model_construct(call_status="hung-up")
        with pytest.raises(RestClientError) as info:
            client.calls.update(call_sid="c1", body=bad)
        assert info.value.status == 422
        assert not isinstance(info.value, RestAuthError)


def test_prism_dir_is_gitignored() -> None:
    root = Path(__file__).resolve().parents[3]
    assert ".prism/" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
