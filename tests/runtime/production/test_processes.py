"""Real worker processes sharing a real Redis: handover, rolling deploys, workers, signals."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from jambonz_runtime.testing import SimulatedCall, Simulator
from jambonz_types.callbacks import GatherCallback

from .apps import first_text
from .processes import ROOT, AppProcess
from .redis_server import RedisServer, free_port


def digits(value: str) -> GatherCallback:
    return GatherCallback(reason="dtmfDetected", digits=value)


async def said(call: SimulatedCall, msgid: str) -> str:
    ack = await call.expect_ack(msgid)
    return first_text(ack.data)


@asynccontextmanager
async def running(*processes: AppProcess) -> AsyncIterator[None]:
    try:
        for process in processes:
            await process.start()
        yield
    finally:
        for process in processes:
            await process.stop()


async def test_a_call_moves_between_processes_with_its_state(redis_server: RedisServer) -> None:
    port_a, port_b = free_port(), free_port()
    a = AppProcess.serve(port_a, "--store", redis_server.url)
    b = AppProcess.serve(port_b, "--store", redis_server.url)
    async with running(a, b):
        sim_a = Simulator(url=f"ws://127.0.0.1:{port_a}", timeout=10)
        sim_b = Simulator(url=f"ws://127.0.0.1:{port_b}", timeout=10)
        async with sim_a, sim_b:
            call = await sim_a.call()
            await call.expect_ack(call.session_msgid)
            assert (await said(call, await call.hook("/menu", digits("1")))).startswith("heard 1 ")
            text = await said(call, await call.hook("/menu", digits("2")))
            assert text == f"heard 1,2 pid {a.pid}"

            started = time.perf_counter()
            moved, msgid = await call.reconnect(via=sim_b)  # abrupt: no close frame
            await moved.expect_ack(msgid)
            assert time.perf_counter() - started < 1.0

            text = await said(moved, await moved.hook("/menu", digits("3")))
            assert text == f"heard 1,2,3 pid {b.pid}"  # B sees what A wrote
            assert call.duplicate_acks == moved.duplicate_acks == []
            assert not call.untaken()
            assert not moved.untaken()


async def test_rolling_deploy_drains_fifty_calls_to_the_other_process(
    redis_server: RedisServer,
) -> None:
    port_a, port_b = free_port(), free_port()
    a = AppProcess.serve(port_a, "--store", redis_server.url, "--drain-timeout", "15")
    b = AppProcess.serve(port_b, "--store", redis_server.url)
    async with running(a, b):
        sim_a = Simulator(url=f"ws://127.0.0.1:{port_a}", timeout=15)
        sim_b = Simulator(url=f"ws://127.0.0.1:{port_b}", timeout=15)
        async with sim_a, sim_b:
            calls = [await sim_a.call() for _ in range(50)]
            for call in calls:
                await call.expect_ack(call.session_msgid)
                await said(call, await call.hook("/menu", digits("1")))
            # A hook in flight on every call (the handler takes 0.5 s), then the deploy.
            in_flight = [await call.hook("/menu", digits("slow")) for call in calls]
            started = time.monotonic()
            a.signal(signal.SIGTERM)
            for call, msgid in zip(calls, in_flight, strict=True):
                assert (await said(call, msgid)).startswith("heard 1,slow ")
                assert await call.wait_closed() == 1001  # going away: jambonz reconnects
            assert await a.wait(timeout=20) == 0
            assert time.monotonic() - started < 15  # inside its drain deadline

            for call in calls:
                moved, msgid = await call.reconnect(via=sim_b)
                await moved.expect_ack(msgid)
                text = await said(moved, await moved.hook("/menu", digits("2")))
                assert text == f"heard 1,slow,2 pid {b.pid}"
                assert call.duplicate_acks == moved.duplicate_acks == []
    # A released every call before closing it: B never took one from a live owner.
    assert "took the call over from" not in b.log
    assert "handing 50 call(s) over" in a.log


async def test_a_stale_process_loses_the_call_and_stops(redis_server: RedisServer) -> None:
    port_a, port_b = free_port(), free_port()
    a = AppProcess.serve(port_a, "--store", redis_server.url)
    b = AppProcess.serve(port_b, "--store", redis_server.url)
    async with running(a, b):
        sim_a = Simulator(url=f"ws://127.0.0.1:{port_a}", timeout=10)
        sim_b = Simulator(url=f"ws://127.0.0.1:{port_b}", timeout=10)
        async with sim_a, sim_b:
            call = await sim_a.call()
            await call.expect_ack(call.session_msgid)
            moved, msgid = await call.reconnect(drop=False, via=sim_b)  # A not told
            await moved.expect_ack(msgid)
            assert await call.wait_closed() == 1001
            assert not call.untaken()  # nothing from A after B took over
    assert "took the call over from" in b.log
    assert "call moved to another instance" in a.log


async def test_serve_workers_share_the_port_and_drain_on_sigterm() -> None:
    port = free_port()
    parent = AppProcess.serve(port, "--workers", "2", "--drain-timeout", "4")
    try:
        await parent.start(ready="jambonz-typed serving", count=2)
        async with Simulator(url=f"ws://127.0.0.1:{port}", timeout=10) as sim:
            pids: set[str] = set()
            for _ in range(60):  # bounded: the kernel spreads connections over both
                call = await sim.call()
                text = first_text((await call.expect_ack(call.session_msgid)).data)
                pids.add(text.split()[-1])
                await call.hangup()
                if len(pids) == 2:
                    break
            assert len(pids) == 2, f"only worker(s) {pids} got calls"
            live = await sim.call()
            await live.expect_ack(live.session_msgid)
            parent.signal(signal.SIGTERM)
            assert await live.wait_closed() == 1001
        assert await parent.wait(timeout=30) == 0
        assert parent.log.count("jambonz server stopped") == 2
    finally:
        await parent.stop()


SERVE_SCRIPT = """
import asyncio, sys
from jambonz_runtime import serve
from tests.runtime.production.apps import app
asyncio.run(serve(app, "127.0.0.1", int(sys.argv[1]), shutdown_timeout=5))
"""


async def test_asyncio_run_serve_drains_on_sigterm() -> None:
    port = free_port()
    process = AppProcess("-c", SERVE_SCRIPT, str(port))
    try:
        await process.start()
        async with Simulator(url=f"ws://127.0.0.1:{port}", timeout=10) as sim:
            call = await sim.call()
            await call.expect_ack(call.session_msgid)
            msgid = await call.hook("/menu", digits("slow"))
            process.signal(signal.SIGTERM)
            assert (await said(call, msgid)).startswith("heard slow ")  # answered first
            assert await call.wait_closed() == 1001
        assert await process.wait(timeout=10) == 0
        assert re.search(r"SIGTERM: draining", process.log)
    finally:
        await process.stop()


def test_the_process_helpers_find_the_repo() -> None:
    assert (ROOT / "tests" / "runtime" / "production" / "apps.py").is_file()
