"""``GET /healthz`` (readiness: 503 while draining) and ``GET /metrics`` on the app port."""

from __future__ import annotations

import asyncio

import pytest

from jambonz_runtime import JambonzServer
from jambonz_runtime.store import MemoryStore
from jambonz_runtime.testing import Simulator
from jambonz_types.callbacks import GatherCallback

from .apps import make_app


async def http_get(port: int, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = raw.decode().partition("\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("transport", ["direct", "asyncio"])
async def test_healthz_turns_503_as_soon_as_the_drain_starts(transport: str) -> None:
    server = JambonzServer(make_app(), transport=transport)  # type: ignore[arg-type]
    await server.start()
    assert await http_get(server.port, "/healthz") == (200, "ok\n")
    server.start_draining()  # what shutdown() does first; the listener is still open
    assert await http_get(server.port, "/healthz") == (503, "draining\n")
    await server.shutdown(timeout=1)
    with pytest.raises(ConnectionRefusedError):
        await http_get(server.port, "/healthz")  # drained: nothing listens any more


async def test_metrics_count_calls_hooks_and_resumes() -> None:
    store = MemoryStore()
    a = JambonzServer(make_app(), store=store, metrics=True)
    b = JambonzServer(make_app(), store=store, metrics=True)
    async with a, b, Simulator(url=a.url) as sim_a, Simulator(url=b.url) as sim_b:
        call = await sim_a.call()
        await call.expect_ack(call.session_msgid)
        await call.expect_ack(await call.hook("/menu", GatherCallback(digits="1")))
        moved, msgid = await call.reconnect(via=sim_b)
        await moved.expect_ack(msgid)
        status, text = await http_get(a.port, "/metrics")
        assert status == 200
        assert 'jambonz_hooks_answered_total{type="verb:hook"} 1.0' in text
        assert 'jambonz_hooks_answered_total{type="session:new"} 1.0' in text
        assert "jambonz_hook_latency_seconds_count 2.0" in text
        status, text = await http_get(b.port, "/metrics")
        assert 'jambonz_reconnects_resumed_total{source="store"} 1.0' in text
        assert 'jambonz_resume_seconds_count{source="store"} 1.0' in text
        assert "jambonz_calls_live 1.0" in text
        assert "jambonz_draining 0.0" in text


async def test_metrics_are_off_by_default() -> None:
    async with JambonzServer(make_app()) as server:
        assert (await http_get(server.port, "/metrics"))[0] == 404


@pytest.mark.parametrize("transport", ["direct", "asyncio"])
async def test_an_inherited_listening_socket_is_served(transport: str) -> None:
    # What a pre-forked worker gets (serve --workers without SO_REUSEPORT).
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = JambonzServer(make_app(), sock=listener, transport=transport)  # type: ignore[arg-type]
    async with server:
        assert server.port == port
        assert await http_get(port, "/healthz") == (200, "ok\n")
