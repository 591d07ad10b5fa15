"""``WebhookApp``: serve an :class:`~jambonz_runtime.app.App` as jambonz HTTP webhooks (ASGI).

Why: many jambonz apps use HTTP webhooks instead of a websocket. The same ``App`` and
the same typed handlers serve both transports; this is a plain ASGI 3 callable (no web
framework needed), so it runs under uvicorn/hypercorn and mounts into Starlette or
FastAPI. What jambonz sends (feature-server ``lib/utils/http-requestor.js``;
``docs/protocol.md`` §6):

* every hook is a ``POST`` of the JSON payload (``Content-Type: application/json``) to
  the hook URL; relative hooks (``/menu``) are resolved against the call hook's
  *scheme://host:port*, so the call hook's own path is dropped. A ``GET`` hook carries
  no payload in feature-server 0.9.8 (only the URL's own query string);
* the answer to a call hook or verb hook is a JSON array of verbs, read only from a
  200/202/204 with ``Content-Type: application/json``; anything else is an error (the
  call hook's then rejects the call);
* the call-status hook (an application setting, its own URL) gets call-status payloads
  and its answer is ignored;
* ``Jambonz-Signature`` signs every request with the account's webhook secret; an
  ``OPTIONS`` to the call hook URL (unsigned) asks for the env-var schema.

Routing by request path (the mount prefix, ``root_path``, removed):

====================================  =============================================
path                                  handled by
====================================  =============================================
an ``on_session`` path                that handler (the call starts; ``session:new``)
``status_path`` (``/call-status``)    ``app.on("call:status")``; answered 204
an ``action_hook`` path               that handler, payload typed by its model
``.../adulting``                      ``app.on_adulting`` (a dialed leg's own app)
anything else                         ``app.on("verb:hook")`` if set, else 404
====================================  =============================================

A hook matches by its path relative to the mount point or by the full path, so an app
mounted under ``/jambonz`` may register hooks as ``/jambonz/menu`` (which is what a
relative hook needs to reach it). A handler that raises, or a payload that does not fit
its model, is logged with the call sid and answered with the app's ``error_reply``
(the call goes on); a body that is not a JSON object gets 400; a bad or missing
signature 401; none of them ever stops the server.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import inspect
import json
import logging
import time
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeAlias, cast
from urllib.parse import parse_qsl

from pydantic import BaseModel, JsonValue, ValidationError
from typing_extensions import TypeVar

from jambonz_types import check_jambonz_version
from jambonz_types.callbacks import SessionNewCallback

from .._log import call_logger
from ..app import App, _Hook, _Notify
from ..context import CallContext
from ..exceptions import ConfigurationError, HandlerError, SignatureError, preview
from ..protocol._replies import Reply, to_wire
from ..session import Session
from ._response import MEDIA_TYPE, encode_verbs
from ._session import WebhookSession
from ._startup import announce, startup_line
from .signature import DEFAULT_TOLERANCE, SIGNATURE_HEADER, verify_signature

__all__ = ["ASGIMessage", "ASGIReceive", "ASGIScope", "ASGISend", "WebhookApp"]

_StateT = TypeVar("_StateT", default=dict[str, object])

_log = logging.getLogger("jambonz_runtime.webhook")

ASGIScope: TypeAlias = Mapping[str, object]
"""An ASGI connection scope (read only here)."""
ASGIMessage: TypeAlias = Mapping[str, object]
"""An ASGI event received from the server."""
ASGIReceive: TypeAlias = Callable[[], Awaitable[ASGIMessage]]
"""The ASGI ``receive`` callable."""
ASGISend: TypeAlias = Callable[[MutableMapping[str, object]], Awaitable[None]]
"""The ASGI ``send`` callable (Starlette's ``Send`` fits it)."""

_CALL_OVER: Final = frozenset({"completed", "failed", "busy", "no-answer"})
_ADULTING: Final = "/adulting"
_ALLOW: Final = "GET, POST, OPTIONS"
_AnyHandler: TypeAlias = Callable[[WebhookSession[Any], BaseModel], Awaitable[object]]


@dataclass(frozen=True)
class _Request:
    method: str
    path: str  # relative to the mount point (root_path removed)
    full_path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def label(self) -> str:
        return f"{self.method} {self.full_path}"


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    extra: tuple[tuple[str, str], ...] = ()


def _text(status: int, text: str, *extra: tuple[str, str]) -> _Answer:
    return _Answer(status, text.encode("utf-8"), extra=extra)


def _norm(path: str) -> str:
    return path.rstrip("/") or "/"


def _first_param_annotation(handler: Callable[..., object]) -> object:
    try:
        params = list(inspect.signature(handler).parameters.values())
        hints = typing.get_type_hints(handler)
    except Exception:  # unresolvable annotations: nothing to check
        return None
    if not params:
        return None
    return hints.get(params[0].name)


class WebhookApp(Generic[_StateT]):
    """An ASGI application serving ``app`` as jambonz HTTP webhooks.

    ``app`` must be an ``App[CallContext]`` (handlers written for both transports) or an
    ``App[WebhookSession]``: handlers get a :class:`WebhookSession`, which has no socket
    commands. mypy refuses an ``App[Session]`` here; at run time a handler annotated
    with ``Session`` is refused too (:class:`ConfigurationError`).

    Args:
        app: the app (its ``on_session``, ``action_hook``, ``on_adulting`` and ``on``
            handlers, ``env_vars`` and ``error_reply`` are used).
        secret: the account's webhook secret (or several, during a rotation). Given, every
            hook request must carry a valid ``Jambonz-Signature`` (else 401 and a log
            line); ``None`` checks nothing.
        signature_tolerance: seconds a signature's timestamp may be off (replay window);
            ``None`` disables the time check.
        status_path: path of the application's call-status hook; ``None``: no status
            route.
        basic_auth: ``(username, password)`` required on every hook request (jambonz
            sends it when the hook has credentials); ``OPTIONS`` stays open.
        max_body_bytes: biggest request body accepted (413 above).
        session_idle_timeout: seconds a call's :class:`WebhookSession` is kept without any
            request (the final call-status hook ends it at once).
        response_warning_after: seconds after which a handler still running is logged:
            jambonz gives up after ``JAMBONES_HTTP_TIMEOUT`` (10 s by default).

    Raises:
        ConfigurationError: a handler annotated with ``Session``, an ``app.flow`` (flows
            need the websocket), a path both a call hook and an action hook
            (indistinguishable over HTTP), the status path taken, or an empty secret.
    """

    def __init__(
        self,
        app: App[WebhookSession[_StateT]] | App[CallContext[_StateT]],
        *,
        secret: str | Sequence[str] | None = None,
        signature_tolerance: float | None = DEFAULT_TOLERANCE,
        status_path: str | None = "/call-status",
        basic_auth: tuple[str, str] | None = None,
        max_body_bytes: int = 1 << 20,
        session_idle_timeout: float = 4 * 3600.0,
        response_warning_after: float = 8.0,
    ) -> None:
        self.app = app
        if secret is None:
            self._secrets: tuple[str, ...] = ()
        else:
            self._secrets = (secret,) if isinstance(secret, str) else tuple(secret)
            if not self._secrets or not all(self._secrets):
                raise ConfigurationError("secret: give non-empty webhook secret(s) or None")
        self.signature_tolerance = signature_tolerance
        self.status_path: str | None = _norm(status_path) if status_path is not None else None
        self.basic_auth = basic_auth
        self.max_body_bytes = max_body_bytes
        self.session_idle_timeout = session_idle_timeout
        self.response_warning_after = response_warning_after
        self._sessions: dict[str, tuple[WebhookSession[Any], float]] = {}
        self._announced = False
        self._check_app()
        if not self._secrets:
            _log.info("webhook signatures are not checked (no secret given)")

    # -- configuration checks ----------------------------------------------------------

    def _handlers(self) -> Iterable[tuple[str, Callable[..., object]]]:
        app = self.app
        for path, handler in app._session_handlers.items():
            yield f"on_session({path!r})", handler
        for path, hook in app._adulting_handlers.items():
            yield f"on_adulting({path!r})", hook.handler
        for path, hook in app._hooks.items():
            yield f"action_hook({path!r})", hook.handler
        for kind, entry in app._by_type.items():
            yield f"on({kind!r})", entry.handler

    def _check_app(self) -> None:
        for where, handler in self._handlers():
            annotation = _first_param_annotation(handler)
            if isinstance(annotation, type) and issubclass(annotation, Session):
                raise ConfigurationError(
                    f"{where}: {getattr(handler, '__qualname__', handler)!r} takes a "
                    f"{annotation.__name__} (websocket commands); over HTTP there is no "
                    "socket: annotate it with CallContext (or WebhookSession) and do live "
                    "call control with jambonz_runtime.rest.RestClient"
                )
        app = self.app
        if app._flows:
            raise ConfigurationError(
                f"app.flow paths {sorted(app._flows)} need the websocket (a flow awaits "
                "verbs over one socket); serve them with jambonz_runtime.serve, or write "
                "the call as on_session + action_hook handlers for HTTP"
            )
        both = sorted(set(app._session_handlers) & {_norm(p) for p in app._hooks})
        if both:
            raise ConfigurationError(
                f"path(s) {both} are both an on_session and an action_hook path: over HTTP "
                "the two requests look alike; give the hook another path"
            )
        status = self.status_path
        if status is not None and (status in app._session_handlers or status in app._hooks):
            raise ConfigurationError(
                f"status_path {status!r} is also a handler path; pick another status_path"
            )

    # -- sessions ----------------------------------------------------------------------

    @property
    def sessions(self) -> Mapping[str, WebhookSession[_StateT]]:
        """Calls seen by this process and not over yet, by call sid (read only)."""
        self._expire(time.monotonic())
        return {sid: entry[0] for sid, entry in self._sessions.items()}

    def _expire(self, now: float) -> None:
        # Insertion order is last-use order (entries are re-inserted on use).
        while self._sessions:
            sid, (session, seen) = next(iter(self._sessions.items()))
            if now - seen <= self.session_idle_timeout:
                return
            del self._sessions[sid]
            session.log.info("no request for %.0f s: session dropped", now - seen)

    def _session(
        self, payload: dict[str, JsonValue], path: str, *, starting: bool
    ) -> WebhookSession[Any]:
        now = time.monotonic()
        self._expire(now)
        raw_sid = payload.get("call_sid")
        call_sid = raw_sid if isinstance(raw_sid, str) and raw_sid else None
        if call_sid is not None and call_sid in self._sessions:
            session = self._sessions.pop(call_sid)[0]
            self._sessions[call_sid] = (session, now)
            return session
        log = call_logger(call_sid, _log)
        call = _lenient_call(payload, log, loud=starting)
        session = WebhookSession[Any](
            call_sid, call, path, env_vars=self.app.env_vars, state=self.app.new_state()
        )
        if call_sid is not None:
            self._sessions[call_sid] = (session, now)
        return session

    def _end(self, session: WebhookSession[Any]) -> None:
        session._ended = True
        sid = session.call_sid
        if sid is not None and self._sessions.get(sid, (None, 0.0))[0] is session:
            del self._sessions[sid]

    # -- ASGI --------------------------------------------------------------------------

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """The ASGI 3 entry point (``http``; ``lifespan`` acknowledged; websocket refused)."""
        kind = scope.get("type")
        if not self._announced:
            self._announced = True
            announce(
                startup_line(
                    self.app._session_handlers,
                    self.app._hooks,
                    self.status_path,
                    signed=bool(self._secrets),
                    basic_auth=self.basic_auth is not None,
                )
            )
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            # This app serves HTTP only; the websocket transport is jambonz_runtime.serve.
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
        elif kind == "http":
            await self._http(scope, receive, send)

    @staticmethod
    async def _lifespan(receive: ASGIReceive, send: ASGISend) -> None:
        while True:
            message = await receive()
            if message.get("type") == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message.get("type") == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        request = await self._read(scope, receive)
        if request is None:
            return  # the client went away
        if isinstance(request, _Answer):
            answer = request
        else:
            try:
                answer = await self._handle(request)
            except Exception:  # a bug here must not take the server down
                _log.exception("internal error handling %s", request.label)
                answer = _text(500, "internal error\n")
        headers: list[tuple[bytes, bytes]] = []
        if answer.status != 204:  # a 204 has no body, so no body headers either
            headers.append((b"content-type", answer.content_type.encode("latin-1")))
            headers.append((b"content-length", str(len(answer.body)).encode("ascii")))
        headers.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.extra)
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    async def _read(self, scope: ASGIScope, receive: ASGIReceive) -> _Request | _Answer | None:
        method = str(scope.get("method", "GET")).upper()
        full_path = str(scope.get("path", "/")) or "/"
        root = str(scope.get("root_path", "") or "").rstrip("/")
        path = full_path[len(root) :] if root and full_path.startswith(root) else full_path
        raw_query = scope.get("query_string", b"")
        query = raw_query.decode("latin-1") if isinstance(raw_query, bytes) else ""
        headers: dict[str, str] = {}
        raw_headers = scope.get("headers", ())
        if isinstance(raw_headers, Iterable):
            for pair in raw_headers:
                name, value = pair
                key = bytes(name).decode("latin-1").lower()
                text = bytes(value).decode("latin-1")
                headers[key] = f"{headers[key]},{text}" if key in headers else text
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return _text(413, f"body over {self.max_body_bytes} bytes\n")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            kind = message.get("type")
            if kind == "http.disconnect":
                return None
            if kind != "http.request":
                continue
            chunk = message.get("body", b"")
            if isinstance(chunk, bytes) and chunk:
                size += len(chunk)
                if size > self.max_body_bytes:
                    return _text(413, f"body over {self.max_body_bytes} bytes\n")
                chunks.append(chunk)
            more = bool(message.get("more_body", False))
        return _Request(method, _norm(path), _norm(full_path), query, headers, b"".join(chunks))

    # -- request handling --------------------------------------------------------------

    async def _handle(self, request: _Request) -> _Answer:
        if request.method == "OPTIONS":
            return self._options(request)
        if request.method not in ("GET", "POST"):
            return _text(405, "GET, POST or OPTIONS only\n", ("Allow", _ALLOW))
        refusal = self._authenticate(request)
        if refusal is not None:
            return refusal
        payload = self._payload(request)
        if isinstance(payload, _Answer):
            return payload
        return await self._route(request, payload)

    def _options(self, request: _Request) -> _Answer:
        if request.path not in self.app._session_handlers:
            return _text(404, "no app at this path\n")
        schema = self.app.env_schema
        if schema is None:
            return _Answer(204, extra=(("Allow", _ALLOW),))
        body = json.dumps(schema, separators=(",", ":")).encode("utf-8")
        return _Answer(200, body, MEDIA_TYPE, (("Allow", _ALLOW),))

    def _authenticate(self, request: _Request) -> _Answer | None:
        if self.basic_auth is not None and not _basic_ok(
            request.headers.get("authorization"), self.basic_auth
        ):
            _log.warning("%s refused: bad or missing basic auth (401)", request.label)
            return _text(
                401, "authentication required\n", ("WWW-Authenticate", 'Basic realm="jambonz"')
            )
        if not self._secrets:
            return None
        header = request.headers.get(SIGNATURE_HEADER.lower())
        try:
            verify_signature(
                header, request.body, self._secrets, tolerance=self.signature_tolerance
            )
        except SignatureError as exc:
            hint = ""
            if request.method == "GET":
                hint = " (jambonz does not send the signed payload on GET hooks: use POST)"
            _log.warning("%s refused (401): %s%s", request.label, exc, hint)
            return _text(401, f"invalid signature: {exc.reason}\n")
        return None

    def _payload(self, request: _Request) -> dict[str, JsonValue] | _Answer:
        if request.method == "GET":
            return dict(parse_qsl(request.query, keep_blank_values=True))
        if not request.body.strip():
            return {}
        try:
            data: object = json.loads(request.body)
        except ValueError as exc:
            _log.error("%s: body is not JSON (%s): %s", request.label, exc, preview(request.body))
            return _text(400, "body must be a JSON object\n")
        if data is None:
            return {}  # jambonz posts `null` when a hook has no parameters
        if not isinstance(data, dict):
            _log.error("%s: body is not a JSON object: %s", request.label, preview(request.body))
            return _text(400, "body must be a JSON object\n")
        return cast("dict[str, JsonValue]", data)

    async def _route(self, request: _Request, payload: dict[str, JsonValue]) -> _Answer:
        app = self.app
        path = request.path
        starter = app._session_handlers.get(path)
        if starter is not None:
            return await self._start(request, payload, starter)
        if path == self.status_path:
            return await self._status(request, payload)
        hook = self._find_hook(request)
        if hook is None and path.endswith(_ADULTING):
            base = _norm(path[: -len(_ADULTING)])
            hook = app._adulting_handlers.get(base)
            if hook is None and len(app._adulting_handlers) == 1:
                hook = next(iter(app._adulting_handlers.values()))
            if hook is not None:
                return await self._hook(request, payload, hook, "session:adulting")
        if hook is None:
            fallback = app._by_type.get("verb:hook")
            if isinstance(fallback, _Hook):
                hook = fallback
        if hook is None:
            _log.warning("%s: no handler for this path (404)", request.label)
            return _text(404, "no handler at this path\n")
        return await self._hook(request, payload, hook, "verb:hook")

    def _find_hook(self, request: _Request) -> _Hook | None:
        # As registered: relative to the mount or full path, with or without a trailing
        # slash, or with the query string it was written with (``/menu?lang=en``).
        hooks = self.app._hooks
        for path in (request.path, request.full_path):
            candidates = [path, f"{path}/"]
            if request.query:
                candidates.insert(0, f"{path}?{request.query}")
            for candidate in candidates:
                if candidate in hooks:
                    return hooks[candidate]
        return None

    async def _start(
        self,
        request: _Request,
        payload: dict[str, JsonValue],
        handler: Callable[[WebhookSession[Any], SessionNewCallback], Awaitable[Reply]],
    ) -> _Answer:
        session = self._session(payload, request.path, starting=True)
        call = session.call
        return await self._answer(request, session, "call hook", lambda: handler(session, call))

    async def _hook(
        self, request: _Request, payload: dict[str, JsonValue], hook: _Hook, kind: str
    ) -> _Answer:
        session = self._session(payload, request.path, starting=False)
        model = hook.model
        handler = cast("_AnyHandler", hook.handler)

        async def run() -> object:
            try:
                typed = model.model_validate(payload, by_alias=True, by_name=False)
            except ValidationError as exc:
                session.log.error(
                    "%s payload does not fit %s: %s; raw: %s",
                    request.label,
                    model.__name__,
                    exc,
                    preview(request.body),
                )
                raise
            return await handler(session, typed)

        return await self._answer(request, session, kind, run)

    async def _answer(
        self,
        request: _Request,
        session: WebhookSession[Any],
        kind: str,
        run: Callable[[], Awaitable[object]],
    ) -> _Answer:
        warn = asyncio.get_running_loop().call_later(
            self.response_warning_after,
            lambda: session.log.warning(
                "handler for %s still running after %.1f s; jambonz gives up after 10 s "
                "by default (JAMBONES_HTTP_TIMEOUT)",
                request.label,
                self.response_warning_after,
            ),
        )
        try:
            verbs = to_wire(await run())  # type: ignore[arg-type]  # to_wire rejects non-verbs
            if self.app.jambonz_version is not None:
                check_jambonz_version(verbs, self.app.jambonz_version)
        except Exception as exc:
            error = HandlerError(kind, None, session.call_sid)
            error.__cause__ = exc
            session.log.error("%s (%s): %r", error, request.label, exc, exc_info=exc)
            verbs = to_wire(self.app.error_reply)
        finally:
            warn.cancel()
        return _Answer(200, encode_verbs(verbs), MEDIA_TYPE)

    async def _status(self, request: _Request, payload: dict[str, JsonValue]) -> _Answer:
        session = self._session(payload, request.path, starting=False)
        entry = self.app._by_type.get("call:status")
        status = 204
        if isinstance(entry, _Notify):
            try:
                typed = entry.model.model_validate(payload, by_alias=True, by_name=False)
            except ValidationError as exc:
                session.log.error(
                    "call status payload does not fit %s: %s; raw: %s",
                    entry.model.__name__,
                    exc,
                    preview(request.body),
                )
                status = 400
            else:
                try:
                    await cast("_AnyHandler", entry.handler)(session, typed)
                except Exception as exc:
                    session.log.error("call:status handler raised: %r", exc, exc_info=exc)
                    status = 500
        if payload.get("call_status") in _CALL_OVER:
            session.log.info("call %s", payload.get("call_status"))
            self._end(session)
        return _Answer(status)


def _lenient_call(
    payload: Mapping[str, JsonValue], log: logging.LoggerAdapter[logging.Logger], *, loud: bool
) -> SessionNewCallback:
    """The payload as call info; top-level fields that do not fit are dropped and logged.

    The call info is informative (the handler's own payload model is validated strictly
    where it matters), so a server that sends an unexpected type for one field must not
    keep the call from starting.
    """
    try:
        return SessionNewCallback.model_validate(payload, by_alias=True, by_name=False)
    except ValidationError as exc:
        bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        (log.error if loud else log.debug)(
            "call info fields %s do not fit SessionNewCallback (dropped): %s", sorted(bad), exc
        )
        kept = {k: v for k, v in payload.items() if k not in bad}
        try:
            return SessionNewCallback.model_validate(kept, by_alias=True, by_name=False)
        except ValidationError:
            return SessionNewCallback()


def _basic_ok(header: str | None, expected: tuple[str, str]) -> bool:
    if header is None or not header.lower().startswith("basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep) and (
        hmac.compare_digest(user.encode(), expected[0].encode())
        & hmac.compare_digest(password.encode(), expected[1].encode())
    )
