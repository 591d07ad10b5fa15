"""The asyncio websocket server jambonz connects to (the only module that awaits sockets).

jambonz is the websocket *client*: for each call it opens one socket to the app's
call hook URL, offering the ``ws.jambonz.org`` subprotocol (protocol.md §1). This
module accepts those sockets on ``websockets.asyncio.server``, routes each by URL path
to the :class:`~jambonz_runtime.app.App` that declared it, and moves text frames
between the socket and a per-socket :class:`~jambonz_runtime.server._dispatch.Connection`.

Audio sockets (``app.on_audio``) share the port. A socket is routed by path *and*
offered subprotocol: ``ws.jambonz.org`` goes to the control handler, the media
server's ``audio.drachtio.org`` to the jambonz audio handler, and none at all (Vonage
offers none) to the Vonage audio handler, else to a jambonz audio handler; so one
path can serve control and audio alike. Audio sockets are run by
:func:`~jambonz_runtime.audio._socket.serve_audio`, after the handshake on a lean data
path (:mod:`~jambonz_runtime.audio._wire`) that costs far less CPU per frame than
websockets' general one (connections are :class:`AudioConnection` for that reason).

HTTP done here, in websockets' ``process_request`` hook, before any upgrade:

* ``OPTIONS <app path>``: the app's env-vars schema as flat JSON (what the jambonz API
  server asks for; unsigned, no auth), 204 if the app declares none;
* other methods than ``GET``: 405; unknown paths: 404;
* HTTP Basic auth on the upgrade, as each app declares it (``App(basic_auth=...)``,
  per app or per path; ``basic_auth=`` here for paths that declare none): 401 with a
  ``WWW-Authenticate`` challenge when missing or wrong, compared in constant time, the
  answer always written before the connection closes (jambonz does not retry a 401
  unless the URL says ``#rp=4xx``);
* a client that offers no ``ws.jambonz.org`` subprotocol: 400 (websockets' own check);
  Basic auth applies to control and jambonz audio sockets, not to Vonage ones (Vonage
  sends none: authenticate those by their path or metadata headers).

* ``GET /healthz``: 200 while serving, 503 while draining (a balancer's readiness
  check; no auth); ``GET /metrics``: Prometheus text with ``metrics=True``.

Shutdown (:meth:`JambonzServer.shutdown`, also on SIGTERM/SIGINT in :func:`serve`) is a
drain: ``/healthz`` turns 503 (for ``drain_delay`` seconds new calls are still taken,
so a balancer has time to notice), then the server stops accepting, lets live calls
end on their own, and shortly before the deadline hands every remaining call over:
each hook in flight is answered, the call is released in the session store, and its
socket is closed with 1001 (going away). jambonz treats that as a drop and reconnects
to the same URL, i.e. through the balancer to another instance, which resumes the call
from the store; 1000 would tell it the app is done with the call.
"""

from __future__ import annotations

import asyncio
import http
import json
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Final, Literal, cast

from typing_extensions import Never, Self, TypeVar
from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from .._auth import WWW_AUTHENTICATE, Credentials, check_basic, credentials_for
from .._log import show_logs
from .._loop import freeze_gc
from ..app import App
from ..audio._pacing import Clock
from ..audio._socket import AudioRoute, serve_audio
from ..audio._streams import AUDIO_SUBPROTOCOL
from ..audio._wire import AudioConnection, take_over
from ..exceptions import ConfigurationError, preview
from ..protocol._machine import MAX_OUTBOUND_BYTES
from ..session import Session, SocketGone
from ..store import SessionStore, open_store
from ._common import OPTIONS_SUPPORTED, SUBPROTOCOL
from ._dispatch import ACK_DEADLINE, PIN_QUERY, Connection
from ._metrics import NO_METRICS, Metrics, PrometheusMetrics
from ._persist import Persistence
from ._wslog import PeerSafeLogger

if TYPE_CHECKING:
    from ._direct import DirectServer

__all__ = ["OPTIONS_SUPPORTED", "SUBPROTOCOL", "JambonzServer", "serve"]

_log = logging.getLogger("jambonz_runtime.server")

_ADULTING: Final = "/adulting"

_St = TypeVar("_St")


class JambonzServer:
    """Serve one or more apps; an async context manager.

    Args:
        apps: the apps; each answers the paths of its ``on_session`` handlers.
        host: interface to bind (``"0.0.0.0"`` for all).
        port: TCP port; 0 picks a free one (see :attr:`port`).
        basic_auth: ``(username, password)`` required on every upgrade to a path whose
            app declares no credentials of its own (``App(basic_auth=...)``), or ``None``.
        max_message_size: biggest frame accepted from jambonz (jambonz itself does
            not cap what it sends; a large SIP INVITE travels in ``session:new``).
        max_outbound_bytes: cap on app -> jambonz frames (the server's 24 KiB).
        open_timeout: seconds a client gets to complete the handshake.
        shutdown_timeout: the drain deadline: seconds :meth:`shutdown` takes at most
            (default 25, safely under Kubernetes' default 30 s grace period).
        drain_delay: seconds, at the start of a drain, during which ``/healthz``
            answers 503 but new calls are still accepted, so a balancer stops sending
            new calls before the listener closes (match your readiness probe period).
        store: a session store (or its URL, ``redis://...``) that keeps each call's
            state, so a ``session:reconnect`` reaching another instance resumes the
            call there (see :mod:`jambonz_runtime.store`). ``None``: sessions live in
            this process only.
        metrics: ``True`` to count calls, hooks, latencies, resumes and the drain
            state with ``prometheus-client`` (extra ``metrics``), served on
            ``GET /metrics``; or a :class:`~jambonz_runtime.server.Metrics` of your own.
        reuse_port: bind with ``SO_REUSEPORT`` so several processes share the port
            (``jambonz-typed serve --workers N``).
        sock: an already bound, listening socket to serve on instead of host/port
            (a pre-forked worker's inherited socket).
        pin_url: pin each call to this instance, for state that cannot leave the
            process (a running ``app.flow``, open files): this instance's own URL
            prefix as jambonz reaches it (``ws://10.0.0.5:3000``, or a balancer route
            for this instance such as ``wss://voice.example.com/pod-3``). Every
            ``session:new`` is answered with a ``redirect`` to
            ``<pin_url><path>?jambonz_pin=1``; the call then starts on that socket and
            every reconnect of it lands here. See the deployment guide.
        ping_interval: seconds between keepalive pings (``None``: no pings).
        audio_subprotocol: the subprotocol jambonz's media server offers on audio
            sockets (change it only if ``MOD_AUDIO_FORK_SUBPROTOCOL_NAME`` is set there).
        audio_clock: time source of Vonage audio pacing (tests pass a manual clock).
        compression: ``"deflate"`` to accept the permessage-deflate extension jambonz
            offers, ``None`` (default) to decline it. Off by default: jambonz messages
            are small JSON, and compressing them cost 25-35 % more CPU per call and a
            zlib context per socket in bench/ (see README, "Performance").
        transport: ``"direct"`` (default): each control socket is a plain asyncio
            protocol on websockets' sans-I/O ``ServerProtocol`` (``_direct``): no task or
            queue per socket, an ack written in the same turn of the event loop as the
            message it answers. ``"asyncio"``: websockets' asyncio server (a handler task
            per socket), the same behaviour at more CPU per call and more latency under
            load (bench/, README "Performance"). Apps with audio paths (``on_audio``)
            are always served by websockets' asyncio server, which routes both kinds.
    """

    def __init__(
        self,
        apps: App[Session[_St]] | Iterable[App[Session[_St]]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        basic_auth: tuple[str, str] | None = None,
        max_message_size: int = 16 * 2**20,
        max_outbound_bytes: int = MAX_OUTBOUND_BYTES,
        open_timeout: float = 5.0,
        shutdown_timeout: float = 25.0,
        ping_interval: float | None = 20.0,
        audio_subprotocol: str = AUDIO_SUBPROTOCOL,
        audio_clock: Clock | None = None,
        compression: Literal["deflate"] | None = None,
        transport: Literal["direct", "asyncio"] = "direct",
        drain_delay: float = 0.0,
        store: SessionStore | str | None = None,
        metrics: bool | Metrics = False,
        reuse_port: bool = False,
        sock: socket.socket | None = None,
        pin_url: str | None = None,
    ) -> None:
        given = cast("App[Never] | Iterable[App[Never]]", apps)
        self.apps: tuple[App[Never], ...] = (given,) if isinstance(given, App) else tuple(given)
        """The apps served (typed as apps of any context: read-only use)."""
        self._routes: dict[str, App[Never]] = {}
        self._audio_routes: dict[tuple[str, str], AudioRoute] = {}
        for app in self.apps:
            if not app.paths and not app.audio_paths:
                raise ConfigurationError(
                    "an app has no on_session (or on_audio) handler, so no path"
                )
            for path in app.paths:
                if path in self._routes:
                    raise ConfigurationError(f"two apps claim path {path!r}")
                self._routes[path] = app
            for key, route in app._audio_routes.items():
                if key in self._audio_routes:
                    raise ConfigurationError(f"two apps claim {key[1]} audio path {key[0]!r}")
                self._audio_routes[key] = route
        self.audio_subprotocol: Subprotocol = Subprotocol(audio_subprotocol)
        self.audio_clock: Clock | None = audio_clock
        self.host = host
        self._port = port
        self.basic_auth = basic_auth
        self.max_message_size = max_message_size
        self.max_outbound_bytes = max_outbound_bytes
        self.open_timeout = open_timeout
        self.shutdown_timeout = shutdown_timeout
        self.ping_interval = ping_interval
        self.compression: Literal["deflate"] | None = compression
        self.transport: Literal["direct", "asyncio"] = transport
        self._server: Server | None = None
        self._direct: DirectServer | None = None
        self._bound_port: int | None = None
        self._connections: set[Connection] = set()
        self._calls_gone: asyncio.Future[None] | None = None
        self.drain_delay = drain_delay
        self.pin_url = pin_url
        self.reuse_port = reuse_port
        self.sock = sock
        self.draining: bool = False
        """Whether a drain has begun (``/healthz`` answers 503)."""
        if isinstance(store, str):
            store = open_store(store)
        self.store: SessionStore | None = store
        if metrics is True:
            metrics = PrometheusMetrics()
        self.metrics: Metrics = metrics if isinstance(metrics, Metrics) else NO_METRICS
        self.persist: Persistence | None = None
        if store is not None:
            names = [app.name for app in self.apps]
            if len(set(names)) != len(names):
                raise ConfigurationError(
                    f"apps sharing a session store need distinct names (App(name=...)): {names}"
                )
            self.persist = Persistence(
                store, on_resume=lambda where, s: self.metrics.resume_seconds("store", s)
            )

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening (and watching the session store for takeovers)."""
        if self.persist is not None:
            self.persist.start({app.name: app for app in self.apps})
        if self.transport == "direct" and not self._audio_routes:
            from ._direct import DirectServer

            self._direct = DirectServer(self)
            self._bound_port = await self._direct.start()
            self._announce()
            return
        inherited = self.sock is not None
        self._server = await ws_serve(
            self._handle,
            None if inherited else self.host,
            None if inherited else self._port,
            sock=self.sock,
            reuse_port=self.reuse_port or None,
            subprotocols=[SUBPROTOCOL],
            select_subprotocol=self._select_subprotocol,
            process_request=self._process_request,
            create_connection=AudioConnection,
            max_size=self.max_message_size,
            open_timeout=self.open_timeout,
            ping_interval=self.ping_interval,
            compression=self.compression,
            logger=PeerSafeLogger(_log),  # a bad handshake: one line, no traceback
        )
        self._bound_port = int(self._server.sockets[0].getsockname()[1])
        self._announce()

    def _announce(self) -> None:
        audio = sorted(f"{path} ({platform})" for path, platform in self._audio_routes)
        _log.info(
            "jambonz-typed serving %s: paths %s (subprotocol %s%s), transport %s, "
            "session store %s, pid %d",
            self.url,
            ", ".join(sorted(self._routes)) or "-",
            SUBPROTOCOL,
            f"; audio {', '.join(audio)}" if audio else "",
            "asyncio" if self._server is not None else self.transport,
            self.store if self.store is not None else "none (this process only)",
            os.getpid(),
        )

    @property
    def port(self) -> int:
        """The TCP port actually bound."""
        if self._bound_port is None:
            raise RuntimeError("server not started")
        return self._bound_port

    @property
    def url(self) -> str:
        """``ws://host:port`` of the running server."""
        return f"ws://{self.host}:{self.port}"

    async def shutdown(self, timeout: float | None = None) -> None:
        """Drain: stop taking calls and hand live ones over, within ``timeout`` seconds.

        In order: ``/healthz`` answers 503; after ``drain_delay`` the listener closes;
        then every live call is handed over: hooks in flight answered, the call
        released in the session store, its socket closed with 1001 so jambonz
        reconnects to another instance. With a store that happens at once (the call
        goes on elsewhere with its state); without one, calls may first end on their
        own until ``min(6 s, half the deadline)`` before the deadline. Whatever still
        hangs is aborted at the deadline. Default ``timeout``: ``shutdown_timeout``.
        """
        loop = asyncio.get_running_loop()
        total = self.shutdown_timeout if timeout is None else timeout
        deadline = loop.time() + total
        self.start_draining(total)
        if self.drain_delay > 0:
            await asyncio.sleep(min(self.drain_delay, max(0.0, deadline - loop.time())))
        self._stop_accepting()
        if self.persist is None:
            # No store: a call handed over restarts from scratch elsewhere, so give it
            # every chance to end here first.
            handover_at = deadline - min(ACK_DEADLINE + 1.0, total / 2)
            await self._wait_calls_end(handover_at - loop.time())
        # With a store the call goes on elsewhere with its state: hand over at once.
        if self._connections:
            _log.info("handing %d call(s) over (close 1001)", len(self._connections))
            remaining = max(0.1, deadline - loop.time())
            await asyncio.wait(
                [loop.create_task(conn.hand_over(remaining)) for conn in list(self._connections)],
                timeout=remaining,
            )
        await self._close_transport(max(0.0, deadline - loop.time()))
        if self.persist is not None:
            await self.persist.stop()
        _log.info("jambonz server stopped")

    def start_draining(self, deadline: float | None = None) -> None:
        """Answer ``/healthz`` with 503 from now on (idempotent; :meth:`shutdown` calls it).

        Call it from a ``preStop`` hook or an admin endpoint to take the instance out
        of the balancer before the drain itself starts.
        """
        if self.draining:
            return
        self.draining = True
        self.metrics.set_draining(True)
        _log.info(
            "draining: %d call(s) up, deadline %.1f s (healthz answers 503)",
            self.live_calls,
            self.shutdown_timeout if deadline is None else deadline,
        )

    @property
    def live_calls(self) -> int:
        """Control sockets open now (each carries one call)."""
        return len(self._connections)

    def _stop_accepting(self) -> None:
        if self._direct is not None:
            self._direct.stop_accepting()
        elif self._server is not None:
            self._server.close(close_connections=False)

    async def _wait_calls_end(self, seconds: float) -> None:
        if not self._connections or seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        self._calls_gone = loop.create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._calls_gone), seconds)
        except asyncio.TimeoutError:
            pass
        finally:
            self._calls_gone = None

    async def _close_transport(self, seconds: float) -> None:
        direct, self._direct = self._direct, None
        if direct is not None:

            def late(count: int) -> None:
                _log.warning("%d socket(s) still open at the drain deadline; closing", count)

            await direct.shutdown(seconds, late)
            return
        server, self._server = self._server, None
        if server is None:
            return
        try:
            await asyncio.wait_for(server.wait_closed(), seconds)
        except asyncio.TimeoutError:
            _log.warning(
                "%d socket(s) still open at the drain deadline; closing with 1001",
                len(server.connections),
            )
            for conn in list(self._connections):
                conn.cancel_tasks()
            for ws in list(server.connections):
                wire = ws.wire if isinstance(ws, AudioConnection) else None
                if wire is not None:
                    await wire.close(1001, "server shutting down")
                else:
                    await ws.close(1001, "server shutting down")
            await server.wait_closed()

    # -- connections (both transports) ---------------------------------------------------

    def _connection(
        self,
        app: App[Never],
        path: str,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        request_path: str,
        send_now: Callable[[str], bool] | None = None,
    ) -> Connection:
        query = request_path.partition("?")[2]
        conn = Connection(
            app,
            path,
            send,
            close,
            send_now=send_now,
            max_outbound_bytes=self.max_outbound_bytes,
            persist=self.persist,
            metrics=self.metrics,
            pin_url=self.pin_url,
            pinned=PIN_QUERY in query.split("&"),
        )
        self._connections.add(conn)
        return conn

    def _forget(self, conn: Connection) -> None:
        self._connections.discard(conn)
        if not self._connections and self._calls_gone is not None:
            if not self._calls_gone.done():
                self._calls_gone.set_result(None)

    async def serve_forever(self) -> None:
        """Run until cancelled."""
        if self._server is None and self._direct is None:
            await self.start()
        # Not Server.serve_forever(): cancelling that closes the listener abruptly;
        # here cancellation leaves shutdown to :meth:`shutdown` (via ``async with``).
        await asyncio.get_running_loop().create_future()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    # -- HTTP ----------------------------------------------------------------------------

    def route(self, request_path: str) -> tuple[App[Never], str] | None:
        """The app and its session path for a request path (query and ``/adulting`` aside)."""
        path, _, query = request_path.partition("?")
        path = path.rstrip("/") or "/"
        if path in self._routes:
            return self._routes[path], path
        if path.endswith(_ADULTING):
            base = path[: -len(_ADULTING)] or "/"
            if base in self._routes:
                return self._routes[base], base
        # ``call_hook + "/adulting"`` lands after a query string: ``/app?x=1/adulting``.
        if query.endswith(_ADULTING) and path in self._routes:
            return self._routes[path], path
        return None

    def audio_route(self, request_path: str, offered: Sequence[str]) -> AudioRoute | None:
        """The audio handler for a request path and the subprotocols a client offers.

        ``None`` means the socket is a control socket (or nothing matches). Rules:
        ``ws.jambonz.org`` offered: control; the audio subprotocol offered: jambonz
        audio; nothing offered: Vonage audio, else jambonz audio (a media server
        configured without a subprotocol); anything else: jambonz audio if the path has
        no control handler (the handshake then fails on the subprotocol).
        """
        if SUBPROTOCOL in offered:
            return None
        path = request_path.partition("?")[0].rstrip("/") or "/"
        jambonz = self._audio_routes.get((path, "jambonz"))
        if self.audio_subprotocol in offered:
            return jambonz
        if not offered:
            return self._audio_routes.get((path, "vonage")) or jambonz
        return None if self.route(request_path) is not None else jambonz

    def _select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        route = self.audio_route(connection.request.path if connection.request else "/", offered)
        if route is None:  # control: websockets' own rule, with ws.jambonz.org only
            if SUBPROTOCOL in offered:
                return SUBPROTOCOL
            if not offered:
                raise NegotiationError("missing subprotocol")
            raise NegotiationError(f"invalid subprotocol; expected one of {SUBPROTOCOL}")
        if route.platform == "vonage" or not offered:
            return None
        if self.audio_subprotocol in offered:
            return self.audio_subprotocol
        raise NegotiationError(f"invalid subprotocol; expected one of {self.audio_subprotocol}")

    def _credentials(self, path: str, app: App[Never] | None) -> tuple[Credentials, ...]:
        """The credentials a request to ``path`` must carry (empty: none needed)."""
        allowed = credentials_for(app.basic_auth, path) if app is not None else ()
        if not allowed and self.basic_auth is not None:
            allowed = (self.basic_auth,)
        return allowed

    def _authorized(self, headers: Headers, path: str, app: App[Never] | None) -> bool:
        allowed = self._credentials(path, app)
        return not allowed or check_basic(headers.get("Authorization"), allowed)

    def _audio_app(self, path: str) -> App[Never] | None:
        path = path.partition("?")[0].rstrip("/") or "/"
        return next((a for a in self.apps if any(p == path for p, _ in a.audio_paths)), None)

    @staticmethod
    def _respond(
        status: http.HTTPStatus, body: str, content_type: str = "text/plain; charset=utf-8"
    ) -> Response:
        data = body.encode("utf-8")
        headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return Response(status.value, status.phrase, headers, data)

    def _process_request(
        self, connection: ServerConnection | None, request: Request
    ) -> Response | None:
        # websockets < 17 (the newest on Python 3.10) parses only GET requests and has no
        # ``Request.method``; there every request reaching this hook is a GET, and OPTIONS
        # env-var discovery is not available (the library answers it with an error).
        method = getattr(request, "method", "GET")
        path, headers = request.path, request.headers
        if method == "GET" and path.partition("?")[0] in ("/healthz", "/metrics"):
            return self._health_or_metrics(path.partition("?")[0])
        found = self.route(path)
        if method == "GET":
            audio = self.audio_route(path, _offered(headers))
            if audio is not None:
                if audio.platform == "jambonz" and not self._authorized(
                    headers, path, self._audio_app(path)
                ):
                    _log.warning(
                        "audio upgrade to %s refused: bad or missing basic auth (401)",
                        preview(path, 100),
                    )
                    return self._unauthorized()
                return None
        if method == "OPTIONS":
            if found is None:
                return self._respond(http.HTTPStatus.NOT_FOUND, "no app at this path\n")
            schema = found[0].env_schema
            if schema is None:
                return self._respond(http.HTTPStatus.NO_CONTENT, "")
            return self._respond(http.HTTPStatus.OK, json.dumps(schema), "application/json")
        if method != "GET":
            return self._respond(http.HTTPStatus.METHOD_NOT_ALLOWED, "GET or OPTIONS only\n")
        if found is None:
            _log.warning("upgrade to unknown path %s refused (404)", preview(path, 100))
            return self._respond(http.HTTPStatus.NOT_FOUND, "no app at this path\n")
        if not self._authorized(headers, found[1], found[0]):
            _log.warning(
                "upgrade to %s refused: bad or missing basic auth (401)", preview(path, 100)
            )
            return self._unauthorized()
        return None

    def _plain_route(self, request_path: str) -> tuple[App[Never], str] | None:
        """The route of a plain ``GET`` upgrade without credentials that
        :meth:`_process_request` lets through untouched; ``None``: let it decide.

        The direct transport's templated 101 (``_direct.plain_upgrade``) asks this
        instead of building a :class:`Request`; keep it in step with
        :meth:`_process_request`.
        """
        if self._audio_routes or request_path.partition("?")[0] in ("/healthz", "/metrics"):
            return None
        found = self.route(request_path)
        # Only where no credentials are required (server-wide or the app's, per path):
        # an upgrade that needs them goes through _process_request.
        if found is None or self._credentials(found[1], found[0]):
            return None
        return found

    def _health_or_metrics(self, path: str) -> Response:
        if path == "/healthz":
            if self.draining:
                return self._respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "draining\n")
            return self._respond(http.HTTPStatus.OK, "ok\n")
        text = self.metrics.exposition()
        if text is None:
            return self._respond(http.HTTPStatus.NOT_FOUND, "metrics are off (metrics=True)\n")
        return self._respond(
            http.HTTPStatus.OK, text.decode(), "text/plain; version=0.0.4; charset=utf-8"
        )

    def _unauthorized(self) -> Response:
        response = self._respond(http.HTTPStatus.UNAUTHORIZED, "authentication required\n")
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        return response

    # -- websocket -----------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        request_path = ws.request.path if ws.request else "/"
        audio = self.audio_route(request_path, _offered(ws.request.headers) if ws.request else [])
        if audio is not None:
            # First thing, before any await: move the socket onto the lean audio path
            # (None: something unusual was negotiated; it stays on websockets).
            wire = take_over(
                ws,
                max_size=self.max_message_size,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_interval,
            )
            # serve_audio never raises and closes the socket itself; still open here means
            # it was cancelled (shutdown): 1001, never 1000 ("all went well").
            try:
                await serve_audio(
                    wire or ws, audio, clock=self.audio_clock, first_frame_timeout=self.open_timeout
                )
            finally:
                if wire is not None:  # hand websockets a closed socket
                    await wire.close(1001, "server shutting down")
            return
        found = self.route(request_path)
        if found is None:  # process_request refused it already; defensive
            await ws.close(1008, "no app at this path")
            return
        app, path = found

        async def send(text: str) -> None:
            try:
                await ws.send(text)
            except ConnectionClosed as exc:
                raise SocketGone from exc

        async def close(code: int, reason: str) -> None:
            await ws.close(code, reason)

        conn = self._connection(app, path, send, close, request_path)
        try:
            async for frame in ws:
                conn.feed(frame)
        except ConnectionClosed:
            pass
        finally:
            conn.connection_lost(ws.close_code)
            try:
                await conn.drain()
            finally:
                self._forget(conn)


def _offered(headers: Headers) -> list[Subprotocol]:
    """The subprotocols a handshake request offers, in order."""
    return [
        Subprotocol(item.strip())
        for value in headers.get_all("Sec-WebSocket-Protocol")
        for item in value.split(",")
        if item.strip()
    ]


async def serve(
    apps: App[Session[_St]] | Sequence[App[Session[_St]]],
    host: str = "0.0.0.0",
    port: int = 3000,
    *,
    basic_auth: tuple[str, str] | None = None,
    shutdown_timeout: float = 25.0,
    drain_delay: float = 0.0,
    store: SessionStore | str | None = None,
    metrics: bool | Metrics = False,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    pin_url: str | None = None,
    handle_signals: bool = True,
) -> None:
    """Serve ``apps`` until SIGTERM/SIGINT or cancellation, then drain.

    ``asyncio.run(serve(app))`` is a complete production entry point (on uvloop when
    installed: ``jambonz_runtime.run(serve(app))``). Once listening it freezes the
    objects alive (the imported models) out of the garbage collector's full passes
    (:func:`jambonz_runtime._loop.freeze_gc`: no ~50 ms pause every few thousand calls).
    It logs what listens where (at INFO, on stderr when the program configured no
    logging), and on
    SIGTERM or SIGINT (Ctrl-C) drains as :meth:`JambonzServer.shutdown` describes
    before returning, within ``shutdown_timeout`` (25 s: under Kubernetes' 30 s grace
    period). A second signal during the drain is ignored with a log line; cancelling
    the task drains too. ``handle_signals=False`` leaves signals to the caller (also
    automatic outside the main thread, where asyncio cannot install handlers).
    Other keywords: see :class:`JambonzServer`.
    """
    show_logs()
    server = JambonzServer(
        apps,
        host=host,
        port=port,
        basic_auth=basic_auth,
        shutdown_timeout=shutdown_timeout,
        drain_delay=drain_delay,
        store=store,
        metrics=metrics,
        reuse_port=reuse_port,
        sock=sock,
        pin_url=pin_url,
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed: list[signal.Signals] = []
    if handle_signals:

        def on_signal(signum: signal.Signals) -> None:
            if stop.is_set():
                _log.warning("%s again: already draining", signum.name)
                return
            _log.info("%s: draining", signum.name)
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                break  # not the main thread, or a loop without signal support
            installed.append(signum)
    await server.start()
    refreeze = freeze_gc(loop)  # the loaded models out of the collector's way (p99)
    try:
        await stop.wait()
    finally:
        refreeze.cancel()
        try:
            await server.shutdown()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
