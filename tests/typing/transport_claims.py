"""Typing claims about the two transports, checked by mypy --strict (never run).

* ``App()`` is an ``App[Session]``: its handlers may use the websocket commands, and
  ``WebhookApp`` refuses it (there is no socket over HTTP);
* an ``App[CallContext]`` is served by both ``serve``/``JambonzServer`` and ``WebhookApp``
  (``App`` is contravariant in its context type); its handlers cannot call a command,
  and cannot be written against ``Session``;
* ``WebhookApp`` fits a Starlette/FastAPI mount (their ``ASGIApp`` type, restated here);
* the REST client's answers are typed.

Negative cases carry the precise ignore code; ``warn_unused_ignores`` keeps them honest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from typing_extensions import assert_type

from jambonz_runtime import (
    App,
    CallContext,
    JambonzServer,
    RestClient,
    Session,
    WebhookApp,
    WebhookResponse,
    WebhookSession,
)
from jambonz_runtime.rest import CallInfo, CreateCallRequest, CreatedCall, SipRequestResult
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback

__all__: list[str] = []

# Starlette's own aliases (starlette.types), restated so no Starlette install is needed.
StarletteScope = MutableMapping[str, Any]
StarletteMessage = MutableMapping[str, Any]
StarletteReceive = Callable[[], Awaitable[StarletteMessage]]
StarletteSend = Callable[[StarletteMessage], Awaitable[None]]
StarletteASGIApp = Callable[[StarletteScope, StarletteReceive, StarletteSend], Awaitable[None]]


def websocket_only_app() -> None:
    app = App()
    assert_type(app, App[Session])

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        await session.hangup()
        return Verbs()

    JambonzServer(app)
    WebhookApp(app)  # type: ignore[arg-type]


def both_transports() -> None:
    app = App[CallContext]()

    @app.on_session("/")
    async def start(session: CallContext, call: SessionNewCallback) -> Verbs:
        session.state["seen"] = True
        if isinstance(session, Session):  # explicit narrowing reaches the commands
            await session.hangup()
        return Verbs().say(text=str(session.env))

    @app.action_hook("/menu")
    async def menu(session: CallContext, result: GatherCallback) -> WebhookResponse:
        await session.hangup()  # type: ignore[attr-defined]
        return WebhookResponse().hangup()

    async def needs_socket(session: Session, call: SessionNewCallback) -> None:
        return None

    app.on_session("/other")(needs_socket)  # type: ignore[arg-type]

    JambonzServer(app)
    webhook = WebhookApp(app)
    mount: StarletteASGIApp = webhook
    assert_type(webhook.sessions["sid"], WebhookSession)
    assert mount is webhook


def webhook_only_app() -> None:
    app = App[WebhookSession]()

    @app.on_session("/")
    async def start(session: WebhookSession, call: SessionNewCallback) -> None:
        assert_type(session.ended, bool)

    WebhookApp(app)
    JambonzServer(app)  # type: ignore[arg-type]


async def rest(client: RestClient, request: CreateCallRequest) -> None:
    assert_type(await client.calls.create(request), CreatedCall)
    assert_type(await client.calls.get("sid"), CallInfo)
    assert_type(await client.calls.list(call_status="in-progress"), list[CallInfo])
    assert_type(
        await client.calls.sip_request("sid", method="INFO", content_type="t", content="c"),
        SipRequestResult | None,
    )
    await client.calls.list(call_status="talking")  # type: ignore[arg-type]
    await client.calls.listen_status("sid", "stop")  # type: ignore[arg-type]
    await client.calls.whisper("sid", Verbs())  # type: ignore[arg-type]
