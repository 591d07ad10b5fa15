"""What the direct transport (``_direct``) does itself, around websockets' sans-I/O protocol.

The protocol behaviour every transport shares (handshake answers, acks, close codes,
shutdown) is tested on both transports in test_server.py; here: keepalive pings and
their timeout, fragmented messages, invalid UTF-8 and the handshake timeout.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from jambonz_runtime import App
from jambonz_runtime.server import JambonzServer, _direct
from jambonz_runtime.session import Session
from jambonz_runtime.testing import Simulator
from jambonz_types.callbacks import SessionNewCallback
from jambonz_types.verbs import Say


def app() -> App:
    application = App()

    @application.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> list[Say]:
        return [Say(text="hi")]

    return application


async def test_keepalive_pings_are_sent_and_answered_pongs_keep_the_socket() -> None:
    async with Simulator(app(), ping_interval=0.02) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await asyncio.sleep(0.1)  # several ping rounds; the client answers each
        msgid = await call.hook("/later", {})
        assert (await call.expect_ack(msgid)).data == []


async def test_a_socket_that_never_answers_pings_is_failed_with_1011(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_direct, "PING_TIMEOUT", 0.05)
    async with JambonzServer(app(), ping_interval=0.02) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: ws.jambonz.org\r\n\r\n"
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101")
        opcodes: list[int] = []
        for _ in range(100):  # read frames (server frames are unmasked, short here)
            head2 = await asyncio.wait_for(reader.readexactly(2), 2)
            payload = await reader.readexactly(head2[1] & 0x7F)
            opcodes.append(head2[0] & 0x0F)
            if opcodes[-1] == 0x8:  # close: never answered a ping, so 1011
                assert int.from_bytes(payload[:2], "big") == 1011
                break
        assert opcodes[0] == 0x9  # pings came first
        assert opcodes[-1] == 0x8
        writer.close()
        await writer.wait_closed()


async def test_fragmented_message_is_reassembled() -> None:
    async with Simulator(app()) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        text = json.dumps({"type": "verb:hook", "msgid": "frag1", "hook": "/x", "data": {}})
        await call.ws.send([text[:10], text[10:30], text[30:]])
        assert (await call.expect_ack("frag1")).data == []


async def test_invalid_utf8_in_a_text_frame_fails_the_socket_with_1007() -> None:
    async with Simulator(app()) as sim:
        call = await sim.call()
        await call.expect_ack(call.session_msgid)
        await call.ws.send(b"\xff\xfe not utf-8", text=True)
        await call.ws.wait_closed()
        assert call.ws.close_code == 1007


async def test_a_client_that_never_completes_the_handshake_is_dropped() -> None:
    async with JambonzServer(app(), open_timeout=0.05) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\n")  # and nothing more
        assert await asyncio.wait_for(reader.read(), 2) == b""  # closed by the server
        writer.close()
        await writer.wait_closed()
