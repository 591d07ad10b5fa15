"""HTTP webhook apps: routing, typed payloads, signatures, OPTIONS, errors (in-process ASGI)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from pathlib import Path

import pytest

from jambonz_runtime import (
    App,
    CallContext,
    ConfigurationError,
    EnvVar,
    Session,
    WebhookApp,
    WebhookResponse,
    WebhookSession,
)
from jambonz_runtime.protocol import SessionAdultingCallback
from jambonz_runtime.testing import Simulator
from jambonz_runtime.testing.webhook import WebhookSimulator
from jambonz_runtime.webhook.signature import SIGNATURE_HEADER, sign
from jambonz_types import JambonzCallback, Verbs
from jambonz_types.callbacks import (
    BaseCallback,
    CallStatusCallback,
    DialCallback,
    GatherCallback,
    SessionNewCallback,
)
from jambonz_types.verbs import Hangup, Say

SECRET = "whsec_test"
REPO = Path(__file__).resolve().parents[3]


Seen = list[tuple[CallContext, JambonzCallback]]


def make_app() -> tuple[App[CallContext], Seen]:
    """A small transport-neutral app; ``seen`` records (context, payload) pairs."""
    app = App[CallContext](
        env_vars={"GREETING": EnvVar(type="string", description="Greeting", default="Hello")},
        error_reply=[Say(text="Sorry"), Hangup()],
    )
    seen: Seen = []

    @app.action_hook("/menu")
    async def menu(session: CallContext, result: GatherCallback) -> Verbs:
        seen.append((session, result))
        session.state["turns"] = int(str(session.state.get("turns", 0))) + 1
        return Verbs().say(text=f"you pressed {result.digits}").hangup()

    @app.action_hook("/boom")
    async def boom(session: CallContext, result: DialCallback) -> Verbs:
        raise RuntimeError("handler bug")

    @app.on_session("/")
    async def start(session: CallContext, call: SessionNewCallback) -> Verbs:
        seen.append((session, call))
        greeting = session.env["GREETING"]
        return (
            Verbs()
            .say(text=f"{greeting} {call.from_}")
            .gather(input=["digits"], num_digits=1, action_hook=menu)
        )

    @app.on("call:status")
    async def status(session: CallContext, payload: CallStatusCallback) -> None:
        seen.append((session, payload))

    return app, seen


# -- routing and typed payloads --------------------------------------------------------------


async def test_call_hook_action_hook_and_status_hook_are_typed() -> None:
    app, seen = make_app()
    webhook = WebhookApp(app, secret=SECRET)
    sim = WebhookSimulator(webhook, secret=SECRET)

    call = await sim.call("/", from_="+15551112222")
    assert call.answer.status == 200
    assert call.answer.headers["content-type"] == "application/json"
    assert call.answer.verbs == [
        {"verb": "say", "text": "Hello +15551112222"},
        {"verb": "gather", "actionHook": "/menu", "input": ["digits"], "numDigits": 1},
    ]
    session, payload = seen[0]
    assert isinstance(session, WebhookSession)
    assert isinstance(payload, SessionNewCallback)
    assert payload.call_sid == call.call_sid
    assert payload.sip_status == 100
    assert webhook.sessions[call.call_sid] is session

    result = await call.hook("/menu", GatherCallback(reason="dtmfDetected", digits="7"))
    assert result.verbs == [{"verb": "say", "text": "you pressed 7"}, {"verb": "hangup"}]
    hook_session, gathered = seen[1]
    assert hook_session is session  # the same call keeps its context (and state)
    assert isinstance(gathered, GatherCallback)
    assert gathered.reason == "dtmfDetected"
    assert gathered.from_ == "+15551112222"
    assert session.state == {"turns": 1}

    done = await call.status("completed", duration=12, call_termination_by="caller")
    assert done.status == 204
    assert done.body == b""
    status_session, status = seen[2]
    assert status_session is session
    assert isinstance(status, CallStatusCallback)
    assert status.call_status == "completed"
    assert status.duration == 12
    assert session.ended
    assert call.call_sid not in webhook.sessions


async def test_hook_for_a_call_this_process_never_saw_gets_a_fresh_context() -> None:
    app, seen = make_app()
    sim = WebhookSimulator(WebhookApp(app))
    result = await sim.post(
        "/menu",
        {"call_sid": "c-unknown", "from": "+1999", "reason": "dtmfDetected", "digits": "3"},
    )
    assert result.verb_names == ["say", "hangup"]
    session, _ = seen[0]
    assert isinstance(session, WebhookSession)
    assert session.call_sid == "c-unknown"
    assert session.call.from_ == "+1999"
    assert session.path == "/menu"


async def test_unknown_path_is_404_unless_a_verb_hook_fallback_exists(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app()
    sim = WebhookSimulator(WebhookApp(app))
    with caplog.at_level(logging.WARNING, "jambonz_runtime"):
        result = await sim.post("/nowhere", {"call_sid": "c1"})
    assert result.status == 404
    assert "POST /nowhere: no handler" in caplog.text

    fallback: list[BaseCallback] = []

    @app.on("verb:hook")
    async def anything(session: CallContext, payload: BaseCallback) -> Verbs:
        fallback.append(payload)
        return Verbs().hangup()

    sim = WebhookSimulator(WebhookApp(app))
    result = await sim.post("/nowhere", {"call_sid": "c1", "extra_key": 1})
    assert result.verb_names == ["hangup"]
    assert fallback[0].call_sid == "c1"


async def test_mounted_under_a_prefix() -> None:
    app = App[CallContext]()

    @app.action_hook("/jambonz/full")
    async def full(session: CallContext, result: GatherCallback) -> Verbs:
        return Verbs().say(text="full path")

    @app.action_hook("/relative")
    async def relative(session: CallContext, result: GatherCallback) -> Verbs:
        return Verbs().say(text="relative path")

    @app.on_session("/")
    async def start(session: CallContext, call: SessionNewCallback) -> Verbs:
        return Verbs().say(text="start")

    sim = WebhookSimulator(WebhookApp(app), root_path="/jambonz")
    call = await sim.call("/jambonz/")
    assert call.answer.verbs == [{"verb": "say", "text": "start"}]
    assert (await call.hook("/jambonz/full")).verbs[0]["text"] == "full path"
    assert (await call.hook("/jambonz/relative")).verbs[0]["text"] == "relative path"
    assert (await sim.options("/jambonz")).status == 204


async def test_adulting_goes_to_the_adulting_handler() -> None:
    app = App[CallContext]()
    got: list[SessionAdultingCallback] = []

    @app.on_adulting("/")
    async def adult(session: CallContext, payload: SessionAdultingCallback) -> Verbs:
        got.append(payload)
        return Verbs().say(text="child leg")

    sim = WebhookSimulator(WebhookApp(app))
    result = await sim.post(
        "/adulting", {"call_sid": "child", "parent_call_info": {"call_sid": "parent"}}
    )
    assert result.verbs == [{"verb": "say", "text": "child leg"}]
    assert got[0].call_sid == "child"


async def test_get_hook_reads_the_query_string() -> None:
    app = App[CallContext]()
    calls: list[SessionNewCallback] = []

    @app.on_session("/get-app")
    async def start(session: CallContext, call: SessionNewCallback) -> Verbs:
        calls.append(call)
        return Verbs().hangup()

    sim = WebhookSimulator(WebhookApp(app))
    result = await sim.get("/get-app", query="tenant=acme&call_sid=c9")
    assert result.verb_names == ["hangup"]
    assert calls[0].call_sid == "c9"
    assert calls[0].model_extra == {"tenant": "acme"}


async def test_handlers_may_return_a_webhook_response_or_verb_models() -> None:
    app = App[CallContext]()

    @app.on_session("/a")
    async def a(session: CallContext, call: SessionNewCallback) -> WebhookResponse:
        return WebhookResponse().say(text="über").hangup()

    @app.on_session("/b")
    async def b(session: CallContext, call: SessionNewCallback) -> list[Say]:
        return [Say(text="plain")]

    @app.on_session("/c")
    async def c(session: CallContext, call: SessionNewCallback) -> None:
        return None

    sim = WebhookSimulator(WebhookApp(app))
    answer = (await sim.call("/a")).answer
    assert answer.verbs == [{"verb": "say", "text": "über"}, {"verb": "hangup"}]
    assert answer.body == WebhookResponse().say(text="über").hangup().body()
    assert (await sim.call("/b")).answer.verbs == [{"verb": "say", "text": "plain"}]
    assert (await sim.call("/c")).answer.verbs == []


def test_webhook_response_body_and_headers() -> None:
    response = WebhookResponse().say(text="Hi").hangup()
    assert isinstance(response, Verbs)
    assert response.body() == b'[{"verb":"say","text":"Hi"},{"verb":"hangup"}]'
    assert response.headers() == {
        "Content-Type": "application/json",
        "Content-Length": str(len(response.body())),
    }
    assert WebhookResponse.status_code == 200


async def test_request_body_in_several_chunks() -> None:
    app, _ = make_app()
    sim = WebhookSimulator(WebhookApp(app))
    body = json.dumps({"call_sid": "c1", "from": "+1"}).encode()
    result = await sim.request("POST", "/", body=body, chunk_size=5)
    assert result.verb_names == ["say", "gather"]


async def test_same_app_served_over_websocket_and_http() -> None:
    app, _ = make_app()
    async with Simulator(app) as ws_sim:
        ws_call = await ws_sim.call(from_="+15550001111")
        ws_first = (await ws_call.expect_ack(ws_call.session_msgid)).data
        msgid = await ws_call.hook("/menu", GatherCallback(reason="dtmfDetected", digits="2"))
        ws_second = (await ws_call.expect_ack(msgid)).data
        await ws_call.hangup()
    http_call = await WebhookSimulator(WebhookApp(app)).call(from_="+15550001111")
    http_second = await http_call.hook("/menu", GatherCallback(reason="dtmfDetected", digits="2"))
    assert http_call.answer.verbs == ws_first
    assert http_second.verbs == ws_second


async def test_slow_handler_does_not_delay_another_request() -> None:
    app = App[CallContext]()
    release = asyncio.Event()

    @app.on_session("/slow")
    async def slow(session: CallContext, call: SessionNewCallback) -> Verbs:
        await release.wait()
        return Verbs().say(text="slow")

    @app.on_session("/fast")
    async def fast(session: CallContext, call: SessionNewCallback) -> Verbs:
        release.set()
        return Verbs().say(text="fast")

    sim = WebhookSimulator(WebhookApp(app))
    slow_call, fast_call = await asyncio.gather(sim.call("/slow"), sim.call("/fast"))
    assert slow_call.answer.verbs[0]["text"] == "slow"
    assert fast_call.answer.verbs[0]["text"] == "fast"


async def test_idle_sessions_are_dropped() -> None:
    app, _ = make_app()
    webhook = WebhookApp(app, session_idle_timeout=-1.0)
    call = await WebhookSimulator(webhook).call()
    assert call.answer.status == 200
    assert dict(webhook.sessions) == {}


# -- signatures and auth ---------------------------------------------------------------------


async def test_signature_valid_tampered_wrong_secret_stale_missing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, seen = make_app()
    webhook = WebhookApp(app, secret=SECRET)
    good = WebhookSimulator(webhook, secret=SECRET)
    assert (await good.call()).answer.status == 200

    body = json.dumps({"call_sid": "c1", "from": "+1"}, separators=(",", ":")).encode()
    header = sign(body, SECRET)
    tampered = body.replace(b"+1", b"+2")
    cases = {
        "tampered": (tampered, {SIGNATURE_HEADER: header}),
        "wrong secret": (body, {SIGNATURE_HEADER: sign(body, "not the secret")}),
        "stale": (body, {SIGNATURE_HEADER: sign(body, SECRET, timestamp=1_000_000_000)}),
        "missing": (body, {}),
        "malformed": (body, {SIGNATURE_HEADER: "v1=00"}),
    }
    handled = len(seen)
    with caplog.at_level(logging.WARNING, "jambonz_runtime"):
        for name, (payload, headers) in cases.items():
            result = await good.request("POST", "/", body=payload, headers=headers)
            assert result.status == 401, name
    assert len(seen) == handled  # no handler ran
    refusals = [r.getMessage() for r in caplog.records if "refused (401)" in r.getMessage()]
    assert len(refusals) == 5
    for reason in ("mismatch", "stale", "missing", "malformed"):
        assert any(reason in line for line in refusals), reason
    several = f"{header},v1={'0' * 64}"
    result = await good.request("POST", "/", body=body, headers={SIGNATURE_HEADER: several})
    assert result.status == 200


async def test_signature_tolerance_and_secret_rotation() -> None:
    app, _ = make_app()
    lenient = WebhookApp(app, secret=["old", SECRET], signature_tolerance=None)
    sim = WebhookSimulator(lenient, secret=SECRET)
    body = json.dumps({"call_sid": "c2"}).encode()
    old = {SIGNATURE_HEADER: sign(body, "old", timestamp=1_000_000_000)}
    assert (await sim.request("POST", "/", body=body, headers=old)).status == 200


async def test_get_hooks_cannot_be_verified(caplog: pytest.LogCaptureFixture) -> None:
    app, _ = make_app()
    sim = WebhookSimulator(WebhookApp(app, secret=SECRET), secret=SECRET)
    with caplog.at_level(logging.WARNING, "jambonz_runtime"):
        result = await sim.get("/", query="call_sid=c1")
    assert result.status == 401
    assert "use POST" in caplog.text


async def test_basic_auth() -> None:
    app, _ = make_app()
    webhook = WebhookApp(app, basic_auth=("jambonz", "pw"))
    assert (
        await WebhookSimulator(webhook, basic_auth=("jambonz", "pw")).call()
    ).answer.status == 200
    for creds in (("jambonz", "wrong"), None):
        answer = (await WebhookSimulator(webhook, basic_auth=creds).call()).answer
        assert answer.status == 401
        assert answer.headers["www-authenticate"].startswith("Basic")
    garbage = {"Authorization": "Basic !!!"}
    result = await WebhookSimulator(webhook).request("POST", "/", body=b"{}", headers=garbage)
    assert result.status == 401
    token = base64.b64encode(b"no-colon").decode()
    result = await WebhookSimulator(webhook).request(
        "POST", "/", body=b"{}", headers={"Authorization": f"Basic {token}"}
    )
    assert result.status == 401


# -- OPTIONS, methods, bad requests ------------------------------------------------------


async def test_options_answers_the_flat_env_schema_unsigned() -> None:
    app, _ = make_app()
    sim = WebhookSimulator(WebhookApp(app, secret=SECRET, basic_auth=("u", "p")))
    result = await sim.options("/")
    assert result.status == 200
    assert result.headers["content-type"] == "application/json"
    assert result.json() == {
        "GREETING": {"type": "string", "description": "Greeting", "default": "Hello"}
    }
    assert (await sim.options("/menu")).status == 404

    bare = App[CallContext]()

    @bare.on_session("/")
    async def start(session: CallContext, call: SessionNewCallback) -> None:
        return None

    assert (await WebhookSimulator(WebhookApp(bare)).options("/")).status == 204


async def test_other_methods_are_405() -> None:
    app, _ = make_app()
    result = await WebhookSimulator(WebhookApp(app)).request("PUT", "/", body=b"{}")
    assert result.status == 405
    assert result.headers["allow"] == "GET, POST, OPTIONS"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b"{"])
async def test_body_that_is_not_a_json_object_is_400_and_logged(
    body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    app, seen = make_app()
    with caplog.at_level(logging.ERROR, "jambonz_runtime"):
        result = await WebhookSimulator(WebhookApp(app)).request("POST", "/", body=body)
    assert result.status == 400
    assert repr(body.decode())[1:-1] in caplog.text  # the raw body is in the log line
    assert seen == []


async def test_empty_or_null_body_is_an_empty_payload() -> None:
    app, seen = make_app()
    sim = WebhookSimulator(WebhookApp(app))
    for body in (b"", b"null"):
        result = await sim.request("POST", "/", body=body)
        assert result.verb_names == ["say", "gather"]
    assert len(seen) == 2


async def test_oversize_body_is_413() -> None:
    app, _ = make_app()
    sim = WebhookSimulator(WebhookApp(app, max_body_bytes=100))
    big = json.dumps({"call_sid": "c1", "x": "y" * 200}).encode()
    assert (await sim.request("POST", "/", body=big)).status == 413
    # without a content-length the streamed size is checked
    result = await sim.request(
        "POST", "/", body=big, headers={"content-length": "10"}, chunk_size=40
    )
    assert result.status == 413


async def test_handler_error_answers_the_error_reply_and_logs_the_call_sid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app()
    sim = WebhookSimulator(WebhookApp(app))
    call = await sim.call(call_sid="c-err")
    with caplog.at_level(logging.ERROR, "jambonz_runtime"):
        result = await call.hook("/boom", {"dial_call_status": "completed"})
    assert result.verbs == [{"verb": "say", "text": "Sorry"}, {"verb": "hangup"}]
    assert "[c-err]" in caplog.text
    assert "handler bug" in caplog.text
    # the app carries on
    assert (await call.hook("/menu", {"digits": "1"})).verb_names == ["say", "hangup"]


async def test_payload_that_does_not_fit_the_model_answers_the_error_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, seen = make_app()
    call = await WebhookSimulator(WebhookApp(app)).call(call_sid="c-bad")
    with caplog.at_level(logging.ERROR, "jambonz_runtime"):
        result = await call.hook("/menu", {"reason": "dtmfDetected", "digits": 7})
    assert result.verbs == [{"verb": "say", "text": "Sorry"}, {"verb": "hangup"}]
    assert "does not fit GatherCallback" in caplog.text
    assert len(seen) == 1  # only the call hook ran


async def test_call_info_field_of_the_wrong_type_is_dropped_not_fatal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, seen = make_app()
    with caplog.at_level(logging.ERROR, "jambonz_runtime"):
        call = await WebhookSimulator(WebhookApp(app)).call(sip_status="100")
    assert call.answer.verb_names == ["say", "gather"]
    _, payload = seen[0]
    assert isinstance(payload, SessionNewCallback)
    assert payload.sip_status is None
    assert payload.call_sid == call.call_sid
    assert "['sip_status']" in caplog.text


async def test_status_hook_errors_are_reported_not_raised() -> None:
    app = App[CallContext]()

    @app.on("call:status")
    async def status(session: CallContext, payload: CallStatusCallback) -> None:
        raise RuntimeError("status bug")

    sim = WebhookSimulator(WebhookApp(app))
    assert (
        await sim.post("/call-status", {"call_sid": "c1", "call_status": "ringing"})
    ).status == 500
    bad = await sim.post("/call-status", {"call_sid": "c1", "call_status": "nonsense"})
    assert bad.status == 400
    no_handler = WebhookSimulator(WebhookApp(App[CallContext]()))
    assert (await no_handler.post("/call-status", {"call_sid": "c1"})).status == 204


# -- ASGI protocol ---------------------------------------------------------------------------


async def test_lifespan_and_websocket_scopes() -> None:
    webhook = WebhookApp(App[CallContext]())
    incoming: list[dict[str, object]] = [
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    sent: list[object] = []

    async def receive() -> dict[str, object]:
        return incoming.pop(0)

    async def send(message: object) -> None:
        sent.append(message)

    await webhook({"type": "lifespan"}, receive, send)
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]

    sent.clear()
    incoming.append({"type": "websocket.connect"})
    await webhook({"type": "websocket", "path": "/"}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_client_disconnect_before_the_body_is_read() -> None:
    webhook = WebhookApp(App[CallContext]())
    sent: list[object] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: object) -> None:
        sent.append(message)

    await webhook({"type": "http", "method": "POST", "path": "/"}, receive, send)
    assert sent == []


# -- configuration ---------------------------------------------------------------------------


def test_handler_taking_a_websocket_session_is_refused() -> None:
    app = App()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> None:
        return None

    with pytest.raises(ConfigurationError, match="RestClient"):
        WebhookApp(app)  # type: ignore[arg-type]  # mypy refuses it too


def test_path_that_is_both_call_hook_and_action_hook_is_refused() -> None:
    app = App[CallContext]()

    @app.on_session("/x")
    async def start(session: CallContext, call: SessionNewCallback) -> None:
        return None

    @app.action_hook("/x")
    async def hook(session: CallContext, result: GatherCallback) -> None:
        return None

    with pytest.raises(ConfigurationError, match="both an on_session and an action_hook"):
        WebhookApp(app)


def test_status_path_conflict_and_empty_secret_are_refused() -> None:
    app, _ = make_app()
    with pytest.raises(ConfigurationError, match="status_path"):
        WebhookApp(app, status_path="/menu")
    for secret in ("", [], ["a", ""]):
        with pytest.raises(ConfigurationError, match="secret"):
            WebhookApp(app, secret=secret)
    assert WebhookApp(app, status_path=None).status_path is None


def test_readme_http_and_rest_examples_type_check_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mypy.api

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    files: list[str] = []
    for title in ("## HTTP webhooks", "## REST client"):
        section = readme.split(title, 1)[1]
        match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
        assert match is not None, f"README.md: no python block under {title!r}"
        source = tmp_path / f"readme_{len(files)}.py"
        source.write_text(match.group(1), encoding="utf-8")
        files.append(str(source))
    monkeypatch.chdir(REPO)  # mypy_path in pyproject is relative to the working directory
    stdout, stderr, status = mypy.api.run(
        [
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            *files,
        ]
    )
    assert status == 0, stdout + stderr


async def test_hook_paths_match_as_registered() -> None:
    app = App[CallContext]()
    for path in ("/slash/", "/query?lang=en"):

        @app.action_hook(path)
        async def hook(session: CallContext, result: GatherCallback, path: str = path) -> Verbs:
            return Verbs().say(text=path)

    sim = WebhookSimulator(WebhookApp(app))
    body = b'{"call_sid":"c1"}'
    assert (await sim.request("POST", "/slash", body=body)).verbs[0]["text"] == "/slash/"
    result = await sim.request("POST", "/query", body=body, query="lang=en")
    assert result.verbs[0]["text"] == "/query?lang=en"
    assert (await sim.request("POST", "/query", body=body, query="lang=fr")).status == 404


def test_linear_flows_are_refused_over_http() -> None:
    from jambonz_runtime import CallFlow

    app = App[CallContext]()

    @app.flow("/flow")
    async def flow(call: CallFlow) -> None:
        return None

    with pytest.raises(ConfigurationError, match="need the websocket"):
        WebhookApp(app)
