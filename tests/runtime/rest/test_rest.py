"""The REST client against a fake jambonz API on 127.0.0.1: requests recorded, errors mapped."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import pytest
from pydantic import JsonValue, ValidationError
from typing_extensions import assert_type

from jambonz_runtime import JambonzError, MissingExtra, RestClient
from jambonz_runtime.rest import (
    CallInfo,
    CallUpdate,
    CreateCallRequest,
    CreatedCall,
    CreatedMessage,
    CreateMessageRequest,
    RestAuthError,
    RestBadRequest,
    RestClientError,
    RestConnectionError,
    RestError,
    RestNotFound,
    RestResponseError,
    RestServerError,
    RestStatusError,
    RestUnprocessable,
    SipRequestResult,
    Webhook,
)
from jambonz_types.components import Target
from jambonz_types.verbs import Dub, Play, Say

from .fake_api import FakeApi

ACCOUNT = "acc-0001"
KEY = "api-key-secret"
BASE = f"/v1/Accounts/{ACCOUNT}"
SID = "5f1e0b3c-call"


def client_for(api: FakeApi, *, suffix: str = "") -> RestClient:
    return RestClient(base_url=api.url + suffix, account_sid=ACCOUNT, api_key=KEY)


def outbound() -> CreateCallRequest:
    return CreateCallRequest(
        from_="+15085550100",
        to=Target(type="phone", number="+15085550111"),
        call_hook="https://app.example.com/outbound",
        call_status_hook=Webhook(url="https://app.example.com/status", method="POST"),
        timeout=30,
        tag={"campaign": "spring"},
        answer_on_bridge=False,
    )


async def test_create_call_sends_the_wire_body_with_bearer_auth() -> None:
    async with FakeApi() as api, client_for(api) as client:
        api.respond("POST", f"{BASE}/Calls", 201, json_body={"sid": SID, "callId": "x@h"})
        created = await client.calls.create(outbound())
        assert_type(created, CreatedCall)
        assert created.sid == SID
        assert created.call_id == "x@h"
        [request] = api.requests
        assert request.method == "POST"
        assert request.path == f"{BASE}/Calls"
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["accept"] == "application/json"
        assert request.json() == {
            "from": "+15085550100",
            "to": {"type": "phone", "number": "+15085550111"},
            "call_hook": "https://app.example.com/outbound",
            "call_status_hook": {"url": "https://app.example.com/status", "method": "POST"},
            "timeout": 30,
            "tag": {"campaign": "spring"},
            "answerOnBridge": False,
        }
        assert api.unused() == []


async def test_base_url_with_or_without_v1_and_extra_body() -> None:
    async with FakeApi() as api:
        for suffix in ("", "/", "/v1", "/v1/"):
            api.respond("POST", f"{BASE}/Calls", 201, json_body={"sid": SID})
            async with client_for(api, suffix=suffix) as client:
                await client.calls.create(outbound(), extra_body={"dual_streams": True})
        assert {r.path for r in api.requests} == {f"{BASE}/Calls"}
        body = api.requests[-1].json()
        assert isinstance(body, dict)
        assert body["dual_streams"] is True


async def test_list_and_get_calls_are_typed() -> None:
    call: dict[str, JsonValue] = {
        "call_sid": SID,
        "account_sid": ACCOUNT,
        "call_id": "x@h",
        "direction": "outbound",
        "from": "+15085550100",
        "to": "+15085550111",
        "call_status": "in-progress",
        "sip_status": 200,
        "service_url": "http://10.0.0.5:3000",
        "new_server_field": [1, 2],
    }
    async with FakeApi() as api, client_for(api) as client:
        api.respond("GET", f"{BASE}/Calls", json_body=[call])
        api.respond("GET", f"{BASE}/Calls", json_body=[])
        api.respond("GET", f"{BASE}/Calls/{SID}", json_body=call)
        calls = await client.calls.list(
            direction="outbound", from_="+15085550100", call_status="in-progress"
        )
        assert_type(calls, list[CallInfo])
        assert calls[0].call_status == "in-progress"
        assert calls[0].from_ == "+15085550100"
        assert calls[0].service_url == "http://10.0.0.5:3000"
        assert calls[0].model_extra == {"new_server_field": [1, 2]}
        assert await client.calls.list() == []
        one = await client.calls.get(SID)
        assert_type(one, CallInfo)
        assert one.sip_status == 200
        assert api.requests[0].query == {
            "direction": ["outbound"],
            "from": ["+15085550100"],
            "callStatus": ["in-progress"],
        }
        assert api.requests[1].query == {}


Action = Callable[[RestClient], Awaitable[object]]

CONTROL: list[tuple[str, Action, dict[str, JsonValue]]] = [
    ("hangup", lambda c: c.calls.hangup(SID), {"call_status": "completed"}),
    ("cancel", lambda c: c.calls.cancel(SID), {"call_status": "no-answer"}),
    (
        "redirect",
        lambda c: c.calls.redirect(SID, "https://app/next", child_call_hook="wss://app/child"),
        {"call_hook": "https://app/next", "child_call_hook": "wss://app/child"},
    ),
    (
        "redirect with status hook",
        lambda c: c.calls.redirect(
            SID, Webhook(url="https://app/next", method="GET"), call_status_hook="https://app/s"
        ),
        {
            "call_hook": {"url": "https://app/next", "method": "GET"},
            "call_status_hook": "https://app/s",
        },
    ),
    (
        "whisper",
        lambda c: c.calls.whisper(SID, [Say(text="psst"), Play(url="https://a/b.wav")]),
        {"whisper": [{"verb": "say", "text": "psst"}, {"verb": "play", "url": "https://a/b.wav"}]},
    ),
    (
        "whisper one",
        lambda c: c.calls.whisper(SID, Say(text="psst")),
        {"whisper": [{"verb": "say", "text": "psst"}]},
    ),
    ("mute", lambda c: c.calls.mute(SID), {"mute_status": "mute"}),
    ("unmute", lambda c: c.calls.unmute(SID), {"mute_status": "unmute"}),
    ("listen", lambda c: c.calls.listen_status(SID, "pause"), {"listen_status": "pause"}),
    (
        "transcribe",
        lambda c: c.calls.transcribe_status(SID, "resume"),
        {"transcribe_status": "resume"},
    ),
    ("tag", lambda c: c.calls.tag(SID, {"vip": True}), {"tag": {"vip": True}}),
    ("dtmf", lambda c: c.calls.send_dtmf(SID, "5"), {"dtmf": {"digit": "5"}}),
    (
        "dtmf duration",
        lambda c: c.calls.send_dtmf(SID, "#", duration=400),
        {"dtmf": {"digit": "#", "duration": 400}},
    ),
    (
        "record siprec",
        lambda c: c.calls.record(
            SID, "startCallRecording", siprec_server_url="sip:rec@x", recording_id="r1"
        ),
        {
            "record": {
                "action": "startCallRecording",
                "siprecServerURL": "sip:rec@x",
                "recordingID": "r1",
            }
        },
    ),
    (
        "record cloud",
        lambda c: c.calls.record(SID, "stopCallRecording", type="cloud"),
        {"record": {"action": "stopCallRecording", "type": "cloud"}},
    ),
    (
        "conference mute",
        lambda c: c.calls.conference_mute(SID, "mute"),
        {"conf_mute_status": "mute"},
    ),
    (
        "conference hold",
        lambda c: c.calls.conference_hold(SID, "hold", wait_hook="https://app/hold"),
        {"conf_hold_status": "hold", "wait_hook": "https://app/hold"},
    ),
    (
        "participant",
        lambda c: c.calls.conference_participant_action(SID, "coach", tag="team-a"),
        {"conferenceParticipantAction": {"action": "coach", "tag": "team-a"}},
    ),
    (
        "dub",
        lambda c: c.calls.dub(SID, Dub(action="addTrack", track="music")),
        {"dub": {"verb": "dub", "action": "addTrack", "track": "music"}},
    ),
    ("boost", lambda c: c.calls.boost_audio_signal(SID, "+6 dB"), {"boostAudioSignal": "+6 dB"}),
    ("media", lambda c: c.calls.media_path(SID, "no-media"), {"media_path": "no-media"}),
]


@pytest.mark.parametrize(("name", "action", "body"), CONTROL, ids=[c[0] for c in CONTROL])
async def test_live_call_control_bodies(name: str, action: Action, body: JsonValue) -> None:
    async with FakeApi() as api, client_for(api) as client:
        api.respond("PUT", f"{BASE}/Calls/{SID}", 202)
        assert await action(client) is None
        [request] = api.requests
        assert request.method == "PUT"
        assert request.path == f"{BASE}/Calls/{SID}"
        assert request.json() == body


async def test_sip_request_returns_the_far_end_answer() -> None:
    async with FakeApi() as api, client_for(api) as client:
        api.respond("PUT", f"{BASE}/Calls/{SID}", 200, json_body={"status": 200, "reason": "OK"})
        result = await client.calls.sip_request(
            SID, method="INFO", content_type="application/json", content="{}", headers={"X-A": "1"}
        )
        assert_type(result, SipRequestResult | None)
        assert result == SipRequestResult(status=200, reason="OK")
        assert api.requests[0].json() == {
            "sip_request": {
                "method": "INFO",
                "content_type": "application/json",
                "content": "{}",
                "headers": {"X-A": "1"},
            }
        }


async def test_update_and_delete() -> None:
    async with FakeApi() as api, client_for(api) as client:
        api.respond("PUT", f"{BASE}/Calls/{SID}", 202)
        api.respond("DELETE", f"{BASE}/Calls/{SID}", 204)
        update = CallUpdate(mute_status="mute", whisper=[Say(text="muted")])
        assert await client.calls.update(SID, update, extra_body={"x": 1}) is None
        await client.calls.delete(SID)
        assert api.requests[0].json() == {
            "mute_status": "mute",
            "whisper": [{"verb": "say", "text": "muted"}],
            "x": 1,
        }
        assert api.requests[1].method == "DELETE"


async def test_send_message() -> None:
    async with FakeApi() as api, client_for(api) as client:
        api.respond(
            "POST", f"{BASE}/Messages", 200, json_body={"sid": "m1", "carrierResponse": "queued"}
        )
        sent = await client.messages.create(
            CreateMessageRequest(from_="+15085550100", to="+15085550111", text="hi", carrier="acme")
        )
        assert_type(sent, CreatedMessage)
        assert sent.sid == "m1"
        assert sent.carrier_response == "queued"
        assert api.requests[0].json() == {
            "from": "+15085550100",
            "to": "+15085550111",
            "text": "hi",
            "carrier": "acme",
        }


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (400, {"msg": "missing from parameter"}, RestBadRequest, "missing from parameter"),
        (
            400,
            {"errors": [{"msg": "Invalid to"}, {"msg": "Invalid from"}]},
            RestBadRequest,
            "Invalid to; Invalid from",
        ),
        (401, "Unauthorized", RestAuthError, "Unauthorized"),
        (403, {"message": "forbidden for account"}, RestAuthError, "forbidden for account"),
        (404, "Not Found", RestNotFound, "Not Found"),
        (
            422,
            {"msg": "call session is gone for call_sid x"},
            RestUnprocessable,
            "call session is gone for call_sid x",
        ),
        (
            480,
            {"msg": "no available feature servers at this time"},
            RestClientError,  # a RestStatusError: any other 4xx
            "no available feature servers at this time",
        ),
        (500, {"msg": "Database error"}, RestServerError, "Database error"),
        (503, "", RestServerError, "Scripted"),
    ],
)
async def test_error_statuses_carry_status_and_server_message(
    status: int, body: JsonValue, error: type[RestStatusError], message: str
) -> None:
    async with FakeApi() as api, client_for(api) as client:
        if isinstance(body, str):
            api.respond("PUT", f"{BASE}/Calls/{SID}", status, text=body)
        else:
            api.respond("PUT", f"{BASE}/Calls/{SID}", status, json_body=body)
        with pytest.raises(error) as info:
            await client.calls.hangup(SID)
        assert type(info.value) is error
        assert isinstance(info.value, RestError)
        assert isinstance(info.value, JambonzError)
        assert info.value.status == status
        assert info.value.message == message
        assert info.value.method == "PUT"
        assert info.value.url.endswith(f"{BASE}/Calls/{SID}")
        assert str(status) in str(info.value)
        assert KEY not in str(info.value)


async def test_unexpected_success_body_is_a_response_error() -> None:
    async with FakeApi() as api, client_for(api) as client:
        api.respond("POST", f"{BASE}/Calls", 201, text="<html>proxy page</html>")
        api.respond("GET", f"{BASE}/Calls", json_body={"not": "a list"})
        with pytest.raises(RestResponseError, match="CreatedCall") as info:
            await client.calls.create(outbound())
        assert info.value.status == 201
        assert "proxy page" in info.value.body
        with pytest.raises(RestResponseError, match="list of calls"):
            await client.calls.list()


async def test_connection_refused_is_a_connection_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with RestClient(
        base_url=f"http://127.0.0.1:{port}", account_sid=ACCOUNT, api_key=KEY
    ) as client:
        with pytest.raises(RestConnectionError) as info:
            await client.calls.get(SID)
    assert info.value.method == "GET"
    assert f"127.0.0.1:{port}" in info.value.url


def test_request_models_check_the_api_rules() -> None:
    target = Target(type="phone", number="+1")
    with pytest.raises(ValidationError, match="application_sid or call_hook"):
        CreateCallRequest(from_="+1", to=target)
    with pytest.raises(ValidationError, match="absolute"):
        CreateCallRequest(from_="+1", to=target, call_hook="/relative")
    with pytest.raises(ValidationError, match="absolute"):
        Webhook(url="app.example.com/hook")
    with pytest.raises(ValidationError, match="extra_forbidden"):
        CreateCallRequest.model_validate(
            {
                "from": "+1",
                "to": {"type": "phone", "number": "+2"},
                "application_sid": "a",
                "tmeout": 3,
            }
        )
    assert CreateCallRequest(from_="+1", to=target, application_sid="app").to_wire() == {
        "from": "+1",
        "to": {"type": "phone", "number": "+1"},
        "application_sid": "app",
    }
    with pytest.raises(ValidationError, match="no action"):
        CallUpdate()
    with pytest.raises(ValidationError, match="one action per request"):
        CallUpdate(mute_status="mute", call_status="completed")
    with pytest.raises(ValidationError, match="together with call_hook"):
        CallUpdate(call_status_hook="https://a/s", mute_status="mute")
    with pytest.raises(ValidationError, match="wait_hook goes with"):
        CallUpdate(wait_hook="https://a/w", mute_status="mute")
    with pytest.raises(ValidationError, match="absolute"):
        CallUpdate(child_call_hook="/child")
    with pytest.raises(ValidationError, match="at least one"):
        CallUpdate(whisper=[])
    with pytest.raises(ValidationError, match="requires tag"):
        CallUpdate.model_validate({"conferenceParticipantAction": {"action": "tag"}})
    with pytest.raises(ValidationError, match="siprec_server_url"):
        CallUpdate.model_validate({"record": {"action": "startCallRecording"}})
    with pytest.raises(ValidationError, match="text or media"):
        CreateMessageRequest(from_="+1", to="+2")
    assert CallUpdate(call_hook="https://a/1", child_call_hook="https://a/2").to_wire() == {
        "call_hook": "https://a/1",
        "child_call_hook": "https://a/2",
    }
    assert CallUpdate(whisper=[Say(text="x")]).to_wire() == {
        "whisper": [{"verb": "say", "text": "x"}]
    }


def test_client_configuration_errors_and_repr() -> None:
    with pytest.raises(JambonzError, match="http"):
        RestClient(base_url="api.jambonz.cloud", account_sid=ACCOUNT, api_key=KEY)
    with pytest.raises(JambonzError, match="must not be empty"):
        RestClient(base_url="https://x", account_sid="", api_key=KEY)
    client = RestClient(base_url="https://api.example.com", account_sid=ACCOUNT, api_key=KEY)
    assert KEY not in repr(client)
    assert client.base_url == "https://api.example.com/v1"
    asyncio.run(client.aclose())


async def test_empty_call_sid_is_refused_before_sending() -> None:
    async with FakeApi() as api, client_for(api) as client:
        with pytest.raises(JambonzError, match="call_sid"):
            await client.calls.hangup("")
        assert api.requests == []


def test_missing_httpx_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(MissingExtra, match=r"jambonz-typed\[rest\]") as info:
        RestClient(base_url="https://x", account_sid=ACCOUNT, api_key=KEY)
    assert isinstance(info.value, ImportError)
    # the models need no extra
    assert CallUpdate(mute_status="mute").to_wire() == {"mute_status": "mute"}


async def test_own_http_client_is_used_and_left_open() -> None:
    import httpx

    async with FakeApi() as api, httpx.AsyncClient(headers={"X-Trace": "t1"}) as http:
        api.respond("DELETE", f"{BASE}/Calls/{SID}", 204)
        client = RestClient(base_url=api.url, account_sid=ACCOUNT, api_key=KEY, http_client=http)
        async with client:
            await client.calls.delete(SID)
        assert not http.is_closed
        assert api.requests[0].headers["x-trace"] == "t1"
        assert api.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_http_side_imports_stay_light() -> None:
    """The webhook app loads no websockets, the REST models no httpx (until a client)."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    code = (
        "import sys\n"
        "from jambonz_runtime.webhook import WebhookApp\n"
        "from jambonz_runtime.rest import CallUpdate, RestClient\n"
        "print('websockets' in sys.modules, 'httpx' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONPATH": str(root / "src"), "PATH": ""},
    ).stdout.strip()
    assert out == "False False"
