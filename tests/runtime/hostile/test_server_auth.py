"""Per-path Basic auth on the websocket server, over real TCP (issue 16, item 5).

An app declares its jambonz application's credentials (``App(basic_auth=...)``, for
all its paths or per path); a wrong or missing ``Authorization`` is answered 401 with a
``WWW-Authenticate`` challenge, written before the connection closes, on both
transports, and a malformed header is a 401 too, never a 500 or a dropped connection.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import textwrap
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from jambonz_runtime import App, JambonzAudioStream, JambonzServer, Session
from jambonz_runtime.server._wslog import PeerSafeLogger
from jambonz_types import Verbs
from jambonz_types.callbacks import SessionNewCallback

from .conftest import LogCapture

PROTO = [Subprotocol("ws.jambonz.org")]


@pytest.fixture(params=["direct", "asyncio"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def two_path_app() -> App:
    app = App(basic_auth={"/sales": ("sales", "pw-sales")})

    @app.on_session("/sales")
    async def sales(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().say(text="sales")

    @app.on_session("/open")
    async def open_(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().say(text="open")

    return app


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def _status(url: str, header: str | None) -> tuple[int, str | None]:
    headers = {"Authorization": header} if header is not None else None
    try:
        ws = await connect(url, subprotocols=PROTO, additional_headers=headers)
    except InvalidStatus as exc:
        return exc.response.status_code, exc.response.headers.get("WWW-Authenticate")
    await ws.close()
    return 101, None


async def test_app_declares_credentials_per_path(transport: str, logs: LogCapture) -> None:
    other = App(basic_auth=("other", "pw-other"))

    @other.on_session("/other")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs()

    server = JambonzServer([two_path_app(), other], port=0, transport=transport)  # type: ignore[arg-type]
    async with server:
        base = server.url
        assert await _status(base + "/open", None) == (101, None)
        status, challenge = await _status(base + "/sales", None)
        assert status == 401
        assert challenge is not None
        assert challenge.startswith('Basic realm="jambonz"')
        assert (await _status(base + "/sales", _basic("sales", "wrong")))[0] == 401
        assert (await _status(base + "/sales", _basic("other", "pw-other")))[0] == 401
        assert (await _status(base + "/sales", _basic("sales", "pw-sales")))[0] == 101
        assert (await _status(base + "/other", _basic("other", "pw-other")))[0] == 101
        assert (await _status(base + "/other", _basic("sales", "pw-sales")))[0] == 401
    assert logs.tracebacks() == []


async def test_server_wide_credentials_cover_paths_that_declare_none(transport: str) -> None:
    server = JambonzServer(two_path_app(), port=0, transport=transport, basic_auth=("srv", "pw"))  # type: ignore[arg-type]
    async with server:
        assert (await _status(server.url + "/open", None))[0] == 401
        assert (await _status(server.url + "/open", _basic("srv", "pw")))[0] == 101
        # a path with its own declaration uses it, not the server's
        assert (await _status(server.url + "/sales", _basic("srv", "pw")))[0] == 401


async def _raw_upgrade(port: int, authorization: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /sales HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Protocol: ws.jambonz.org\r\nAuthorization: " + authorization + b"\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)  # to EOF: written, then closed
    writer.close()
    return answer


@pytest.mark.parametrize(
    "header",
    [
        "Basic \u00e9\u00e9\u00e9".encode("latin-1"),
        b"Basic " + b"A" * 6000,
        b"Basic !!",
        b"Bearer x",
    ],
)
async def test_malformed_authorization_is_a_401_answer_not_a_drop(
    transport: str, logs: LogCapture, header: bytes
) -> None:
    server = JambonzServer(two_path_app(), port=0, transport=transport)  # type: ignore[arg-type]
    async with server:
        answer = await _raw_upgrade(server.port, header)
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert b"WWW-Authenticate: Basic" in answer
    assert logs.tracebacks() == []


def test_readme_reliability_snippet_declares_per_path_credentials() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "README.md: no python block under '## Reliability'"
    namespace: dict[str, object] = {"App": App}
    exec(compile(textwrap.dedent(match.group(1)), "README.md", "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, App)
    assert app.basic_auth == {"/sales": ("sales", "s3cret"), "/support": ("support", "0ther")}


@pytest.mark.parametrize(
    "garbage",
    [b"\x16\x03\x01\x00\xa5\x01\x00", b"GET / HTTP/1.1\r\nX: " + b"y" * 70_000 + b"\r\n\r\n"],
)
async def test_http_garbage_before_the_handshake_is_never_a_traceback(
    transport: str, logs: LogCapture, garbage: bytes
) -> None:
    # websockets < 17 (Python 3.10) logged each failed handshake at ERROR with a
    # traceback; jambonz_runtime.server._wslog makes it one INFO line everywhere
    server = JambonzServer(two_path_app(), port=0, transport=transport, open_timeout=0.5)  # type: ignore[arg-type]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(garbage)
        await writer.drain()
        writer.write_eof()
        await asyncio.wait_for(reader.read(), 5)  # the server ends the connection
        writer.close()
    assert logs.tracebacks() == []
    assert all(len(line.encode()) <= 512 for line in logs.since(0))


def test_peer_safe_logger_passes_other_records_unchanged(logs: LogCapture) -> None:
    log = PeerSafeLogger(logging.getLogger("jambonz_runtime.server"))
    log.info("connection %s", "open")
    try:
        raise ValueError("boom")
    except ValueError:
        log.error("opening handshake failed", exc_info=True)
        log.error("connection handler failed", exc_info=True)
    assert logs.lines[-3] == "INFO jambonz_runtime.server connection open"
    assert (
        logs.lines[-2] == "INFO jambonz_runtime.server opening handshake failed: 'ValueError: boom'"
    )
    assert logs.lines[-1].startswith(
        "ERROR jambonz_runtime.server connection handler failed\nTraceback"
    )


async def test_an_app_protects_its_audio_path_too(logs: LogCapture) -> None:
    app = App(basic_auth={"/audio": ("media", "pw")})

    @app.on_audio("/audio")
    async def echo(stream: JambonzAudioStream) -> None:
        async for frame in stream:
            await stream.send_audio(frame)

    async with JambonzServer(app, port=0) as server:
        url = server.url + "/audio"
        proto = [Subprotocol("audio.drachtio.org")]
        with pytest.raises(InvalidStatus) as info:
            await connect(url, subprotocols=proto)
        assert info.value.response.status_code == 401
        assert "WWW-Authenticate" in info.value.response.headers
        ws = await connect(
            url, subprotocols=proto, additional_headers={"Authorization": _basic("media", "pw")}
        )
        await ws.close()
    assert logs.tracebacks() == []
