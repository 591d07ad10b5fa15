"""The generated REST clients' transport behaviour against a local fake API (tests/runtime/rest/fake_api.py).

Retries with backoff (429 with ``Retry-After``, 503), never retrying a POST unless asked,
timeouts, malformed bodies, the error classes and their server body, settings from the
environment, and pagination. The waits between retries are recorded, not slept: the
transport's ``sleep`` is replaced, so the tests assert the computed delays exactly.
The sync client runs in a worker thread while the fake serves on the test's loop.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import JsonValue

from jambonz_runtime.exceptions import (
    ConfigurationError,
    RestBadRequest,
    RestClientError,
    RestConnectionError,
    RestNotFound,
    RestRateLimited,
    RestResponseError,
    RestServerError,
    RestStatusError,
)
from jambonz_runtime.rest import AsyncJambonzClient, JambonzClient, RetryPolicy
from jambonz_runtime.rest._transport import parse_retry_after
from jambonz_types.api import Application, CreateApplicationRequest, UpdateCallRequest, Webhook
from jambonz_types.verbs import Say

from .fake_api import FakeApi

SID = "0f0e5f57-52b1-4f6e-9a1b-000000000001"
APP: dict[str, JsonValue] = {"application_sid": SID, "name": "ivr", "account_sid": SID}


def _async_client(
    api: FakeApi, waits: list[float], retry: RetryPolicy | None = None
) -> AsyncJambonzClient:
    client = AsyncJambonzClient(
        base_url=api.url, account_sid=SID, api_key="key", env={}, timeout=5.0, retry=retry
    )

    async def record(seconds: float) -> None:
        waits.append(seconds)

    client._transport.sleep = record  # type: ignore[method-assign]
    return client


def _sync_client(
    api: FakeApi, waits: list[float], retry: RetryPolicy | None = None
) -> JambonzClient:
    client = JambonzClient(
        base_url=api.url, account_sid=SID, api_key="key", env={}, timeout=5.0, retry=retry
    )
    client._transport.sleep = waits.append  # type: ignore[method-assign, assignment]
    return client


async def test_429_retry_after_is_honoured_then_success() -> None:
    async with FakeApi() as api:
        api.respond(
            "GET", "/v1/Applications", 429, json_body={"msg": "slow"}, headers={"Retry-After": "2"}
        )
        api.respond("GET", "/v1/Applications", 503, json_body={"msg": "busy"})
        api.respond("GET", "/v1/Applications", json_body=[APP])
        waits: list[float] = []
        async with _async_client(api, waits, retry=RetryPolicy(backoff=0.25)) as client:
            apps = await client.applications.list()
        assert [a.name for a in apps] == ["ivr"]
        assert isinstance(apps[0], Application)
        assert waits == [2.0, 0.5]  # Retry-After, then backoff * 2**1
        assert len(api.requests) == 3
        assert api.requests[0].headers["authorization"] == "Bearer key"


async def test_sync_client_retries_the_same_way() -> None:
    async with FakeApi() as api:
        api.respond("GET", f"/v1/Applications/{SID}", 502, text="bad gateway")
        api.respond("GET", f"/v1/Applications/{SID}", json_body=APP)
        waits: list[float] = []
        client = _sync_client(api, waits)
        try:
            app = await asyncio.to_thread(client.applications.get, application_sid=SID)
        finally:
            client.close()
        assert app.application_sid == SID
        assert waits == [0.5]


async def test_retries_are_bounded_and_end_in_the_typed_error() -> None:
    async with FakeApi() as api:
        for _ in range(3):
            api.respond(
                "GET",
                "/v1/Applications",
                429,
                json_body={"msg": "quota"},
                headers={"Retry-After": "100"},
            )
        waits: list[float] = []
        retry = RetryPolicy(max_retries=2, max_wait=7.0)
        async with _async_client(api, waits, retry=retry) as client:
            with pytest.raises(RestRateLimited) as info:
                await client.applications.list()
        assert waits == [7.0, 7.0]  # Retry-After capped by max_wait
        assert info.value.status == 429
        assert info.value.message == "quota"
        assert info.value.retry_after == 100.0
        assert isinstance(info.value, RestClientError)
        assert len(api.requests) == 3


async def test_post_is_not_retried_unless_asked() -> None:
    body = CreateApplicationRequest(
        name="x",
        account_sid=SID,
        call_hook=Webhook(url="https://a/"),
        call_status_hook=Webhook(url="https://a/s"),
    )
    async with FakeApi() as api:
        api.respond("POST", "/v1/Applications", 503, json_body={"msg": "try later"})
        waits: list[float] = []
        async with _async_client(api, waits) as client:
            with pytest.raises(RestServerError) as info:
                await client.applications.create(body=body)
        assert waits == []
        assert len(api.requests) == 1
        assert info.value.body == '{"msg": "try later"}'
    async with FakeApi() as api:
        api.respond("POST", "/v1/Applications", 503, json_body={"msg": "try later"})
        api.respond("POST", "/v1/Applications", 201, json_body={"sid": SID})
        waits = []
        retry = RetryPolicy(retry_non_idempotent=True)
        async with _async_client(api, waits, retry=retry) as client:
            added = await client.applications.create(body=body)
        assert added.sid == SID
        assert waits == [0.5]
        sent = api.requests[0].json()
        assert sent == {
            "name": "x",
            "account_sid": SID,
            "call_hook": {"url": "https://a/"},
            "call_status_hook": {"url": "https://a/s"},
        }


async def test_slow_answer_times_out() -> None:
    release = asyncio.Event()
    async with FakeApi() as api:
        api.respond("GET", "/v1/Applications", json_body=[], hold=release)
        client = AsyncJambonzClient(base_url=api.url, api_key="k", env={}, timeout=0.2)
        try:
            with pytest.raises(RestConnectionError, match="timed out"):
                await client.applications.list()
        finally:
            release.set()
            await client.aclose()


async def test_malformed_json_is_a_response_error_with_the_body() -> None:
    async with FakeApi() as api:
        api.respond("GET", "/v1/Applications", text="{not json", content_type="application/json")
        api.respond("GET", f"/v1/Applications/{SID}", json_body={"name": 3})
        async with _async_client(api, []) as client:
            with pytest.raises(RestResponseError) as info:
                await client.applications.list()
            assert info.value.body == "{not json"
            assert info.value.status == 200
            with pytest.raises(RestResponseError, match="not a Application"):
                await client.applications.get(application_sid=SID)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, RestBadRequest), (404, RestNotFound), (409, RestClientError), (500, RestServerError)],
)
async def test_error_classes_carry_the_server_body(
    status: int, kind: type[RestStatusError]
) -> None:
    async with FakeApi() as api:
        api.respond("DELETE", f"/v1/Applications/{SID}", status, json_body={"msg": "nope"})
        async with _async_client(api, []) as client:
            with pytest.raises(kind) as info:
                await client.applications.delete(application_sid=SID)
    assert type(info.value) is kind
    assert (info.value.status, info.value.message) == (status, "nope")
    assert json.loads(info.value.body) == {"msg": "nope"}


async def test_settings_from_the_environment_and_account_default() -> None:
    async with FakeApi() as api:
        api.respond("GET", f"/v1/Accounts/{SID}/Calls", json_body=[])
        api.respond("GET", "/v1/Accounts/other/Calls", json_body=[])
        env = {"JAMBONZ_API_URL": api.url, "JAMBONZ_ACCOUNT_SID": SID, "JAMBONZ_API_KEY": "ek"}
        async with AsyncJambonzClient(env=env) as client:
            assert await client.calls.list() == []
            assert await client.calls.list(account_sid="other") == []
            assert "ek" not in repr(client)
        assert api.requests[0].headers["authorization"] == "Bearer ek"
        assert api.requests[1].path == "/v1/Accounts/other/Calls"
    with pytest.raises(ConfigurationError, match="JAMBONZ_API_URL and JAMBONZ_API_KEY"):
        JambonzClient(env={})
    sync_client = JambonzClient(base_url="http://127.0.0.1:9", api_key="k", env={})
    with pytest.raises(ConfigurationError, match="account sid"):
        sync_client.calls.list()
    sync_client.close()


async def test_query_encoding_and_live_call_control_body() -> None:
    async with FakeApi() as api:
        api.respond("GET", f"/v1/Accounts/{SID}/RecentCalls", json_body={"total": 0, "data": []})
        api.respond("POST", f"/v1/Accounts/{SID}/Calls/c1", 202)
        api.respond(
            "POST", f"/v1/Accounts/{SID}/Calls/c1", 200, json_body={"status": 200, "reason": "OK"}
        )
        async with _async_client(api, []) as client:
            await client.recent_calls.list(page=1, count=5, answered=True, direction="inbound")
            assert (
                await client.calls.update(
                    call_sid="c1",
                    body=UpdateCallRequest(tool_call_id="t", llm_tool_output={"ok": True}),
                )
                is None
            )
            sip = await client.calls.update(
                call_sid="c1",
                body=UpdateCallRequest.model_validate({"sip_request": {"method": "INFO"}}),
            )
        assert api.requests[0].query == {
            "page": ["1"],
            "count": ["5"],
            "answered": ["true"],
            "direction": ["inbound"],
        }
        body: JsonValue = api.requests[1].json()
        assert body == {"tool_call_id": "t", "llm_tool_output": {"ok": True}}
        assert sip is not None
        assert (sip.status, sip.reason) == (200, "OK")


async def test_pagination_helper_walks_every_page() -> None:
    def page(n: int, items: int) -> JsonValue:
        data: list[JsonValue] = [
            {"alert_type": "no-tts", "account_sid": SID, "message": f"{n}.{i}", "time": "t"}
            for i in range(items)
        ]
        return {"total": 5, "page": n, "data": data}

    async with FakeApi() as api:
        path = f"/v1/Accounts/{SID}/Alerts"
        api.respond("GET", path, json_body=page(1, 2))
        api.respond("GET", path, json_body=page(2, 2))
        api.respond("GET", path, json_body=page(3, 1))
        async with _async_client(api, []) as client:
            seen = [a.message async for a in client.alerts.iter_list(count=2)]
        assert seen == ["1.0", "1.1", "2.0", "2.1", "3.0"]
        assert [r.query["page"] for r in api.requests] == [["1"], ["2"], ["3"]]
        assert api.unused() == []


async def test_an_empty_sid_is_refused_before_sending() -> None:
    async with FakeApi() as api, _async_client(api, []) as client:
        with pytest.raises(ConfigurationError, match="ApplicationSid must not be empty"):
            await client.applications.delete(application_sid="")
        assert api.requests == []


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a past date: no wait
    assert RetryPolicy(backoff=1.0, max_wait=3.0).wait(5, None) == 3.0


def test_live_call_control_takes_one_action() -> None:
    assert UpdateCallRequest(mute_status="mute", whisper=Say(text="hi")).to_dict() == {
        "mute_status": "mute",
        "whisper": {"verb": "say", "text": "hi"},
    }
    UpdateCallRequest(call_hook="https://a/", child_call_hook="https://a/child")
    with pytest.raises(ValueError, match="one action per update, got mute_status, dtmf"):
        UpdateCallRequest.model_validate({"mute_status": "mute", "dtmf": {"digit": "1"}})
    with pytest.raises(ValueError, match="only together with call_hook"):
        UpdateCallRequest(call_status_hook="https://a/status")
    with pytest.raises(ValueError, match="no action"):
        UpdateCallRequest()


def test_int_bools_accept_0_and_1_only() -> None:
    from jambonz_types.api import VoipCarrier

    carrier = VoipCarrier.model_validate(
        {"voip_carrier_sid": SID, "name": "c", "is_active": 1, "requires_register": 0}
    )
    assert carrier.is_active is True
    assert carrier.requires_register is False
    with pytest.raises(ValueError, match="is_active"):
        VoipCarrier.model_validate({"voip_carrier_sid": SID, "name": "c", "is_active": 2})
