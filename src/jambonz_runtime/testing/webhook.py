"""Test an HTTP webhook app in-process: jambonz-shaped, signed requests into an ASGI app.

Why: a webhook app should be testable without a jambonz account, a web server or a
socket. :class:`WebhookSimulator` calls any ASGI 3 application directly (no server, no
network: ``await app(scope, receive, send)``) with what jambonz sends: a JSON POST of the
hook payload, compact like ``JSON.stringify``, signed with ``Jambonz-Signature`` when a
secret is given, ``User-Agent: jambonz``. It is also a tiny general ASGI client
(:meth:`WebhookSimulator.request`) for the cases jambonz would not produce (tampered
bodies, stale signatures, other methods)::

    sim = WebhookSimulator(WebhookApp(app, secret="s3cret"), secret="s3cret")
    call = await sim.call("/", from_="+15551230000")
    assert call.answer.verb_names == ["say", "gather"]
    result = await call.hook(menu, GatherCallback(reason="dtmfDetected", digits="1"))
    await call.status("completed")

Every request is bounded by ``timeout`` (default 5 s).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import JsonValue

from jambonz_types import HookRef, JambonzCallback

from ..webhook.signature import SIGNATURE_HEADER, sign

__all__ = ["ASGIApp", "WebhookCall", "WebhookResult", "WebhookSimulator"]

P = TypeVar("P", bound=JambonzCallback)

ASGIApp = Callable[
    [
        Mapping[str, object],
        Callable[[], Awaitable[Mapping[str, object]]],
        Callable[[MutableMapping[str, object]], Awaitable[None]],
    ],
    Awaitable[None],
]
"""An ASGI 3 application (what :class:`WebhookSimulator` drives)."""


@dataclass(frozen=True)
class WebhookResult:
    """The app's HTTP answer to one request."""

    status: int
    """The HTTP status."""
    headers: dict[str, str]
    """Response headers, lower-cased names."""
    body: bytes
    """The response body."""

    def json(self) -> JsonValue:
        """The body parsed as JSON.

        Raises:
            ValueError: the body is not JSON.
        """
        parsed: JsonValue = json.loads(self.body)
        return parsed

    @property
    def verbs(self) -> list[dict[str, JsonValue]]:
        """The answer as a wire verb array (what jambonz would run).

        Raises:
            AssertionError: not a 200 ``application/json`` array of objects.
        """
        assert self.status == 200, f"status {self.status}: {self.body[:200]!r}"
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        data = self.json()
        assert isinstance(data, list), data
        verbs: list[dict[str, JsonValue]] = []
        for verb in data:
            assert isinstance(verb, dict), verb
            verbs.append(verb)
        return verbs

    @property
    def verb_names(self) -> list[str]:
        """The ``verb`` of each verb in :attr:`verbs`."""
        return [str(v.get("verb")) for v in self.verbs]


def _payload(data: JambonzCallback | Mapping[str, JsonValue] | None) -> dict[str, JsonValue]:
    if data is None:
        return {}
    if isinstance(data, JambonzCallback):
        return data.to_dict()
    return dict(data)


def _compact(payload: Mapping[str, JsonValue]) -> bytes:
    # JSON.stringify's shape: no spaces; non-ASCII kept as UTF-8.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class WebhookSimulator:
    """Plays jambonz's HTTP side against an ASGI app, in-process.

    Args:
        app: the ASGI application (a :class:`~jambonz_runtime.webhook.WebhookApp`, or a
            Starlette/FastAPI app it is mounted in).
        secret: sign every jambonz request with this webhook secret (``None``: unsigned).
        basic_auth: ``(username, password)`` sent on every jambonz request.
        root_path: the ASGI ``root_path`` (a mount prefix the app should strip).
        timeout: seconds one request may take.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        root_path: str = "",
        timeout: float = 5.0,
    ) -> None:
        self.app = app
        self.secret = secret
        self.basic_auth = basic_auth
        self.root_path = root_path
        self.timeout = timeout

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        query: str = "",
        chunk_size: int | None = None,
    ) -> WebhookResult:
        """Send one raw HTTP request to the app and return its answer.

        ``path`` is the full request path (including :attr:`root_path` if the app is
        mounted); ``chunk_size`` splits the body over several ASGI messages.

        Raises:
            TimeoutError: the app did not answer within ``timeout``.
            AssertionError: the app broke the ASGI response protocol.
        """
        size = chunk_size or max(len(body), 1)
        chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        incoming: list[MutableMapping[str, object]] = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]
        sent: list[MutableMapping[str, object]] = []
        finished = asyncio.Event()

        async def receive() -> Mapping[str, object]:
            if incoming:
                return incoming.pop(0)
            await finished.wait()  # like a server: disconnect only after the response
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, object]) -> None:
            sent.append(message)
            if message.get("type") == "http.response.body" and not message.get("more_body"):
                finished.set()

        raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()
        ]
        if body and not any(k == b"content-length" for k, _ in raw_headers):
            raw_headers.append((b"content-length", str(len(body)).encode("ascii")))
        scope: dict[str, object] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("utf-8"),
            "root_path": self.root_path,
            "query_string": query.encode("latin-1"),
            "headers": raw_headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 3000),
        }
        await asyncio.wait_for(self.app(scope, receive, send), self.timeout)
        return _collect(sent)

    async def post(
        self,
        path: str,
        payload: JambonzCallback | Mapping[str, JsonValue] | None,
        *,
        signed: bool = True,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WebhookResult:
        """POST a payload as jambonz does (compact JSON, signed if a secret is set)."""
        body = _compact(_payload(payload))
        return await self.request(
            "POST", path, body=body, headers=self._headers(body, signed, timestamp, headers)
        )

    async def get(
        self, path: str, *, query: str = "", headers: Mapping[str, str] | None = None
    ) -> WebhookResult:
        """GET a hook as jambonz does for ``method: GET`` hooks (no payload is sent)."""
        return await self.request(
            "GET", path, query=query, headers=self._headers(b"", False, None, headers)
        )

    async def options(self, path: str = "/") -> WebhookResult:
        """The portal's env-var discovery request (unsigned, no auth)."""
        return await self.request("OPTIONS", path, headers={"Accept": "application/json"})

    def _headers(
        self, body: bytes, signed: bool, timestamp: int | None, extra: Mapping[str, str] | None
    ) -> dict[str, str]:
        headers = {"User-Agent": "jambonz", "Content-Type": "application/json"}
        if self.basic_auth is not None:
            token = base64.b64encode(":".join(self.basic_auth).encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        if signed and self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(body, self.secret, timestamp=timestamp)
        headers.update(extra or {})
        return headers

    async def call(
        self,
        path: str = "/",
        *,
        call_sid: str | None = None,
        from_: str = "+15551230000",
        to: str = "+15559870000",
        **extra: JsonValue,
    ) -> WebhookCall:
        """Start a call: POST the call hook with inbound call info; returns the call.

        Its answer (the first verbs) is :attr:`WebhookCall.answer`; ``extra`` keys are
        added to the payload (``env_vars={...}``, ``customerData={...}``, ...).
        """
        sid = call_sid or str(uuid.uuid4())
        info: dict[str, JsonValue] = {
            "call_sid": sid,
            "direction": "inbound",
            "from": from_,
            "to": to,
            "call_id": f"{uuid.uuid4()}@127.0.0.1",
            "sbc_callid": str(uuid.uuid4()),
            "sip_status": 100,
            "sip_reason": "Trying",
            "call_status": "trying",
            "account_sid": "00000000-0000-4000-8000-00000000acc7",
            "application_sid": "00000000-0000-4000-8000-000000000a99",
            "trace_id": secrets.token_hex(16),
            "caller_name": from_,
            "originating_sip_ip": "127.0.0.1",
        }
        info.update(extra)
        answer = await self.post(path, info)
        return WebhookCall(self, sid, info, answer)


@dataclass
class WebhookCall:
    """One simulated call: its call info, and helpers for its later webhooks."""

    sim: WebhookSimulator
    """The simulator it runs on."""
    call_sid: str
    """The call sid."""
    call_info: dict[str, JsonValue]
    """The call hook payload (merged under every hook payload, as jambonz does)."""
    answer: WebhookResult
    """The app's answer to the call hook."""
    history: list[WebhookResult] = field(default_factory=list)
    """Answers to this call's later requests, in order."""

    async def hook(
        self, hook: str | HookRef[P], payload: P | Mapping[str, JsonValue] | None = None
    ) -> WebhookResult:
        """POST a verb hook: the payload merged over the call info, as jambonz does."""
        data = {k: v for k, v in self.call_info.items() if k != "sip"}
        data["call_status"] = "in-progress"
        data.update(_payload(payload))
        path = hook if isinstance(hook, str) else hook.path
        result = await self.sim.post(path, data)
        self.history.append(result)
        return result

    async def status(
        self, call_status: str = "in-progress", *, path: str = "/call-status", **extra: JsonValue
    ) -> WebhookResult:
        """POST the call-status hook (``completed`` ends the call)."""
        data = {k: v for k, v in self.call_info.items() if k != "sip"}
        data["call_status"] = call_status
        data.update(extra)
        result = await self.sim.post(path, data)
        self.history.append(result)
        return result


def _collect(sent: list[MutableMapping[str, object]]) -> WebhookResult:
    assert sent, "the app sent nothing"
    start = sent[0]
    assert start.get("type") == "http.response.start", start
    status = start.get("status")
    assert isinstance(status, int), start
    headers: dict[str, str] = {}
    raw = start.get("headers", [])
    assert isinstance(raw, list), start
    for name, value in raw:
        headers[bytes(name).decode("latin-1").lower()] = bytes(value).decode("latin-1")
    body = b""
    for message in sent[1:]:
        assert message.get("type") == "http.response.body", message
        chunk = message.get("body", b"")
        assert isinstance(chunk, bytes), message
        body += chunk
    return WebhookResult(status, headers, body)
