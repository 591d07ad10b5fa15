"""Hostile HTTP webhook requests: 4xx and one bounded log line, never a 500 (issue 16).

Item 3 (deep JSON), item 6 (wrong field types, NaN / Infinity) and the webhook half of
item 5 (per-path Basic auth declared by the app).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable
from typing import cast

import pytest

from jambonz_runtime import App, CallContext, WebhookApp
from jambonz_runtime._auth import BasicAuthSpec
from jambonz_runtime.exceptions import ConfigurationError
from jambonz_runtime.testing.webhook import WebhookResult, WebhookSimulator
from jambonz_runtime.webhook.signature import SIGNATURE_HEADER
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback

from .conftest import LogCapture


def hello_app(
    *, basic_auth: BasicAuthSpec = None, error_reply: Verbs | None = None
) -> tuple[App[CallContext], list[str]]:
    app = App[CallContext](basic_auth=basic_auth, error_reply=error_reply)
    said: list[str] = []

    @app.on_session("/")
    async def start(session: CallContext, call: SessionNewCallback) -> Verbs:
        said.append(f"hello {call.from_}")
        return Verbs().say(text=said[-1])

    @app.on_session("/sales")
    async def sales(session: CallContext, call: SessionNewCallback) -> Verbs:
        return Verbs().say(text="sales")

    @app.action_hook("/menu")
    async def menu(session: CallContext, result: GatherCallback) -> Verbs:
        return Verbs().say(text=f"you pressed {result.digits}")

    return app, said


def _raw(
    sim: WebhookSimulator, body: bytes, path: str = "/", **headers: str
) -> Awaitable[WebhookResult]:
    return sim.request(
        "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
    )


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def _ready(sim: WebhookSimulator, logs: LogCapture) -> int:
    """Have the app log its one-time "ready" line, then a mark to measure from."""
    await sim.options("/")
    return logs.mark()


def _one_short_line(logs: LogCapture, mark: int) -> str:
    lines = logs.since(mark)
    assert len(lines) == 1, lines
    assert len(lines[0].encode()) <= 512
    assert logs.tracebacks() == []
    return lines[0]


async def test_deep_json_body_is_400_in_one_line(logs: LogCapture) -> None:
    app, said = hello_app()
    sim = WebhookSimulator(WebhookApp(app))
    mark = await _ready(sim, logs)
    result = await _raw(sim, b"[" * 100_000 + b"]" * 100_000)
    assert result.status == 400
    assert "nested too deep" in _one_short_line(logs, mark)
    assert said == []


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
async def test_nan_and_infinity_are_400(logs: LogCapture, literal: bytes) -> None:
    app, said = hello_app()
    sim = WebhookSimulator(WebhookApp(app))
    mark = await _ready(sim, logs)
    result = await _raw(sim, b'{"call_sid": "c1", "from": "+1", "duration": ' + literal + b"}")
    assert result.status == 400
    _one_short_line(logs, mark)
    assert said == []


@pytest.mark.parametrize(
    "payload",
    [
        {"call_sid": 123, "from": "+15550001"},
        {"call_sid": "c1", "from": []},
        {"call_sid": "c1", "from": {"nested": "x" * 100_000}},
        {"call_sid": "c1", "from": "+1", "sip_status": ["x"] * 10_000},
    ],
)
async def test_wrong_field_types_are_400_never_hello_none(
    logs: LogCapture, payload: dict[str, object]
) -> None:
    app, said = hello_app()
    sim = WebhookSimulator(WebhookApp(app))
    mark = await _ready(sim, logs)
    result = await sim.post("/", payload)  # type: ignore[arg-type]
    assert result.status == 400
    assert b"does not fit SessionNewCallback" in result.body
    _one_short_line(logs, mark)
    assert said == []


async def test_action_hook_with_wrong_field_type_gets_the_error_reply_without_traceback(
    logs: LogCapture,
) -> None:
    app, _ = hello_app(error_reply=Verbs().say(text="Sorry").hangup())
    sim = WebhookSimulator(WebhookApp(app))
    mark = await _ready(sim, logs)
    result = await sim.post("/menu", {"call_sid": "c1", "digits": ["1"] * 1000})
    assert result.verb_names == ["say", "hangup"]
    assert "GatherCallback" in _one_short_line(logs, mark)


async def test_hundred_thousand_digit_signature_timestamp_is_401_not_500(
    logs: LogCapture,
) -> None:
    app, _ = hello_app()
    sim = WebhookSimulator(WebhookApp(app, secret="s3cret"))
    mark = await _ready(sim, logs)
    header = {SIGNATURE_HEADER: "t=" + "9" * 100_000 + ",v1=abc"}
    result = await _raw(sim, b'{"call_sid": "c1"}', **header)
    assert result.status == 401
    _one_short_line(logs, mark)


async def test_basic_auth_per_path_declared_by_the_app(logs: LogCapture) -> None:
    app, _ = hello_app(basic_auth={"/sales": ("sales", "pw1")})
    sim = WebhookSimulator(WebhookApp(app))
    good = {"call_sid": "c1", "from": "+1"}
    assert (await sim.post("/", good)).status == 200  # "/" declares nothing: open
    mark = await _ready(sim, logs)
    refused = await sim.post("/sales", good)
    assert refused.status == 401
    assert dict(refused.headers)["www-authenticate"].startswith("Basic realm=")
    _one_short_line(logs, mark)
    wrong = await sim.post("/sales", good, headers={"Authorization": _basic("sales", "pw2")})
    assert wrong.status == 401
    ok = await sim.post("/sales", good, headers={"Authorization": _basic("sales", "pw1")})
    assert ok.status == 200
    # an action hook carries the call hook's credentials: any declared pair is accepted
    assert (await sim.post("/menu", {"call_sid": "c1"})).status == 401
    hook = await sim.post(
        "/menu", {"call_sid": "c1"}, headers={"Authorization": _basic("sales", "pw1")}
    )
    assert hook.status == 200


@pytest.mark.parametrize(
    "header",
    ["Basic \u00e9\u00e9\u00e9", "Basic " + "A" * 100_000, "Bearer x", "Basic !!!", "basic"],
)
async def test_malformed_authorization_is_401_never_a_500(logs: LogCapture, header: str) -> None:
    app, _ = hello_app(basic_auth=("u", "p"))
    sim = WebhookSimulator(WebhookApp(app))
    result = await sim.request(
        "POST", "/", body=b"{}", headers={"Authorization": header.encode().decode("latin-1")}
    )
    assert result.status == 401
    assert logs.tracebacks() == []


@pytest.mark.parametrize("spec", [("", "p"), ("a:b", "p"), ("u",), {"/x": ("u", 1)}])
def test_unusable_credentials_are_a_configuration_error(spec: object) -> None:
    with pytest.raises(ConfigurationError, match="basic_auth"):
        App(basic_auth=cast(BasicAuthSpec, spec))


async def test_status_hook_with_an_unhashable_status_is_answered(logs: LogCapture) -> None:
    app, _ = hello_app()
    sim = WebhookSimulator(WebhookApp(app))
    result = await sim.post("/call-status", {"call_sid": "c1", "call_status": [1]})
    assert result.status == 204
    assert logs.tracebacks() == []
