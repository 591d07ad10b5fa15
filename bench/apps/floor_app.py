"""The floor: what any Python app on uvloop pays per echo call for sockets and the loop.

Not an SDK and not correct for anything but the bench's echo scenario: a bare
``asyncio.Protocol`` that answers the upgrade with a canned 101, unmasks each frame,
reads ``type``/``msgid`` with ``json.loads`` and writes one canned ack per
``session:new`` / ``verb:hook``; it echoes the close and closes. No validation, no
handler, no state. Its app CPU per call is the part of every other column that no
library can remove (accept, reads, writes, close, epoll, the loop's callbacks).

    python bench/apps/floor_app.py --port 3000
    python -m bench.driver --url ws://127.0.0.1:3000 --pid <pid> --no-deflate --plan echo:50:3000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json

from jambonz_runtime import run as run_loop
from jambonz_runtime.server._direct import _apply_mask

__all__ = ["main"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_ACK_VERBS = [
    {
        "verb": "gather",
        "input": ["speech", "digits"],
        "actionHook": "/echo",
        "timeout": 10,
        "say": {"text": "Say something else."},
    }
]


def _frame(data: bytes) -> bytes:
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    return bytes((0x81, 126)) + size.to_bytes(2, "big") + data


class _Floor(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.upgraded = False
        self.rest = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        if not self.upgraded:
            start = data.index(b"Sec-WebSocket-Key: ") + 19
            key = data[start : data.index(b"\r\n", start)]
            accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
            transport.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
                b"Sec-WebSocket-Protocol: ws.jambonz.org\r\n\r\n"
            )
            self.upgraded = True
            return
        data = self.rest + data
        out: list[bytes] = []
        while len(data) >= 6:
            opcode, size, start = data[0] & 0x0F, data[1] & 0x7F, 2
            if size == 126:
                size, start = int.from_bytes(data[2:4], "big"), 4
            end = start + 4 + size
            if len(data) < end:
                break
            payload = _apply_mask(data[start + 4 : end], data[start : start + 4])
            data = data[end:]
            if opcode == 0x8:
                transport.write(b"".join(out) + b"\x88\x02\x03\xe8")
                transport.close()
                return
            message = json.loads(payload)
            if message["type"] in ("session:new", "verb:hook"):
                ack = {"type": "ack", "msgid": message["msgid"], "data": _ACK_VERBS}
                out.append(_frame(json.dumps(ack).encode()))
        self.rest = data
        if out:
            transport.write(b"".join(out))


async def _serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Floor, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    run_loop(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
