"""The server and dispatcher through the simulator, over real loopback sockets.

Test names carry the protocol.md §9 checklist number they cover.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from jambonz_runtime import App, LlmToolCallCallback, SessionAdultingCallback
from jambonz_runtime.server import OPTIONS_SUPPORTED, JambonzServer
from jambonz_runtime.session import Session
from jambonz_runtime.testing import Simulator
from jambonz_types import Verbs
from jambonz_types.callbacks import (
    CallStatusCallback,
    GatherCallback,
    SessionNewCallback,
    SessionRedirectCallback,
)
from jambonz_types.verbs import Hangup, Say


class LogEvent(logging.Handler):
    """Sets an asyncio event when a record containing ``needle`` is logged."""

    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle = needle
        self.seen = asyncio.Event()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.records.append(record)
            self.seen.set()


@pytest.fixture(autouse=True, params=["direct", "asyncio"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on both transports (JambonzServer's default is patched)."""
    defaults = JambonzServer.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "transport", request.param)
    return str(request.param)


def basic_app(**options: object) -> App:
    app: App = App(**options)  # type: ignore[call-overload]

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> list[Say]:
        session.state["from"] = call.from_
        return [Say(text="hi")]

    return app


async def test_01_04_subprotocol_selected_and_session_new_acked_with_verbs() -> None:
    async with Simulator(basic_app()) as sim:
        call = await sim.call(from_="+15550001")
        assert call.ws.subprotocol == "ws.jambonz.org"
        ack = await call.expect_ack(call.session_msgid)
        assert ack.data == [{"verb": "say", "text": "hi"}]
        assert [type(v).__name__ for v in ack.verbs] == ["Say"]


async def test_01_client_without_subprotocol_is_rejected() -> None:
    async with Simulator(basic_app()) as sim:
        with pytest.raises(InvalidStatus) as info:
            await sim.connect("/", subprotocols=[])
        assert info.value.response.status_code == 400


async def test_02_basic_auth() -> None:
    async with Simulator(basic_app(), basic_auth=("jam", "s3cret")) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        for creds in [("jam", "wrong"), ("", "")]:
            with pytest.raises(InvalidStatus) as info:
                await sim.connect("/", basic_auth=creds)
            assert info.value.response.status_code == 401
        with pytest.raises(InvalidStatus) as info:
            await connect(sim.url + "/", subprotocols=["ws.jambonz.org"])  # type: ignore[list-item]
        assert info.value.response.status_code == 401
        assert "Basic" in info.value.response.headers["WWW-Authenticate"]


async def test_03_query_string_kept_routing_by_path_unknown_path_404() -> None:
    async with Simulator(basic_app()) as sim:
        call = await sim.call("/?tenant=7")
        await call.expect_ack(call.session_msgid)
        with pytest.raises(InvalidStatus) as info:
            await sim.connect("/nope")
        assert info.value.response.status_code == 404


async def test_08_concurrent_hooks_acked_out_of_order_by_msgid() -> None:
    app = basic_app()
    release_first = asyncio.Event()

    @app.action_hook("/slow")
    async def slow(session: Session, result: GatherCallback) -> list[Say]:
        await release_first.wait()
        return [Say(text="slow")]

    @app.action_hook("/fast")
    async def fast(session: Session, result: GatherCallback) -> list[Say]:
        release_first.set()
        return [Say(text="fast")]

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        first = await call.hook(slow, GatherCallback(reason="timeout"))
        second = await call.hook(fast, GatherCallback(reason="timeout"))
        ack = await call.next_message()
        assert ack.message["msgid"] == second
        assert ack.message["data"] == [{"verb": "say", "text": "fast"}]
        ack_first = await call.expect_ack(first)
        assert ack_first.data == [{"verb": "say", "text": "slow"}]
        assert call.duplicate_acks == []


async def test_09_33_notifications_are_handled_and_never_acked() -> None:
    app = basic_app()
    got: list[object] = []

    @app.on("call:status")
    async def status(session: Session, payload: CallStatusCallback) -> None:
        got.append(payload.call_status)

    @app.on("llm:tool-call")
    async def tool(session: Session, payload: LlmToolCallCallback) -> None:
        got.append((payload.tool_call_id, payload.name, payload.args))
        assert payload.tool_call_id is not None
        await session.tool_output(payload.tool_call_id, {"ok": True})

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.status("in-progress")
        await call.send(
            "llm:tool-call",
            {"tool_call_id": "t1", "name": "lookup", "args": {"cityName": "Paris"}},
            hook="/tools",
        )
        cmd = await call.expect_command("llm:tool-output")
        assert cmd.tool_call_id == "t1"
        await call.barrier()
        assert got == ["in-progress", ("t1", "lookup", {"cityName": "Paris"})]
        assert [m.type for m in call.received] == ["ack", "command"]


async def test_unhandled_hook_acked_at_once_with_empty_list() -> None:
    async with Simulator(basic_app()) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        for kind in ("verb:hook", "dial:confirm", "session:redirect"):
            msgid = await call.hook("/nobody", {}, type=kind)
            assert (await call.expect_ack(msgid)).data == []


async def test_handler_error_logged_with_call_sid_acked_with_fallback_other_calls_fine() -> None:
    app = basic_app(error_reply=[Say(text="sorry"), Hangup()])

    @app.action_hook("/boom")
    async def boom(session: Session, result: GatherCallback) -> None:
        raise RuntimeError("kaput")

    watch = LogEvent("kaput")
    logging.getLogger("jambonz_runtime").addHandler(watch)
    try:
        async with Simulator(app) as sim:
            bad, good = await sim.call(), await sim.call()
            await bad.expect_ack(bad.session_msgid)
            await good.expect_ack(good.session_msgid)
            msgid = await bad.hook(boom, GatherCallback(reason="timeout"))
            assert (await bad.expect_ack(msgid)).verb_names == ["say", "hangup"]
            assert watch.records[0].call_sid == bad.call_sid  # type: ignore[attr-defined]
            assert not bad.closed
            msgid = await good.hook("/other", {})
            assert (await good.expect_ack(msgid)).data == []
    finally:
        logging.getLogger("jambonz_runtime").removeHandler(watch)


async def test_payload_that_does_not_fit_is_logged_and_acked_with_fallback() -> None:
    app = basic_app()

    @app.action_hook("/g")
    async def g(session: Session, result: GatherCallback) -> list[Say]:
        return [Say(text="never")]

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        msgid = await call.hook("/g", {"reason": "not-a-reason"})
        assert (await call.expect_ack(msgid)).data == []


async def test_slow_handler_warned_and_does_not_delay_another_call() -> None:
    app = basic_app(ack_warning_after=0.05)
    release = asyncio.Event()

    @app.action_hook("/slow")
    async def slow(session: Session, result: GatherCallback) -> list[Say]:
        await release.wait()
        return [Say(text="done")]

    watch = LogEvent("still running")
    logging.getLogger("jambonz_runtime").addHandler(watch)
    try:
        async with Simulator(app) as sim:
            one, two = await sim.call(), await sim.call()
            await one.expect_ack(one.session_msgid)
            await two.expect_ack(two.session_msgid)
            slow_id = await one.hook(slow, GatherCallback(reason="timeout"))
            other = await two.hook("/unhandled", {})
            assert (await two.expect_ack(other)).data == []
            await asyncio.wait_for(watch.seen.wait(), 5)
            assert watch.records[0].call_sid == one.call_sid  # type: ignore[attr-defined]
            release.set()
            assert (await one.expect_ack(slow_id)).data == [{"verb": "say", "text": "done"}]
    finally:
        logging.getLogger("jambonz_runtime").removeHandler(watch)


async def test_20_23_reconnect_resumes_same_session_acked_at_once_and_flushes_queued_commands() -> (
    None
):
    app = basic_app()
    seen: list[Session] = []

    @app.action_hook("/h")
    async def h(session: Session, result: GatherCallback) -> list[Say]:
        seen.append(session)
        return [Say(text=str(session.state["from"]))]

    async with Simulator(app) as sim:
        call = await sim.call(from_="+15557777")
        await call.expect_ack(call.session_msgid)
        await call.hook(h, GatherCallback(reason="timeout"))
        await call.expect_ack()
        session = seen[0]
        await call.drop()
        assert not session.connected
        assert not session.ended
        await session.redirect(Verbs().hangup())
        new, msgid = await call.reconnect()
        assert (await new.expect_ack(msgid)).data == []
        cmd = await new.expect_command("redirect")
        assert cmd.data == [{"verb": "hangup"}]
        hook_id = await new.hook(h, GatherCallback(reason="timeout"))
        assert (await new.expect_ack(hook_id)).data == [{"verb": "say", "text": "+15557777"}]
        assert seen[1] is session
        assert session.connected


async def test_22_drop_before_session_new_acked_reconnect_ack_carries_initial_verbs() -> None:
    app = App()
    release = asyncio.Event()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> list[Say]:
        await release.wait()
        return [Say(text="first verbs")]

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.barrier()
        await call.drop()
        new, msgid = await call.reconnect(drop=False)
        await new.barrier()
        release.set()
        assert (await new.expect_ack(msgid)).data == [{"verb": "say", "text": "first verbs"}]


async def test_18_socket_closed_1000_ends_the_session() -> None:
    app = basic_app()
    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        session = app.sessions[str(call.call_sid)]
        await call.close(1000)
        await asyncio.wait_for(session.wait_ended(), 5)
        assert str(call.call_sid) not in app.sessions


async def test_24_adulting_socket_without_call_sid_acked_then_hooks_work() -> None:
    app = basic_app()
    got: list[str | None] = []

    @app.on_adulting("/")
    async def adult(session: Session, info: SessionAdultingCallback) -> list[Say]:
        got.append(session.call_sid)
        assert info.parent_call_info is not None
        return [Say(text="child")]

    async with Simulator(app) as sim:
        parent = await sim.call()
        await parent.expect_ack(parent.session_msgid)
        child = await sim.adulting("/", parent=parent, call_sid="child-1")
        assert (await child.expect_ack(child.session_msgid)).data == [
            {"verb": "say", "text": "child"}
        ]
        msgid = await child.hook("/unhandled", {})
        assert (await child.expect_ack(msgid)).data == []
        assert got == ["child-1"]


async def test_25_redirect_socket_first_message_session_redirect_without_call_sid() -> None:
    app = basic_app()

    @app.action_hook("/moved")
    async def moved(session: Session, info: SessionRedirectCallback) -> list[Say]:
        return [Say(text=f"moved {session.call_sid}")]

    async with Simulator(app) as sim:
        sock = await sim.connect("/")
        msgid = await sock.send(
            "session:redirect", {"call_sid": "r-1", "direction": "inbound"}, hook="/moved"
        )
        assert (await sock.expect_ack(msgid)).data == [{"verb": "say", "text": "moved r-1"}]


@pytest.mark.skipif(not OPTIONS_SUPPORTED, reason="OPTIONS needs websockets >= 17 (Python >= 3.11)")
async def test_43_options_answers_flat_env_schema() -> None:
    schema = {"API_KEY": {"type": "string", "description": "Key", "obscure": True}}
    app = basic_app(env_schema=schema)
    async with Simulator(app) as sim:
        status, body, headers = await sim.options("/")
        assert status == 200
        assert json.loads(body) == schema
        assert headers["content-type"] == "application/json"
        assert (await sim.options("/missing"))[0] == 404
    async with Simulator(basic_app()) as sim:
        assert (await sim.options("/"))[0] == 204


@pytest.mark.parametrize(
    "frame",
    [
        "{not json",
        '{"msgid": "x", "data": {}}',
        '{"type": "brand:new", "msgid": "x", "data": {}}',
        '{"type": "verb:hook", "hook": "/x", "data": {}}',
        '{"type": "call:status", "data": [1, 2]}',
        b"\x00\xff binary garbage",
    ],
    ids=[
        "malformed-json",
        "missing-type",
        "unknown-type",
        "no-msgid",
        "data-not-object",
        "binary-garbage",
    ],
)
async def test_15_bad_input_logged_socket_and_other_calls_unharmed(frame: str | bytes) -> None:
    async with Simulator(basic_app()) as sim:
        call, other = await sim.call(), await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.send_raw(frame)
        msgid = await call.hook("/after", {})
        assert (await call.expect_ack(msgid)).data == []
        msgid = await other.hook("/after", {})
        assert (await other.expect_ack(msgid)).data == []
        assert [m.type for m in call.received] == ["ack", "ack"]


async def test_16_binary_frame_with_json_is_processed() -> None:
    async with Simulator(basic_app()) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.send_raw(
            json.dumps(
                {
                    "type": "verb:hook",
                    "msgid": "bin1",
                    "call_sid": call.call_sid,
                    "hook": "/x",
                    "data": {},
                }
            ).encode()
        )
        assert (await call.expect_ack("bin1")).data == []


async def test_5mb_frame_is_handled() -> None:
    async with Simulator(basic_app()) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.send_raw("x" * (5 * 2**20))
        big = {
            "type": "verb:hook",
            "msgid": "big1",
            "call_sid": call.call_sid,
            "hook": "/x",
            "data": {"blob": "y" * (5 * 2**20)},
        }
        await call.send_raw(json.dumps(big))
        assert (await call.expect_ack("big1")).data == []


async def test_burst_of_10000_messages_each_acked_once() -> None:
    async with Simulator(basic_app(), timeout=20) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        ids = [f"burst{i}" for i in range(10_000)]
        for i, msgid in enumerate(ids):
            kind = "verb:hook" if i % 2 == 0 else "call:status"
            await call.send_raw(
                json.dumps(
                    {
                        "type": kind,
                        "msgid": msgid,
                        "call_sid": call.call_sid,
                        "hook": "/b",
                        "data": {},
                    }
                )
            )
        for msgid in ids[::2]:
            await call.expect_ack(msgid)
        await call.barrier()
        assert len(call.received) == 1 + 5_000
        assert call.duplicate_acks == []


async def test_client_that_never_completes_handshake_is_dropped() -> None:
    async with Simulator(basic_app(), open_timeout=0.2) as sim:
        host, port = sim.url.split("//")[1].rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        call = await sim.call()
        await call.expect_ack(call.session_msgid)


async def test_client_vanishing_mid_call_leaves_others_unharmed() -> None:
    app = basic_app()
    async with Simulator(app) as sim:
        gone, other = await sim.call(), await sim.call()
        await gone.expect_ack(gone.session_msgid)
        await gone.hook("/pending", {})
        await gone.drop()
        session = app.sessions[str(gone.call_sid)]
        assert not session.connected
        assert not session.ended
        msgid = await other.hook("/x", {})
        assert (await other.expect_ack(msgid)).data == []


async def test_oversize_reply_falls_back_instead_of_sending() -> None:
    app = basic_app(error_reply=[Hangup()])

    @app.action_hook("/huge")
    async def huge(session: Session, result: GatherCallback) -> list[Say]:
        return [Say(text="z" * 1000) for _ in range(30)]

    async with Simulator(app) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        msgid = await call.hook(huge, GatherCallback(reason="timeout"))
        assert (await call.expect_ack(msgid)).data == [{"verb": "hangup"}]


async def test_graceful_shutdown_closes_remaining_calls_with_1001() -> None:
    app = basic_app()
    sim = Simulator(app, shutdown_timeout=0.2)
    async with sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        assert sim.server is not None
        await sim.server.shutdown()
        assert await call.wait_closed() == 1001
        with pytest.raises(ConnectionRefusedError):
            await sim.connect("/")
