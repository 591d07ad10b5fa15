"""``App``: typed handler registration for one jambonz application.

Each decorator states, in its signature, which payload model its handler receives,
so mypy checks the pairing:

* ``@app.on_session(path)``: ``(Session, SessionNewCallback) -> verbs``; the verbs
  are the ack of ``session:new``.
* ``@app.action_hook(path)``: ``(Session, P) -> verbs`` for any callback model ``P``;
  returns a ``HookRef[P]`` to hand to a verb's hook parameter. The builder types each
  hook parameter with its verb's callback (``gather(action_hook=...)`` takes
  ``HookRef[GatherCallback]``), so wiring a dial handler to a gather is a mypy error.
* ``@app.on("call:status")`` and friends: one ``Literal`` overload per message type
  maps the type to its payload model (githubkit's ``parse()`` pattern).
* ``@app.on_audio(path)``: ``(JambonzAudioStream) -> None`` for the audio socket of a
  listen/stream verb; ``platform="vonage"`` takes ``(VonageAudioStream) -> None``.
* ``@app.flow(path)``: ``(CallFlow) -> None``, a linear call flow instead of hooks:
  ``result = await call.gather(...)`` (see :mod:`jambonz_runtime.flow`).

Handlers *return* the verbs to ack with; the runtime acks with the msgid of the
message that triggered the handler, so concurrent hooks never cross-ack.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypeAlias, overload

from pydantic import BaseModel, JsonValue
from typing_extensions import TypeVar

from jambonz_types import HookRef, JambonzCallback
from jambonz_types.callbacks import (
    BaseCallback,
    CallStatusCallback,
    SessionNewCallback,
    SessionReconnectCallback,
    SessionRedirectCallback,
    TtsStreamingEventCallback,
    VerbStatusCallback,
)

from .context import CallContext
from .envvars import EnvVar
from .envvars import env_schema as build_env_schema
from .exceptions import ConfigurationError
from .flow import FlowHandler, FlowRoute
from .protocol._messages import (
    AgentEventCallback,
    DialConfirmCallback,
    JambonzErrorCallback,
    LlmEventCallback,
    LlmToolCallCallback,
    SessionAdultingCallback,
    TtsTokensResultCallback,
)
from .protocol._replies import Reply, SupportsToWire, to_wire
from .session import Session

if TYPE_CHECKING:
    from .audio._socket import AudioRoute
    from .audio._streams import AudioPlatform, JambonzAudioHandler, VonageAudioHandler
else:
    # The verb union imports every verb model (most of a second); the aliases below only
    # need it for type checkers, so at run time any generated model stands in for it.
    pass

__all__ = [
    "App",
    "HookHandler",
    "NotificationHandler",
    "Reply",
    "SessionHandler",
    "SupportsToWire",
    "to_wire",
]

P = TypeVar("P", bound=JambonzCallback)
M = TypeVar("M", bound=BaseModel)
_H = TypeVar("_H", bound=Callable[..., Awaitable[object]])
_A = TypeVar("_A", bound=Callable[..., Awaitable[None]])
S = TypeVar("S", bound="CallContext[object]", default=Session, contravariant=True)
"""What an app's handlers take as first argument: ``Session`` (websocket-only apps, the
default) or ``CallContext`` (apps served over the websocket and HTTP webhooks), each
parameterised by the app's state type (``Session[MyState]`` for ``App(state=MyState)``).

Contravariant: an ``App[CallContext]`` is usable wherever an ``App[Session]`` is (its
handlers accept any context), not the other way round."""


SessionHandler = Callable[[Session, SessionNewCallback], Awaitable[Reply]]
"""Handler of ``session:new``."""

HookHandler = Callable[[Session, P], Awaitable[Reply]]
"""Handler of a hook whose payload model is ``P``; its return value is the ack."""

NotificationHandler = Callable[[Session, M], Awaitable[None]]
"""Handler of a notification (nothing to ack) whose payload model is ``M``."""

# The same three shapes for an ``App[S]`` (``S`` = the handlers' context type); ``_C``
# has no default, so it may precede ``P``/``M`` in an alias's parameter list.
_C = TypeVar("_C", bound="CallContext[object]")
_St = TypeVar("_St", bound=BaseModel)
_SessionHandler: TypeAlias = Callable[[_C, SessionNewCallback], Awaitable[Reply]]
_HookHandler: TypeAlias = Callable[[_C, P], Awaitable[Reply]]
_Notification: TypeAlias = Callable[[_C, M], Awaitable[None]]


@dataclass(frozen=True)
class _Hook:
    model: type[BaseModel]
    handler: Callable[[Session, BaseModel], Awaitable[Reply]]


@dataclass(frozen=True)
class _Notify:
    model: type[BaseModel]
    handler: Callable[[Session, BaseModel], Awaitable[object]]


def _payload_model(handler: Callable[..., object], what: str) -> type[JambonzCallback]:
    """Read the payload model from the handler's second parameter annotation."""
    try:
        hints = typing.get_type_hints(handler)
    except Exception as exc:  # NameError etc. from unresolvable annotations
        raise ConfigurationError(
            f"{what}: cannot read the annotations of {handler.__qualname__} ({exc}); "
            "pass the payload model explicitly"
        ) from exc
    params = [p for p in inspect.signature(handler).parameters.values() if p.name != "self"]
    if len(params) < 2 or params[1].name not in hints:
        raise ConfigurationError(
            f"{what}: {handler.__qualname__} must take (session, payload) with the payload "
            "annotated by a callback model, or pass the model explicitly"
        )
    model = hints[params[1].name]
    if not (isinstance(model, type) and issubclass(model, JambonzCallback)):
        raise ConfigurationError(
            f"{what}: payload annotation of {handler.__qualname__} is {model!r}, "
            "not a jambonz callback model"
        )
    return model


def _check_annotation(handler: Callable[..., object], model: type[BaseModel], what: str) -> None:
    """Refuse, at registration, a handler whose payload annotation cannot take ``model``.

    mypy already rejects it; this catches unchecked code. Unresolvable annotations pass.
    """
    try:
        hints = typing.get_type_hints(handler)
        params = list(inspect.signature(handler).parameters.values())
    except Exception:
        return
    if len(params) < 2 or params[1].name not in hints:
        return
    annotation = hints[params[1].name]
    if isinstance(annotation, type) and not issubclass(model, annotation):
        raise ConfigurationError(
            f"{what}: {handler.__qualname__} takes {annotation.__name__}, but this "
            f"message's payload is {model.__name__}"
        )


def _check_audio_annotation(handler: Callable[..., object], platform: str) -> None:
    """Refuse a handler annotated with the other platform's stream (mypy does too)."""
    from .audio._streams import JambonzAudioStream, VonageAudioStream

    try:
        hints = typing.get_type_hints(handler)
        params = list(inspect.signature(handler).parameters.values())
    except Exception:
        return
    if not params or params[0].name not in hints:
        return
    annotation = hints[params[0].name]
    wanted = JambonzAudioStream if platform == "jambonz" else VonageAudioStream
    other = VonageAudioStream if platform == "jambonz" else JambonzAudioStream
    if annotation is other:
        raise ConfigurationError(
            f"on_audio(platform={platform!r}): {handler.__qualname__} takes "
            f"{other.__name__}, but this platform's sockets give a {wanted.__name__}"
        )


def _require_async(handler: Callable[..., object], what: str) -> None:
    """Refuse a plain ``def`` handler now, not with a confusing error on every call.

    The runtime awaits what a handler returns; a plain function's ``Verbs`` cannot be
    awaited, so the call would fail each time ("object Verbs can't be used in 'await'
    expression"). ``async def`` functions, ``functools.partial`` of one and objects
    with an ``async def __call__`` pass.
    """
    if inspect.iscoroutinefunction(handler):
        return
    call = getattr(type(handler), "__call__", None)  # noqa: B004  # the class's, not the instance's
    if not inspect.isfunction(handler) and inspect.iscoroutinefunction(call):
        return
    name = getattr(handler, "__qualname__", repr(handler))
    raise ConfigurationError(
        f"{what}: handlers must be `async def` ({name} is a plain function); "
        f"write `async def {getattr(handler, '__name__', 'handler')}(...)`"
    )


def _check_state_model(model: object) -> None:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ConfigurationError(f"App(state=...) takes a pydantic model class, got {model!r}")
    try:
        model()
    except Exception as exc:
        raise ConfigurationError(
            f"App(state={model.__name__}): every call starts with {model.__name__}(), "
            f"so every field needs a default ({exc})"
        ) from exc


def _norm_path(path: str) -> str:
    if not path.startswith("/"):
        raise ConfigurationError(f"route path must start with '/', got {path!r}")
    return path.rstrip("/") or "/"


class App(Generic[S]):
    """A jambonz application: its handlers, its env-vars schema and its live sessions.

    ``App()`` is an ``App[Session]``: handlers take the websocket :class:`Session` (with
    its commands) and the app is served by :func:`~jambonz_runtime.server.serve`. An
    ``App[CallContext]`` has handlers written against the transport-neutral
    :class:`~jambonz_runtime.context.CallContext` and is served by ``serve`` *and* by
    :class:`~jambonz_runtime.webhook.WebhookApp` (HTTP webhooks).

    Args:
        env_vars: the app's environment variables, ``{"NAME": EnvVar(...)}``: answered
            to ``OPTIONS`` on the app's paths in the flat shape the jambonz API server
            accepts (``envvars.env_schema``), and read back typed per call as
            :attr:`Session.env`. Checked now (:class:`EnvSchemaError`).
        env_schema: alternatively, a ready flat schema (raw JSON) for ``OPTIONS``;
            no typed values then. Neither: ``OPTIONS`` answers 204 (no schema).
        error_reply: verbs to ack with when a handler raises (e.g. say + hangup);
            default ``[]`` (nothing changes, the call waits for commands).
        ack_warning_after: seconds after which a handler still running is logged as
            close to the server's 5 s ack deadline. Only a warning: there is no
            "filler" option, because a message gets exactly one ack (a second one, or
            a late one, is "ack to unknown msgid" and discarded by the server), so
            nothing can be said over the ack while a handler is slow. For slow work,
            ack at once (return e.g. ``Verbs().say(text="One moment").pause(...)``)
            and deliver the answer later with ``session.redirect(...)``; a call flow
            does that by itself (``flow(filler=..., filler_after=...)``).
        reconnect_grace: seconds a dropped call's session is kept for its
            ``session:reconnect`` (the server's backoff reaches 13.5 s over 4 drops).
        state: the app's per-call state, a pydantic model whose fields all have
            defaults: each call starts with ``state()``, handlers see it typed as
            ``session.state`` (annotate them with ``Session[MyState]``), and a session
            store (``serve(..., store=...)``) saves it as JSON and restores it on
            whichever instance a reconnect reaches. Default: a plain dict per call.
        transport: with ``state``, says which context the handlers take:
            ``"websocket"`` (default): ``Session[State]``, with the socket commands;
            ``"any"``: ``CallContext[State]``, served by ``serve`` and ``WebhookApp``
            alike (``App(state=S, transport="any")`` is an ``App[CallContext[S]]``).
            Without ``state``, write ``App[CallContext]()`` as before.
        name: the app's namespace in a session store.
        jambonz_version: the jambonz release the app's server runs (``"0.9.6"``): a
            reply using a verb or property that release lacks is a handler error (one
            log line naming the verb, the version it needs and this one; the call gets
            ``error_reply``) instead of a call that fails on the server. See
            ``jambonz_types.check_jambonz_version``.
    """

    @overload
    def __init__(
        self: App[Session[_St]],
        *,
        state: type[_St],
        transport: Literal["websocket"] = "websocket",
        name: str = "default",
        env_vars: Mapping[str, EnvVar] | None = None,
        env_schema: Mapping[str, JsonValue] | None = None,
        error_reply: Reply = None,
        ack_warning_after: float = 4.0,
        reconnect_grace: float = 60.0,
        jambonz_version: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: App[CallContext[_St]],
        *,
        state: type[_St],
        transport: Literal["any"],
        name: str = "default",
        env_vars: Mapping[str, EnvVar] | None = None,
        env_schema: Mapping[str, JsonValue] | None = None,
        error_reply: Reply = None,
        ack_warning_after: float = 4.0,
        reconnect_grace: float = 60.0,
        jambonz_version: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        state: None = None,
        transport: Literal["websocket", "any"] = "websocket",
        name: str = "default",
        env_vars: Mapping[str, EnvVar] | None = None,
        env_schema: Mapping[str, JsonValue] | None = None,
        error_reply: Reply = None,
        ack_warning_after: float = 4.0,
        reconnect_grace: float = 60.0,
        jambonz_version: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        *,
        state: type[BaseModel] | None = None,
        transport: Literal["websocket", "any"] = "websocket",
        name: str = "default",
        env_vars: Mapping[str, EnvVar] | None = None,
        env_schema: Mapping[str, JsonValue] | None = None,
        error_reply: Reply = None,
        ack_warning_after: float = 4.0,
        reconnect_grace: float = 60.0,
        jambonz_version: str | None = None,
    ) -> None:
        if state is not None:
            _check_state_model(state)
        self.state_model: type[BaseModel] | None = state
        self.transport: Literal["websocket", "any"] = transport
        """Who may serve the app: ``"websocket"`` only, or ``"any"`` (webhooks too)."""
        """The app's per-call state model (``None``: ``session.state`` is a dict)."""
        if not name or any(c in name for c in " :\r\n"):
            raise ConfigurationError(f"app name {name!r}: use a non-empty name without ':'")
        self.name = name
        if jambonz_version is not None:
            from jambonz_types import parse_version

            try:
                parse_version(jambonz_version)
            except ValueError as exc:
                raise ConfigurationError(f"jambonz_version: {exc}") from exc
        self.jambonz_version = jambonz_version
        """The jambonz release the app runs against: every reply is checked against it."""
        """Namespaces the app's calls in a session store (apps sharing a store differ)."""
        if env_vars is not None and env_schema is not None:
            raise ConfigurationError("give env_vars (typed) or env_schema (raw), not both")
        self.env_vars: dict[str, EnvVar] = dict(env_vars) if env_vars is not None else {}
        """The declared env vars (empty with ``env_schema`` or no declaration)."""
        if env_vars is not None:
            self.env_schema: dict[str, JsonValue] | None = build_env_schema(env_vars)
        else:
            self.env_schema = dict(env_schema) if env_schema is not None else None
        self.error_reply = error_reply
        to_wire(error_reply)  # fail now, not on the first handler error
        self.ack_warning_after = ack_warning_after
        self.reconnect_grace = reconnect_grace
        self._session_handlers: dict[str, _SessionHandler[S]] = {}
        self._flows: dict[str, FlowRoute] = {}
        self._adulting_handlers: dict[str, _Hook] = {}
        self._hooks: dict[str, _Hook] = {}
        self._by_type: dict[str, _Notify | _Hook] = {}
        self.sessions: dict[str, Session] = {}
        """Live sessions by call sid (including ones waiting for a reconnect)."""
        self._audio_routes: dict[tuple[str, str], AudioRoute] = {}

    def new_state(self) -> object:
        """A fresh per-call state: ``state()`` of the model, or an empty dict."""
        return {} if self.state_model is None else self.state_model()

    def dump_state(self, state: object) -> str:
        """The state as JSON, as a session store keeps it.

        Raises:
            TypeError, ValueError: a dict state holding something JSON cannot carry.
        """
        if isinstance(state, BaseModel):
            return state.model_dump_json()
        return json.dumps(state, separators=(",", ":"), allow_nan=False)

    def load_state(self, text: str) -> object:
        """The state back from :meth:`dump_state`'s JSON.

        Raises:
            ValueError: the JSON does not fit the state model (pydantic's error).
        """
        if self.state_model is None:
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError("stored state is not a JSON object")
            return value
        return self.state_model.model_validate_json(text)

    @property
    def paths(self) -> tuple[str, ...]:
        """The websocket URL paths this app answers (its ``on_session`` and ``flow`` paths)."""
        return (*self._session_handlers, *self._flows)

    @property
    def audio_paths(self) -> tuple[tuple[str, AudioPlatform], ...]:
        """The ``(path, platform)`` pairs of this app's ``on_audio`` handlers."""
        return tuple((route.path, route.platform) for route in self._audio_routes.values())

    # -- registration ------------------------------------------------------------------

    def on_session(self, path: str = "/") -> Callable[[_SessionHandler[S]], _SessionHandler[S]]:
        """Handle ``session:new`` on websocket URL ``path`` (query string ignored).

        The handler's return value is the ack: the call's first verbs. An empty list
        makes jambonz reject the call ("no application provided").
        """
        route = _norm_path(path)

        def register(handler: _SessionHandler[S]) -> _SessionHandler[S]:
            _require_async(handler, f"on_session({path!r})")
            if route in self._session_handlers or route in self._flows:
                raise ConfigurationError(f"two on_session/flow handlers for path {route!r}")
            self._session_handlers[route] = handler
            return handler

        return register

    def flow(
        self, path: str = "/", *, filler: Reply = None, filler_after: float = 3.5
    ) -> Callable[[FlowHandler], FlowHandler]:
        """Run a linear call flow for each call on websocket URL ``path`` (not ``on_session``).

        The handler gets a :class:`~jambonz_runtime.flow.CallFlow` and reads top to
        bottom: ``result = await call.gather(...)`` sends the verbs (as the ack of the
        message waiting for one, else as a ``redirect`` command) and resolves with the
        gather's typed callback; see :mod:`jambonz_runtime.flow`. Event hooks, status
        handlers, tool calls and TTS streaming registered on the app keep working.

        Args:
            path: the websocket URL path (query string ignored).
            filler: verbs to ack a hook with when the flow has not sent its next verbs
                ``filler_after`` seconds after the hook arrived (e.g. a ``say`` and a
                long ``pause``); the flow's verbs then go out as a ``redirect`` command
                that replaces the filler. ``None``: such a hook is acked with ``[]``
                (the call waits silently for the command). ``session:new`` is only
                acked early with a filler (``[]`` would reject the call).
            filler_after: seconds, below the server's 5 s ack deadline.

        Raises:
            ConfigurationError: a bad ``filler_after``, or the path is taken.
            VerbValidationError: ``filler`` is not a valid verb array.
        """
        from jambonz_types import Verbs

        route = _norm_path(path)
        if not 0 < filler_after < 5.0:
            raise ConfigurationError(
                f"flow({path!r}): filler_after must be between 0 and the 5 s ack deadline, "
                f"got {filler_after}"
            )
        wire = None if filler is None else Verbs.from_wire(to_wire(filler)).to_wire()

        def register(handler: FlowHandler) -> FlowHandler:
            _require_async(handler, f"flow({path!r})")
            if route in self._session_handlers or route in self._flows:
                raise ConfigurationError(f"two on_session/flow handlers for path {route!r}")
            self._flows[route] = FlowRoute(handler, wire, filler_after)
            return handler

        return register

    def on_adulting(
        self, path: str = "/"
    ) -> Callable[
        [_HookHandler[S, SessionAdultingCallback]], _HookHandler[S, SessionAdultingCallback]
    ]:
        """Handle ``session:adulting``: a dialed leg became its own session.

        It arrives on a new socket at ``<call hook>/adulting``; ``path`` is the app
        path (``on_session``'s). Without a handler it is acked with ``[]``.
        """
        route = _norm_path(path)

        def register(
            handler: _HookHandler[S, SessionAdultingCallback],
        ) -> _HookHandler[S, SessionAdultingCallback]:
            _require_async(handler, f"on_adulting({path!r})")
            self._adulting_handlers[route] = _Hook(SessionAdultingCallback, handler)  # type: ignore[arg-type]  # stored erased
            return handler

        return register

    @overload
    def on_audio(
        self, path: str, *, platform: Literal["jambonz"] = "jambonz"
    ) -> Callable[[JambonzAudioHandler], JambonzAudioHandler]: ...

    @overload
    def on_audio(
        self, path: str, *, platform: Literal["vonage"]
    ) -> Callable[[VonageAudioHandler], VonageAudioHandler]: ...

    def on_audio(self, path: str, *, platform: str = "jambonz") -> Callable[[_A], _A]:
        """Handle the audio websocket at URL ``path`` (exact path; query ignored).

        ``platform="jambonz"`` (default): the socket a ``listen``/``stream`` verb opens
        (subprotocol ``audio.drachtio.org``); the handler takes a
        :class:`~jambonz_runtime.audio.JambonzAudioStream`. Use the same path as the
        verb's ``url`` (a relative url such as ``"/audio"`` resolves against the call
        hook). ``platform="vonage"``: a Vonage Voice API websocket (no subprotocol);
        the handler takes a :class:`~jambonz_runtime.audio.VonageAudioStream`.

        The handler runs once per socket; see :class:`~jambonz_runtime.audio.AudioStream`.
        The same path may also carry an ``on_session`` handler: sockets are told apart by
        their subprotocol.
        """
        from .audio._socket import AudioRoute

        if platform not in ("jambonz", "vonage"):
            raise ConfigurationError(
                f"on_audio platform: {platform!r} is not one of 'jambonz', 'vonage'"
            )
        route = _norm_path(path)

        def register(handler: _A) -> _A:
            _require_async(handler, f"on_audio({path!r})")
            _check_audio_annotation(handler, platform)
            if (route, platform) in self._audio_routes:
                raise ConfigurationError(f"two on_audio({platform}) handlers for path {route!r}")
            self._audio_routes[(route, platform)] = AudioRoute(
                route,
                "jambonz" if platform == "jambonz" else "vonage",
                handler,
            )
            return handler

        return register

    @overload
    def action_hook(self, path: str) -> Callable[[_HookHandler[S, P]], HookRef[P]]: ...

    @overload
    def action_hook(
        self, path: str, payload: type[P]
    ) -> Callable[[_HookHandler[S, P]], HookRef[P]]: ...

    def action_hook(
        self, path: str, payload: type[P] | None = None
    ) -> Callable[[_HookHandler[S, P]], HookRef[P]]:
        """Handle a verb hook (``verb:hook``, ``dial:confirm`` or ``session:redirect``).

        The payload model is ``payload`` or, if omitted, the annotation of the
        handler's second parameter. Returns a ``HookRef[P]`` (not the function) to pass
        to the verb's hook parameter; its path is what jambonz sends back.
        """
        if not path:
            raise ConfigurationError("a hook path must not be empty")

        def register(handler: _HookHandler[S, P]) -> HookRef[P]:
            _require_async(handler, f"action_hook({path!r})")
            model = payload or _payload_model(handler, f"action_hook({path!r})")
            if path in self._hooks:
                raise ConfigurationError(f"two handlers for hook {path!r}")
            self._hooks[path] = _Hook(model, handler)  # type: ignore[arg-type]  # stored erased
            return HookRef(path, model)

        return register

    @overload
    def event_hook(self, path: str) -> Callable[[_HookHandler[S, P]], HookRef[P]]: ...

    @overload
    def event_hook(
        self, path: str, payload: type[P]
    ) -> Callable[[_HookHandler[S, P]], HookRef[P]]: ...

    def event_hook(
        self, path: str, payload: type[P] | None = None
    ) -> Callable[[_HookHandler[S, P]], HookRef[P]]:
        """Handle a verb's ``eventHook``, ``statusHook`` or other non-action hook.

        The same registration as :meth:`action_hook` (payload model from ``payload`` or
        the handler's annotation; returns a ``HookRef[P]`` for the verb's hook
        parameter), named for the hooks that report progress rather than a verb's end,
        e.g. ``dial(status_hook=...)`` or ``sip_refer(event_hook=...)``.
        """
        if payload is None:
            return self.action_hook(path)
        return self.action_hook(path, payload)

    @overload
    def on(
        self, event: Literal["call:status"]
    ) -> Callable[[_Notification[S, CallStatusCallback]], _Notification[S, CallStatusCallback]]: ...
    @overload
    def on(
        self, event: Literal["verb:status"]
    ) -> Callable[[_Notification[S, VerbStatusCallback]], _Notification[S, VerbStatusCallback]]: ...
    @overload
    def on(
        self, event: Literal["llm:event"]
    ) -> Callable[[_Notification[S, LlmEventCallback]], _Notification[S, LlmEventCallback]]: ...
    @overload
    def on(
        self, event: Literal["llm:tool-call", "agent:tool-call"]
    ) -> Callable[
        [_Notification[S, LlmToolCallCallback]], _Notification[S, LlmToolCallCallback]
    ]: ...
    @overload
    def on(
        self, event: Literal["agent:event"]
    ) -> Callable[[_Notification[S, AgentEventCallback]], _Notification[S, AgentEventCallback]]: ...
    @overload
    def on(
        self, event: Literal["tts:streaming-event"]
    ) -> Callable[
        [_Notification[S, TtsStreamingEventCallback]],
        _Notification[S, TtsStreamingEventCallback],
    ]: ...
    @overload
    def on(
        self, event: Literal["tts:tokens-result"]
    ) -> Callable[
        [_Notification[S, TtsTokensResultCallback]],
        _Notification[S, TtsTokensResultCallback],
    ]: ...
    @overload
    def on(
        self, event: Literal["jambonz:error"]
    ) -> Callable[
        [_Notification[S, JambonzErrorCallback]], _Notification[S, JambonzErrorCallback]
    ]: ...
    @overload
    def on(
        self, event: Literal["session:reconnect"]
    ) -> Callable[
        [_Notification[S, SessionReconnectCallback]],
        _Notification[S, SessionReconnectCallback],
    ]: ...
    @overload
    def on(
        self, event: Literal["dial:confirm"]
    ) -> Callable[[_HookHandler[S, DialConfirmCallback]], _HookHandler[S, DialConfirmCallback]]: ...
    @overload
    def on(
        self, event: Literal["session:redirect"]
    ) -> Callable[
        [_HookHandler[S, SessionRedirectCallback]], _HookHandler[S, SessionRedirectCallback]
    ]: ...
    @overload
    def on(
        self, event: Literal["session:adulting"]
    ) -> Callable[
        [_HookHandler[S, SessionAdultingCallback]], _HookHandler[S, SessionAdultingCallback]
    ]: ...
    @overload
    def on(
        self, event: Literal["verb:hook"]
    ) -> Callable[[_HookHandler[S, BaseCallback]], _HookHandler[S, BaseCallback]]: ...

    def on(self, event: str) -> Callable[[_H], _H]:
        """Handle every message of type ``event``.

        Notifications (``call:status``, ``verb:status``, ``llm:*``, ``tts:*``,
        ``jambonz:error``, ``session:reconnect``) return ``None``: the server expects
        no ack (the runtime acks ``session:reconnect`` itself, at once). For
        ``dial:confirm``, ``session:redirect``, ``session:adulting`` and ``verb:hook``
        this is the fallback when no path-specific handler matches, and the return
        value is the ack.
        """
        from .protocol._messages import ACK_REQUIRED, PAYLOAD_MODELS

        if event not in PAYLOAD_MODELS or event == "session:new":
            raise ConfigurationError(
                f"app.on() does not take {event!r}; allowed: "
                + ", ".join(sorted(set(PAYLOAD_MODELS) - {"session:new"}))
            )
        model = PAYLOAD_MODELS[event]

        def register(handler: _H) -> _H:
            _require_async(handler, f"app.on({event!r})")
            _check_annotation(handler, model, f"app.on({event!r})")
            if event in self._by_type:
                raise ConfigurationError(f"two app.on({event!r}) handlers")
            if event in ACK_REQUIRED and event != "session:reconnect":
                self._by_type[event] = _Hook(model, handler)  # type: ignore[arg-type]  # stored erased
            else:
                self._by_type[event] = _Notify(model, handler)
            return handler

        return register
