"""The lean audio data path (``_audio_wire``): RFC 6455 rules, close handshake, keepalive,
flow control, and the fallback to websockets.

A raw TCP client writes exactly the frames each test needs (masked or not, fragmented,
reserved bits, oversize) and reads the server's frames back.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct

import pytest
from websockets.asyncio.client import connect

from jambonz_runtime import App, JambonzAudioStream
from jambonz_runtime.audio._wire import AudioWire
from jambonz_runtime.testing import Simulator

META = json.dumps({"sampleRate": 8000, "mixType": "mono", "callSid": "wire-test"}).encode()


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0
) -> bytes:
    """One client frame, masked unless told otherwise."""
    first = (0x80 if fin else 0) | rsv | opcode
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", first, (0x80 if mask else 0) | size)
    elif size < 65536:
        head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, size)
    else:
        head = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawClient:
    """A websocket client at the byte level (handshake done by hand)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str, path: str = "/audio", metadata: bool = True) -> RawClient:
        host, port = url.removeprefix("ws://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: audio.drachtio.org\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101"), head
        client = cls(reader, writer)
        if metadata:
            client.send(frame(1, META))
        return client

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def read_frame(self) -> tuple[int, bytes]:
        """The next server frame: (opcode, payload); server frames are unmasked."""
        first, second = await asyncio.wait_for(self.reader.readexactly(2), 5)
        assert not second & 0x80, "server frames are not masked"
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        payload = await asyncio.wait_for(self.reader.readexactly(size), 5)
        assert first & 0x80, "the server does not fragment"
        return first & 0x0F, payload

    async def expect_close(self) -> tuple[int, str]:
        """Read until the server's close frame; return its code and reason."""
        while True:
            opcode, payload = await self.read_frame()
            if opcode == 8:
                code = struct.unpack("!H", payload[:2])[0] if payload else 1005
                return code, payload[2:].decode()

    async def expect_eof(self) -> None:
        """The server closed TCP."""
        assert await asyncio.wait_for(self.reader.read(), 5) == b""


def echo_app(record: list[object] | None = None) -> App:
    app = App()

    @app.on_audio("/audio")
    async def echo(stream: JambonzAudioStream) -> None:
        if record is not None:
            record.append(stream._ws)
        async for item in stream.events():
            if isinstance(item, bytes):
                await stream.send_audio(item)
            elif record is not None:
                record.append(item)

    return app


async def test_audio_sockets_use_the_lean_path_and_echo() -> None:
    seen: list[object] = []
    async with Simulator(echo_app(seen)) as sim:
        async with await RawClient.open(sim.url) as client:
            client.send(frame(2, b"\x01\x02" * 100))
            assert await client.read_frame() == (2, b"\x01\x02" * 100)
            big = bytes(range(256)) * 300  # 76,800 bytes: 64-bit length field
            client.send(frame(2, big))
            assert await client.read_frame() == (2, big)
            client.send(frame(8, struct.pack("!H", 1000) + b"bye"))
            assert await client.expect_close() == (1000, "bye")  # echoed
            await client.expect_eof()
    assert isinstance(seen[0], AudioWire)


async def test_ping_is_answered_and_fragments_are_reassembled() -> None:
    seen: list[object] = []
    async with Simulator(echo_app(seen)) as sim:
        async with await RawClient.open(sim.url) as client:
            client.send(frame(9, b"hello"))
            assert await client.read_frame() == (10, b"hello")
            client.send(frame(2, b"\x01\x00", fin=False))
            client.send(frame(9, b"mid"))  # control frames may come between fragments
            client.send(frame(0, b"\x02\x00", fin=False))
            client.send(frame(0, b"\x03\x00"))
            assert await client.read_frame() == (10, b"mid")
            assert await client.read_frame() == (2, b"\x01\x00\x02\x00\x03\x00")
            text = json.dumps({"type": "x", "data": {"é": "ü"}}).encode()
            client.send(frame(1, text[:5], fin=False) + frame(0, text[5:]))
            client.send(frame(8, struct.pack("!H", 1000)))
            await client.expect_close()
    from jambonz_runtime import TextEvent

    assert TextEvent({"type": "x", "data": {"é": "ü"}}) in seen


@pytest.mark.parametrize(
    ("data", "code", "reason"),
    [
        (frame(2, b"\x00\x00", mask=False), 1002, "incorrect masking"),
        (frame(2, b"\x00\x00", rsv=0x40), 1002, "reserved bits must be 0"),
        (frame(1, b"\xff\xfe"), 1007, "invalid UTF-8"),
        (frame(9, bytes(126)), 1002, "invalid control frame"),
        (frame(9, b"x", fin=False), 1002, "invalid control frame"),
        (frame(0, b"\x00\x00"), 1002, "unexpected continuation frame"),
        (frame(2, b"\x00", fin=False) + frame(2, b"\x00"), 1002, "expected a continuation"),
        (frame(3, b""), 1002, "invalid opcode 3"),
        (frame(2, bytes(2000)), 1009, "over size limit"),
        (frame(2, bytes(600), fin=False) + frame(0, bytes(600)), 1009, "over size limit"),
        (frame(8, b"\x03"), 1002, "invalid close frame"),
    ],
)
async def test_protocol_violations_fail_the_connection(data: bytes, code: int, reason: str) -> None:
    async with Simulator(echo_app(), max_message_size=1000) as sim:
        async with await RawClient.open(sim.url) as client:
            client.send(data)
            got_code, got_reason = await client.expect_close()
            assert got_code == code
            assert got_reason.startswith(reason)
            await client.expect_eof()
            other = await sim.audio("/audio")  # the server carries on
            await other.send_audio(b"\x01\x00")
            assert await other.wait_audio(2) == b"\x01\x00"


async def test_app_close_waits_for_the_peer_close_and_times_out_if_none() -> None:
    closing = asyncio.Event()
    done = asyncio.Event()

    app = App()

    @app.on_audio("/audio")
    async def handler(stream: JambonzAudioStream) -> None:
        wire = stream._ws
        assert isinstance(wire, AudioWire)
        wire.close_timeout = 0.2
        closing.set()
        await stream.close(4000, "app done")
        done.set()

    async with Simulator(app) as sim:
        async with await RawClient.open(sim.url) as client:
            await asyncio.wait_for(closing.wait(), 5)
            assert await client.expect_close() == (4000, "app done")
            # no close frame back: the server aborts after close_timeout
            await asyncio.wait_for(done.wait(), 5)
            await client.expect_eof()


async def test_keepalive_pings_a_silent_peer_and_fails_without_pong() -> None:
    async with Simulator(echo_app(), ping_interval=0.05) as sim:
        lively = await sim.audio("/audio")  # websockets' client answers pings
        async with await RawClient.open(sim.url) as silent:
            assert (await silent.read_frame())[0] == 9  # a ping after silence
            assert await silent.expect_close() == (1011, "keepalive ping timeout")
            await silent.expect_eof()
            # meanwhile (two ping intervals and more) the lively one was kept open
            pong = await lively.ws.ping()
            await asyncio.wait_for(pong, 5)
            assert not lively.closed
            await lively.send_audio(b"\x07\x00")
            assert await lively.wait_audio(2) == b"\x07\x00"


async def test_reading_pauses_while_the_app_is_behind_and_nothing_is_lost() -> None:
    release = asyncio.Event()
    got: list[bytes] = []
    done = asyncio.Event()
    wires: list[AudioWire] = []
    paused = asyncio.Event()
    app = App()

    @app.on_audio("/audio")
    async def slow(stream: JambonzAudioStream) -> None:
        assert isinstance(stream._ws, AudioWire)
        wires.append(stream._ws)
        transport = stream._ws.transport
        pause = transport.pause_reading

        def observed_pause() -> None:
            pause()
            paused.set()

        transport.pause_reading = observed_pause  # type: ignore[method-assign]
        if stream._ws._reading_paused:  # it paused before this handler got to run
            paused.set()
        await release.wait()
        async for frame_ in stream:
            got.append(frame_)
        done.set()

    async with Simulator(app) as sim:
        client = await sim.audio("/audio")
        frames = [i.to_bytes(2, "little") * 160 for i in range(200)]
        for item in frames:
            await client.send_audio(item)
        # Not a ping barrier: once reading pauses, a ping behind the frames is not read.
        await asyncio.wait_for(paused.wait(), 5)
        assert wires[0]._reading_paused  # 200 unread messages: reading stopped
        release.set()
        await client.close()
        await asyncio.wait_for(done.wait(), 5)
    assert got == frames


async def test_send_waits_while_the_transport_is_paused() -> None:
    sent = asyncio.Event()
    buffered: list[int] = []
    app = App()

    @app.on_audio("/audio")
    async def flood(stream: JambonzAudioStream) -> None:
        wire = stream._ws
        assert isinstance(wire, AudioWire)
        for _ in range(64):
            await stream.send_audio(bytes(1 << 20))  # 64 MiB: far over the socket buffers
            buffered.append(wire.transport.get_write_buffer_size())
        sent.set()

    async with Simulator(app) as sim:
        async with await RawClient.open(sim.url) as client:
            total = 0
            while total < 64 << 20:
                opcode, payload = await client.read_frame()
                assert opcode == 2
                total += len(payload)
            await asyncio.wait_for(sent.wait(), 5)
    assert len(buffered) == 64
    # without flow control the buffer would hold most of the 64 MiB
    assert max(buffered) < 4 << 20


async def test_compression_keeps_the_socket_on_websockets() -> None:
    seen: list[object] = []
    async with Simulator(echo_app(seen), compression="deflate") as sim:
        ws = await connect(
            sim.url + "/audio",
            subprotocols=["audio.drachtio.org"],  # type: ignore[list-item]
            compression="deflate",
        )
        await ws.send(META.decode())
        await ws.send(b"\x05\x00" * 10)
        assert await asyncio.wait_for(ws.recv(), 5) == b"\x05\x00" * 10
        await ws.close()
    assert not isinstance(seen[0], AudioWire)
