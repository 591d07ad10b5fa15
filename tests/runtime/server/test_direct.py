"""What the direct transport (``_direct``) does itself, around websockets' sans-I/O protocol.

The protocol behaviour every transport shares (handshake answers, acks, close codes,
shutdown) is tested on both transports in test_server.py; here: keepalive pings and
their timeout, fragmented messages, invalid UTF-8 and the handshake timeout.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import random

import pytest
from websockets.utils import accept_key

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


# -- fast paths: the plain jambonz upgrade, whole text frames, one write per segment ------

_PLAIN = (
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Protocol: ws.jambonz.org\r\n\r\n"
)


def _masked(payload: bytes, opcode: int = 0x1, fin: bool = True) -> bytes:
    mask = b"\x01\x02\x03\x04"
    size = len(payload)
    head = bytes((opcode | (0x80 if fin else 0),))
    if size < 126:
        head += bytes((0x80 | size,))
    elif size < 0x10000:
        head += bytes((0x80 | 126,)) + size.to_bytes(2, "big")
    else:
        head += bytes((0x80 | 127,)) + size.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readexactly(2), 2)
    size = head[1] & 0x7F
    if size == 126:
        size = int.from_bytes(await reader.readexactly(2), "big")
    elif size == 127:
        size = int.from_bytes(await reader.readexactly(8), "big")
    return head[0], await reader.readexactly(size)


def _session_new(msgid: str) -> bytes:
    return json.dumps(
        {"type": "session:new", "msgid": msgid, "call_sid": "c1", "data": {"call_sid": "c1"}}
    ).encode()


def test_plain_upgrade_recognises_only_the_plain_request() -> None:
    head = _PLAIN[: _PLAIN.index(b"\r\n\r\n")]
    found = _direct.plain_upgrade(head, "ws.jambonz.org")
    assert found == ("/", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")  # RFC 6455's own example
    for changed in (
        head.replace(b"HTTP/1.1", b"HTTP/1.0"),
        head.replace(b"GET", b"POST"),
        head.replace(b"websocket", b"h2c"),
        head.replace(b"Version: 13", b"Version: 8"),
        head.replace(b"ws.jambonz.org", b"other"),
        head.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"short=="),
        head + b"\r\nUpgrade: websocket",  # duplicated
        head + b"\r\nAuthorization: Basic eDp5",  # auth is process_request's business
        head + b"\r\nContent-Length: 0",
        head + b"\r\n folded",
        head + b"\r\nX-Name: \xc3\xa9",
    ):
        assert _direct.plain_upgrade(changed, "ws.jambonz.org") is None, changed


def _reference_plain_upgrade(head: bytes, subprotocol: str) -> tuple[str, bytes] | None:
    """The rules of the module docstring, line by line, with no cache (the
    implementation before the head shapes were kept): what plain_upgrade must answer."""
    if len(head) > 4096 or not head.isascii():
        return None
    lines = head.split(b"\r\n")
    request = lines[0]
    if not request.startswith(b"GET /") or not request.endswith(b" HTTP/1.1"):
        return None
    path = request[4:-9]
    if not all(32 < c < 127 for c in path):
        return None
    seen: dict[str, bytes] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or b" " in name:
            return None
        key = name.decode().lower()
        if key in _direct._SINGLE:
            if key in seen:
                return None
            seen[key] = value.strip()
    if "content-length" in seen or "transfer-encoding" in seen or "authorization" in seen:
        return None
    if seen.get("upgrade", b"").lower() != b"websocket":
        return None
    if b"upgrade" not in [t.strip().lower() for t in seen.get("connection", b"").split(b",")]:
        return None
    if seen.get("sec-websocket-version") != b"13":
        return None
    if subprotocol.encode() not in [
        t.strip() for t in seen.get("sec-websocket-protocol", b"").split(b",")
    ]:
        return None
    key_b64 = seen.get("sec-websocket-key")
    if key_b64 is None:
        return None
    try:
        raw_key = base64.b64decode(key_b64, validate=True)
    except binascii.Error:
        return None
    if len(raw_key) != 16:
        return None
    return path.decode(), accept_key(key_b64.decode()).encode()


def test_a_head_shape_seen_plain_is_reused_with_only_its_key_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_direct, "_shapes", {})
    head = _PLAIN[: _PLAIN.index(b"\r\n\r\n")]
    old_key = b"dGhlIHNhbXBsZSBub25jZQ=="
    assert _direct.plain_upgrade(head, "ws.jambonz.org") is not None
    assert len(_direct._shapes) == 1
    for key in (base64.b64encode(bytes(range(16))), b" " + base64.b64encode(b"k" * 16) + b" "):
        changed = head.replace(old_key, key)
        assert _direct.plain_upgrade(changed, "ws.jambonz.org") == (
            "/",
            accept_key(key.strip().decode()).encode(),
        )
    for key in (b"short==", b"", b"dGhlIHNh bXBsZSBub25jZQ==", b"!" * 24):
        assert _direct.plain_upgrade(head.replace(old_key, key), "ws.jambonz.org") is None
    assert _direct.plain_upgrade(head, "other") is None  # the subprotocol is in the shape
    assert len(_direct._shapes) == 1


def test_the_key_may_be_the_last_header_and_must_be_there() -> None:
    head = _PLAIN[: _PLAIN.index(b"\r\n\r\n")]
    key_line = b"\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
    last = head.replace(key_line, b"") + key_line.replace(b"Key", b"KEY")
    assert _direct.plain_upgrade(last, "ws.jambonz.org") == (
        "/",
        b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    )
    assert _direct.plain_upgrade(head.replace(key_line, b""), "ws.jambonz.org") is None


def test_head_shapes_beyond_the_limit_are_checked_in_full_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_direct, "_shapes", {})
    monkeypatch.setattr(_direct, "_SHAPES_MAX", 2)
    head = _PLAIN[: _PLAIN.index(b"\r\n\r\n")]
    for i in range(4):
        shaped = head.replace(b"Host: x", b"Host: x%d" % i)
        assert _direct.plain_upgrade(shaped, "ws.jambonz.org") is not None
    assert len(_direct._shapes) == 2


def test_plain_upgrade_answers_as_the_line_by_line_rules_on_varied_heads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_direct, "_shapes", {})
    rng = random.Random(18)
    base_lines = _PLAIN[: _PLAIN.index(b"\r\n\r\n")].split(b"\r\n")
    extras = [
        b"Upgrade: websocket",
        b"Authorization: Basic eDp5",
        b"Content-Length: 0",
        b"Transfer-Encoding: chunked",
        b" folded",
        b"\tfolded",
        b"No-Colon",
        b": empty name",
        b"X Y: space in name",
        b"X-Lone: a\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        b"sec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==",
        b"Sec-WebSocket-Protocol: ws.jambonz.org",
        b"User-Agent: jambonz",
    ]
    keys = [b"dGhlIHNhbXBsZSBub25jZQ==", b"AAECAwQFBgcICQoLDA0ODw==", b"short==", b"x y"]
    for _ in range(600):  # bounded, seeded
        lines = base_lines[1:]
        rng.shuffle(lines)
        if rng.random() < 0.5:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(extras))
        if rng.random() < 0.3:
            lines = [line.upper() if rng.random() < 0.3 else line for line in lines]
        key = rng.choice(keys)
        head = b"\r\n".join([base_lines[0], *lines]).replace(b"dGhlIHNhbXBsZSBub25jZQ==", key)
        for _ in range(2):  # the first answer may keep the shape; the second reuses it
            assert _direct.plain_upgrade(head, "ws.jambonz.org") == _reference_plain_upgrade(
                head, "ws.jambonz.org"
            ), head
    assert _direct._shapes  # some heads were plain, and their shapes were kept


async def test_the_templated_101_matches_websockets_own_answer() -> None:
    async with JambonzServer(app()) as fast, JambonzServer(app(), transport="asyncio") as slow:
        answers = []
        for server in (fast, slow):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(_PLAIN)
            lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
            answers.append([line for line in lines if not line.startswith(b"Date: ")])
            writer.close()
            await writer.wait_closed()
        assert answers[0] == answers[1]


async def test_a_request_in_pieces_and_frames_split_anywhere_are_served() -> None:
    async with JambonzServer(app()) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for piece in (_PLAIN[:20], _PLAIN[20:]):  # not the fast path: websockets parses it
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
        frame = _masked(_session_new("m1"))
        for i in range(0, len(frame), 7):
            writer.write(frame[i : i + 7])
            await writer.drain()
            await asyncio.sleep(0)
        opcode, payload = await _read_frame(reader)
        assert opcode == 0x81
        assert json.loads(payload)["msgid"] == "m1"
        writer.close()
        await writer.wait_closed()


async def test_fast_path_frames_pings_and_a_64_bit_length_in_one_segment() -> None:
    async with JambonzServer(app()) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        hook = json.dumps({"type": "verb:hook", "msgid": "m2", "hook": "/x", "data": {}})
        big = json.dumps(
            {"type": "verb:hook", "msgid": "m3", "hook": "/x", "data": {"pad": "x" * 70000}}
        )
        writer.write(
            _PLAIN
            + _masked(_session_new("m1"))
            + _masked(b"p1", opcode=0x9)  # a ping between two text frames
            + _masked(hook.encode())
            + _masked(big.encode())  # 64-bit length: websockets' parser from here on
            + _masked(b"p2", opcode=0x9)
        )
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
        seen = [await _read_frame(reader) for _ in range(5)]
        assert [(op, json.loads(p)["msgid"]) for op, p in seen if op == 0x81] == [
            (0x81, "m1"),
            (0x81, "m2"),
            (0x81, "m3"),
        ]
        assert [(op, p) for op, p in seen if op != 0x81] == [(0x8A, b"p1"), (0x8A, b"p2")]
        writer.write(_masked((1000).to_bytes(2, "big"), opcode=0x8))
        opcode, payload = await _read_frame(reader)
        assert opcode == 0x88
        assert payload == (1000).to_bytes(2, "big")
        assert await asyncio.wait_for(reader.read(), 2) == b""  # then closed by the server
        writer.close()
        await writer.wait_closed()


async def test_an_unmasked_frame_is_refused_with_1002_on_the_fast_path() -> None:
    async with JambonzServer(app()) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_PLAIN + b"\x81\x02hi")
        await reader.readuntil(b"\r\n\r\n")
        opcode, payload = await _read_frame(reader)
        assert opcode == 0x88
        assert int.from_bytes(payload[:2], "big") == 1002
        writer.close()
        await writer.wait_closed()


async def test_a_text_frame_inside_a_fragmented_message_is_refused_with_1002() -> None:
    async with JambonzServer(app()) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_PLAIN + _masked(b'{"type"', fin=False) + _masked(b"{}"))
        await reader.readuntil(b"\r\n\r\n")
        opcode, payload = await _read_frame(reader)
        assert opcode == 0x88
        assert int.from_bytes(payload[:2], "big") == 1002
        writer.close()
        await writer.wait_closed()


async def test_an_oversized_frame_is_refused_with_1009_from_its_header() -> None:
    async with JambonzServer(app(), max_message_size=100) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_PLAIN + _masked(b"x" * 200)[:10])  # the header says 200 bytes
        await reader.readuntil(b"\r\n\r\n")
        opcode, payload = await _read_frame(reader)
        assert opcode == 0x88
        assert int.from_bytes(payload[:2], "big") == 1009
        writer.close()
        await writer.wait_closed()


async def test_basic_auth_and_healthz_still_go_through_process_request() -> None:
    async with JambonzServer(app(), basic_auth=("u", "p")) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_PLAIN)
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 401")
        writer.close()
        await writer.wait_closed()
    async with JambonzServer(app()) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_PLAIN.replace(b"GET / ", b"GET /healthz "))
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        writer.close()
        await writer.wait_closed()


# -- the fast path's closing handshake, ping and pong, next to websockets' own -----------


async def _open_plain(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_PLAIN)
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    return reader, writer


async def _answers(server: JambonzServer, frames: bytes) -> tuple[bytes, bytes]:
    """The ack of a session:new, then everything the server writes after ``frames``
    up to its TCP close."""
    reader, writer = await _open_plain(server.port)
    writer.write(_masked(_session_new("m1")))
    opcode, ack = await _read_frame(reader)
    assert opcode == 0x81
    writer.write(frames)
    rest = await asyncio.wait_for(reader.read(), 2)  # read() returns at the server's FIN
    writer.close()
    await writer.wait_closed()
    return ack, rest


def _close_payload(code: int, reason: bytes = b"") -> bytes:
    return code.to_bytes(2, "big") + reason


_CLOSES = {  # a close payload and the code of the server's answer (None: echoed)
    "1000 and a reason": (_close_payload(1000, b"call over"), None),
    "no payload (1005)": (b"", None),
    "one byte": (b"\x03", 1002),
    "1005 in the frame": (_close_payload(1005), 1002),
    "1004 reserved": (_close_payload(1004), 1002),
    "999": (_close_payload(999), 1002),
    "5000": (_close_payload(5000), 1002),
    "3000": (_close_payload(3000), None),
    "4999 private": (_close_payload(4999, b"x"), None),
    "reason not UTF-8": (_close_payload(1000, b"\xff"), 1007),
    "125 bytes": (_close_payload(1001, b"r" * 123), None),
}


@pytest.mark.parametrize(("payload", "code"), list(_CLOSES.values()), ids=list(_CLOSES))
async def test_a_close_frame_is_answered_as_websockets_answers_it(
    payload: bytes, code: int | None, caplog: pytest.LogCaptureFixture
) -> None:
    # compression="deflate" turns the fast path off (the client offers no extension,
    # so the frames are the same): websockets' own answer, to compare with.
    logs = []
    answers = []
    for options in ({}, {"compression": "deflate"}):
        caplog.clear()
        with caplog.at_level(logging.INFO, "jambonz_runtime"):
            async with JambonzServer(app(), **options) as server:  # type: ignore[arg-type]
                answers.append(await _answers(server, _masked(payload, opcode=0x8)))
        logs.append([r.getMessage() for r in caplog.records if "socket" in r.getMessage()])
    assert answers[0] == answers[1]
    assert logs[0] == logs[1]
    assert logs[0]  # the session saw the socket go, with the same code both ways
    rest = answers[0][1]
    assert rest[0] == 0x88
    if code is None:
        assert rest[2:] == payload  # echoed as received
    else:
        assert int.from_bytes(rest[2:4], "big") == code


async def test_a_normal_close_ends_the_session_and_closes_tcp(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, "jambonz_runtime"):
        async with JambonzServer(app()) as server:
            _, rest = await _answers(server, _masked(_close_payload(1000), opcode=0x8))
            assert rest == b"\x88\x02" + _close_payload(1000)
    assert "socket closed normally: call over" in caplog.text


async def test_an_empty_close_is_echoed_empty_and_counts_as_1005(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, "jambonz_runtime"):
        async with JambonzServer(app()) as server:
            _, rest = await _answers(server, _masked(b"", opcode=0x8))
            assert rest == b"\x88\x00"
    assert "socket dropped (code 1005)" in caplog.text


@pytest.mark.parametrize(
    ("payload", "code"),
    [(b"\x03", 1002), (_close_payload(1016), 1002), (_close_payload(1000, b"\xc3"), 1007)],
    ids=["one byte", "invalid code", "bad UTF-8 reason"],
)
async def test_a_bad_close_frame_fails_the_socket(payload: bytes, code: int) -> None:
    async with JambonzServer(app()) as server:
        _, rest = await _answers(server, _masked(payload, opcode=0x8))
        assert rest[0] == 0x88
        assert int.from_bytes(rest[2:4], "big") == code


@pytest.mark.parametrize(
    "frame",
    [
        _masked(_close_payload(1000), opcode=0x8, fin=False),
        _masked(_close_payload(1000, b"r" * 124), opcode=0x8),  # 126 bytes
        _masked(b"p" * 126, opcode=0x9),
    ],
    ids=["fragmented close", "close too long", "ping too long"],
)
async def test_a_control_frame_websockets_refuses_fails_with_1002(frame: bytes) -> None:
    async with JambonzServer(app()) as server:
        _, rest = await _answers(server, frame)
        assert rest[0] == 0x88
        assert int.from_bytes(rest[2:4], "big") == 1002


async def test_a_close_in_pieces_and_frames_after_it_are_handled_like_websockets() -> None:
    hook = json.dumps({"type": "verb:hook", "msgid": "m2", "hook": "/x", "data": {}})
    frames = _masked(_close_payload(1000), opcode=0x8) + _masked(hook.encode())
    async with JambonzServer(app()) as server:
        reader, writer = await _open_plain(server.port)
        writer.write(frames[:3])  # an incomplete close frame waits for its rest
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(frames[3:])  # the hook after the close is discarded: no ack
        assert await asyncio.wait_for(reader.read(), 2) == b"\x88\x02" + _close_payload(1000)
        writer.close()
        await writer.wait_closed()


async def test_pings_are_answered_and_pongs_ignored_before_the_close() -> None:
    async with JambonzServer(app()) as server:
        reader, writer = await _open_plain(server.port)
        writer.write(
            _masked(b"", opcode=0x9)
            + _masked(b"unsolicited", opcode=0xA)
            + _masked(b"x" * 125, opcode=0x9)
            + _masked(_close_payload(1001), opcode=0x8)
        )
        rest = await asyncio.wait_for(reader.read(), 2)
        assert rest == b"\x8a\x00" + b"\x8a\x7d" + b"x" * 125 + b"\x88\x02" + _close_payload(1001)
        writer.close()
        await writer.wait_closed()


def _closing_app(
    code: int, release: asyncio.Event | None = None, finished: asyncio.Event | None = None
) -> App:
    """An app that closes the socket from its session:new handler (after ``release``;
    ``finished`` is set when the handler returns)."""
    application = App()

    @application.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> list[Say]:
        if release is not None:
            await release.wait()
        await session.close(code, "bye")
        if finished is not None:
            finished.set()
        return []

    return application


async def test_a_server_close_waits_for_the_peer_close_then_closes_tcp(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, "jambonz_runtime"):
        async with JambonzServer(_closing_app(1000)) as server:
            reader, writer = await _open_plain(server.port)
            writer.write(_masked(_session_new("m1")))
            opcode, payload = await _read_frame(reader)
            assert (opcode, payload) == (0x88, _close_payload(1000, b"bye"))
            writer.write(_masked(b"p", opcode=0x9))  # still answered while closing
            assert await _read_frame(reader) == (0x8A, b"p")
            writer.write(_masked(_close_payload(1000), opcode=0x8))
            assert await asyncio.wait_for(reader.read(), 2) == b""  # no second close
            writer.close()
            await writer.wait_closed()
    assert "socket closed normally: call over" in caplog.text


async def test_a_text_frame_after_a_server_close_goes_to_websockets_while_closing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook = json.dumps({"type": "verb:hook", "msgid": "m2", "hook": "/x", "data": {}})
    with caplog.at_level(logging.INFO, "jambonz_runtime"):
        async with JambonzServer(_closing_app(4000)) as server:
            reader, writer = await _open_plain(server.port)
            writer.write(_masked(_session_new("m1")))
            assert await _read_frame(reader) == (0x88, _close_payload(4000, b"bye"))
            # websockets takes the socket over, knowing a close frame went out already
            writer.write(_masked(hook.encode()) + _masked(_close_payload(1000), opcode=0x8))
            assert await asyncio.wait_for(reader.read(), 2) == b""
            writer.close()
            await writer.wait_closed()
    assert "socket closed normally: call over" in caplog.text  # the peer's code: 1000


async def test_a_close_while_a_handler_runs_is_answered_and_the_handler_finishes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    finished = asyncio.Event()
    with caplog.at_level(logging.INFO, "jambonz_runtime"):
        async with JambonzServer(_closing_app(1000, release, finished)) as server:
            reader, writer = await _open_plain(server.port)
            writer.write(_masked(_session_new("m1")) + _masked(_close_payload(1000), opcode=0x8))
            # answered and closed while the handler still waits for ``release``
            echo = await asyncio.wait_for(reader.read(), 2)
            assert echo == b"\x88\x02" + _close_payload(1000)
            assert not finished.is_set()
            writer.close()
            await writer.wait_closed()
            release.set()  # the handler closes a socket that is gone: no error
            await asyncio.wait_for(finished.wait(), 2)
        # leaving the server waited for the socket and its handler, then stopped
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "socket closed normally: call over" in caplog.text


async def test_a_half_close_without_a_close_frame_is_handled_like_websockets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logs = []
    for options in ({}, {"compression": "deflate"}):
        caplog.clear()
        with caplog.at_level(logging.INFO, "jambonz_runtime"):
            async with JambonzServer(app(), **options) as server:  # type: ignore[arg-type]
                reader, writer = await _open_plain(server.port)
                writer.write(_masked(_session_new("m1")))
                assert (await _read_frame(reader))[0] == 0x81
                writer.write_eof()
                assert await asyncio.wait_for(reader.read(), 2) == b""
                writer.close()
                await writer.wait_closed()
        logs.append([r.getMessage() for r in caplog.records if "socket" in r.getMessage()])
    assert logs[0] == logs[1]
    assert any("socket dropped (code 1006)" in line for line in logs[0])


# -- timeouts: one loop timer per kind, not one per socket --------------------------------


async def test_only_sockets_still_in_the_handshake_are_dropped_after_open_timeout() -> None:
    async with JambonzServer(app(), open_timeout=0.1) as server:
        done_reader, done_writer = await _open_plain(server.port)  # its timeout cancelled
        stalled = []
        for _ in range(3):  # deadlines queued behind the cancelled one
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET / HTTP/1.1\r\n")
            stalled.append((reader, writer))
        for reader, writer in stalled:
            assert await asyncio.wait_for(reader.read(), 2) == b""  # dropped
            writer.close()
            await writer.wait_closed()
        # long past the upgraded socket's own deadline, it still answers
        done_writer.write(_masked(_session_new("m1")))
        opcode, payload = await _read_frame(done_reader)
        assert (opcode, json.loads(payload)["msgid"]) == (0x81, "m1")
        done_writer.close()
        await done_writer.wait_closed()


async def test_a_peer_that_never_answers_a_server_close_is_aborted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_direct, "CLOSE_TIMEOUT", 0.05)
    async with JambonzServer(_closing_app(1000)) as server:
        reader, writer = await _open_plain(server.port)
        writer.write(_masked(_session_new("m1")))
        assert await _read_frame(reader) == (0x88, _close_payload(1000, b"bye"))
        try:  # no close frame back: the server aborts the connection
            assert await asyncio.wait_for(reader.read(), 2) == b""
        except ConnectionResetError:
            pass
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionResetError:
            pass
