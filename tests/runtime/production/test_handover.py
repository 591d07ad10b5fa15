"""Calls moving between server instances through a session store (in one process).

Each test runs two :class:`JambonzServer` instances, A and B, each with its own app (as
two replicas would) and a store they share: a :class:`MemoryStore`, or a real Redis
(one client per instance). jambonz's reconnect to "the same URL" landing on the other
instance is ``call.reconnect(via=sim_b)``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from jambonz_runtime import JambonzServer, Session
from jambonz_runtime.exceptions import SessionMoved
from jambonz_runtime.store import MemoryStore, OnTakeover, RedisStore, SessionStore
from jambonz_runtime.testing import SimulatedCall, Simulator
from jambonz_types.callbacks import CallStatusCallback, GatherCallback

from .apps import CallState, first_text, make_app
from .redis_server import RedisServer

StoreFactory = Callable[[], SessionStore]


@pytest.fixture(params=["memory", "redis"])
def make_store(request: pytest.FixtureRequest) -> StoreFactory:
    if request.param == "memory":
        shared = MemoryStore()
        return lambda: shared
    server: RedisServer = request.getfixturevalue("redis_server")
    return lambda: RedisStore(server.url)


@asynccontextmanager
async def two_instances(
    store_a: SessionStore, store_b: SessionStore
) -> AsyncIterator[tuple[JambonzServer, Simulator, JambonzServer, Simulator]]:
    server_a = JambonzServer(make_app(), store=store_a, shutdown_timeout=2)
    server_b = JambonzServer(make_app(), store=store_b, shutdown_timeout=2)
    async with server_a, server_b:
        async with Simulator(url=server_a.url) as sim_a, Simulator(url=server_b.url) as sim_b:
            yield server_a, sim_a, server_b, sim_b


def digits(value: str) -> GatherCallback:
    return GatherCallback(reason="dtmfDetected", digits=value)


async def press(call: SimulatedCall, value: str) -> str:
    """A gather result; returns the text the app says back."""
    ack = await call.expect_ack(await call.hook("/menu", digits(value)))
    return first_text(ack.data)


async def test_reconnect_on_another_instance_resumes_the_typed_state(
    make_store: StoreFactory,
) -> None:
    async with two_instances(make_store(), make_store()) as (_a, sim_a, b, sim_b):
        call = await sim_a.call()
        await call.expect_ack(call.session_msgid)
        assert (await press(call, "1")).startswith("heard 1 ")
        assert (await press(call, "2")).startswith("heard 1,2 ")

        started = time.perf_counter()
        moved, msgid = await call.reconnect(via=sim_b)  # abrupt drop, then B
        ack = await moved.expect_ack(msgid)
        assert time.perf_counter() - started < 1.0
        assert ack.data == []  # session:new was acked long ago: nothing to replay

        assert (await press(moved, "3")).startswith("heard 1,2,3 ")
        b_session = b.apps[0].sessions[call.call_sid or ""]
        assert isinstance(b_session.state, CallState)
        assert b_session.state.hooks == 3
        assert call.duplicate_acks == moved.duplicate_acks == []
        assert not call.untaken()  # nothing acked twice or extra
        assert not moved.untaken()


async def test_a_session_new_never_acked_is_answered_by_the_reconnect_elsewhere(
    make_store: StoreFactory,
) -> None:
    async with two_instances(make_store(), make_store()) as (a, sim_a, _b, sim_b):
        app_a = a.apps[0]
        gate = asyncio.Event()
        handler = app_a._session_handlers["/"]

        async def slow_start(session: Session[CallState], call: object) -> object:
            await gate.wait()
            return await handler(session, call)  # type: ignore[arg-type]

        app_a._session_handlers["/"] = slow_start  # type: ignore[assignment]
        call = await sim_a.call()
        await call.drop()  # before the ack: jambonz re-keys session:new to the reconnect
        await _wait_for(lambda: (call.call_sid or "") in app_a.sessions)
        session_a = app_a.sessions[call.call_sid or ""]
        gate.set()
        await _wait_for(lambda: session_a._saved_state is not None and not _pending(a, session_a))
        moved, msgid = await call.reconnect(via=sim_b)
        ack = await moved.expect_ack(msgid)
        assert ack.verb_names == ["say", "gather"]


async def test_a_stale_owner_stops_sending_once_the_call_moved(make_store: StoreFactory) -> None:
    async with two_instances(make_store(), make_store()) as (a, sim_a, _b, sim_b):
        call = await sim_a.call()
        await call.expect_ack(call.session_msgid)
        await press(call, "1")
        stale = a.apps[0].sessions[call.call_sid or ""]

        # A's socket died silently: A has not noticed, jambonz reconnected to B.
        moved, msgid = await call.reconnect(drop=False, via=sim_b)
        await moved.expect_ack(msgid)
        assert await call.wait_closed() == 1001  # A heard of the takeover and let go
        with pytest.raises(SessionMoved, match="moved to another instance"):
            await stale.redirect([])
        assert not call.untaken()  # A sent nothing after B took the call
        assert (await press(moved, "2")).startswith("heard 1,2 ")


class DeafStore(MemoryStore):
    """A store whose takeover news never arrives (a lost pub/sub connection)."""

    async def watch(self, namespace: str, on_takeover: OnTakeover) -> None:
        await asyncio.get_running_loop().create_future()


async def test_without_takeover_news_the_fenced_write_still_stops_the_stale_owner() -> None:
    store = DeafStore()
    async with two_instances(store, store) as (_a, sim_a, _b, sim_b):
        call = await sim_a.call()
        await call.expect_ack(call.session_msgid)
        moved, msgid = await call.reconnect(drop=False, via=sim_b)
        await moved.expect_ack(msgid)
        # A hook still reaching A's stale socket: A's save is refused, so no ack leaves A.
        await call.hook("/menu", digits("9"))
        assert await call.wait_closed() == 1001
        assert not call.untaken()
        assert (await press(moved, "1")).startswith("heard 1 ")  # B's state lacks the 9


async def test_redis_down_calls_go_on_from_memory_and_resume_saving(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="jambonz_runtime")
    store = RedisStore(redis_server.url, timeout=0.5)
    server = JambonzServer(make_app(), store=store, shutdown_timeout=2)
    async with server, Simulator(url=server.url) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await press(call, "1")
        redis_server.stop()
        assert (await press(call, "2")).startswith("heard 1,2 ")
        assert (await press(call, "3")).startswith("heard 1,2,3 ")
        per_call = [
            r
            for r in caplog.records
            if r.levelno == logging.ERROR and f"[{call.call_sid}] session store" in r.getMessage()
        ]
        assert len(per_call) == 1  # once per call, not once per hook
        redis_server.start()
        assert (await press(call, "4")).startswith("heard 1,2,3,4 ")
        assert any("reachable again" in r.getMessage() for r in caplog.records)

        from redis.asyncio import Redis

        client = Redis.from_url(redis_server.url, decode_responses=True)
        stored = await client.hget(f"jambonz:production-test:call:{call.call_sid}", "state")
        await client.aclose()
        assert stored is not None
        assert CallState.model_validate_json(stored).digits == ["1", "2", "3", "4"]


async def test_drain_hands_calls_over_with_1001_and_releases_them(
    make_store: StoreFactory,
) -> None:
    async with two_instances(make_store(), make_store()) as (a, sim_a, _b, sim_b):
        calls = [await sim_a.call() for _ in range(5)]
        for call in calls:
            await call.expect_ack(call.session_msgid)
            await press(call, "1")
        in_flight = [await call.hook("/menu", digits("slow")) for call in calls]
        drain = asyncio.get_running_loop().create_task(a.shutdown(timeout=4))
        for call, msgid in zip(calls, in_flight, strict=True):
            await call.expect_ack(msgid)  # answered before the close
            assert await call.wait_closed() == 1001
        await drain
        for call in calls:
            moved, msgid = await call.reconnect(via=sim_b)
            await moved.expect_ack(msgid)
            assert (await press(moved, "2")).startswith("heard 1,slow,2 ")
            assert not call.untaken()


def _pending(server: JambonzServer, session: object) -> bool:
    persist = server.persist
    return persist is not None and session in persist._beginning


async def _wait_for(
    check: Callable[[], object], rounds: int = 10_000
) -> object:  # bounded; yields to the loop, never sleeps
    for _ in range(rounds):
        value = check()
        if value:
            return value
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


async def test_state_changed_by_a_notification_handler_is_saved_too() -> None:
    store = MemoryStore()
    app = make_app()

    @app.on("call:status")
    async def status(session: Session[CallState], event: CallStatusCallback) -> None:
        session.state.digits.append(f"status:{event.call_status}")

    server = JambonzServer(app, store=store)
    async with server, Simulator(url=server.url) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.status("in-progress")
        await call.barrier()
        sid = call.call_sid or ""
        session = app.sessions[sid]
        await _wait_for(
            lambda: session._saved_state is not None and "status:" in session._saved_state
        )
        record = store.record("production-test", sid)
        assert record is not None
        assert CallState.model_validate_json(record["state"]).digits == ["status:in-progress"]
