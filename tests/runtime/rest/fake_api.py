"""A fake jambonz REST API: a small asyncio HTTP/1.1 server on 127.0.0.1 for client tests.

It records every request (method, path, query, headers, body) and answers from a script
keyed by ``(method, path)``; an unscripted request gets 404 ``{"msg": "not scripted"}``.
One request per connection (``Connection: close``), which httpx handles; every read is
bounded by the test's own timeout and by the request limits below.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from pydantic import JsonValue
from typing_extensions import Self

__all__ = ["FakeApi", "Recorded", "Scripted"]

_MAX_HEAD = 64 * 1024
_MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Recorded:
    """One request the fake server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> JsonValue:
        """The body as JSON."""
        parsed: JsonValue = json.loads(self.body)
        return parsed


@dataclass(frozen=True)
class Scripted:
    """One scripted answer."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    reason: str = "Scripted"
    headers: tuple[tuple[str, str], ...] = ()
    hold: asyncio.Event | None = None
    """Answer only once this is set (a slow server for timeout tests)."""


@dataclass
class FakeApi:
    """The fake server; an async context manager (``url`` once entered)."""

    requests: list[Recorded] = field(default_factory=list)
    _script: dict[tuple[str, str], deque[Scripted]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "not started"
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def respond(
        self,
        method: str,
        path: str,
        status: int = 200,
        *,
        json_body: JsonValue = None,
        text: str | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        hold: asyncio.Event | None = None,
    ) -> None:
        """Queue one answer for ``method path`` (answers are used in order, once each)."""
        if text is not None:
            body, kind = text.encode(), content_type or "text/plain; charset=utf-8"
        elif json_body is not None:
            body, kind = json.dumps(json_body).encode(), content_type or "application/json"
        else:
            body, kind = b"", content_type or "application/json"
        extra = tuple((headers or {}).items())
        self._script[(method.upper(), path)].append(
            Scripted(status, body, kind, headers=extra, hold=hold)
        )

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        assert len(head) <= _MAX_HEAD
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        assert length <= _MAX_BODY
        body = await reader.readexactly(length) if length else b""
        parts = urlsplit(target)
        # Recorded before answering: once the client has its answer, the record is there.
        self.requests.append(Recorded(method, parts.path, parse_qs(parts.query), headers, body))
        queue = self._script.get((method, parts.path))
        answer = (
            queue.popleft()
            if queue
            else Scripted(404, json.dumps({"msg": f"not scripted: {method} {parts.path}"}).encode())
        )
        if answer.hold is not None:
            await answer.hold.wait()
        head_out = (
            f"HTTP/1.1 {answer.status} {answer.reason}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in answer.headers)
            + f"Content-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        writer.write(head_out.encode("latin-1") + answer.body)
        await writer.drain()
        writer.close()

    def unused(self) -> list[tuple[str, str]]:
        """Scripted answers never requested (a test should leave none)."""
        return [key for key, queue in self._script.items() for _ in queue]
