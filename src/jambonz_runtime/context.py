"""``CallContext``: what a handler may use whichever transport serves the call.

Why: jambonz talks to an app over a websocket *or* over HTTP webhooks, and most call
logic (read the payload, keep a little per-call state, return verbs) is the same on
both. What differs is what can be *sent* outside an answer: a websocket
:class:`~jambonz_runtime.session.Session` has typed commands (``session.redirect``,
``session.whisper``, ...) because the socket stays open; a webhook call has no socket,
so the same live call control goes through the REST API
(:class:`jambonz_runtime.rest.RestClient`, ``calls.redirect``/``calls.whisper``/...).

``CallContext`` is the read-side surface both implement (a structural ``Protocol``, so
``Session`` satisfies it unchanged). An app written once for both transports is an
``App[CallContext]`` whose handlers take ``CallContext``; mypy then refuses a command
call in those handlers (``CallContext`` has no ``redirect``) and refuses to serve an
``App[Session]`` (handlers that need the socket) over HTTP::

    app = App[CallContext]()

    @app.on_session("/")
    async def start(session: CallContext, call: SessionNewCallback) -> Verbs: ...

    serve(app)          # websocket: handlers get a Session
    WebhookApp(app)     # HTTP: handlers get a WebhookSession

A transport-neutral handler that wants a command where one exists narrows explicitly:
``if isinstance(session, Session): await session.redirect(...)``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from typing_extensions import TypeVar

from jambonz_types.callbacks import SessionNewCallback

if TYPE_CHECKING:
    from .envvars import EnvValue

__all__ = ["CallContext"]

_StateT_co = TypeVar("_StateT_co", covariant=True, default=dict[str, object])

if TYPE_CHECKING:
    _LoggerAdapter = logging.LoggerAdapter[logging.Logger]
else:  # LoggerAdapter is subscriptable at run time only from Python 3.11
    _LoggerAdapter = logging.LoggerAdapter


class CallContext(Protocol[_StateT_co]):
    """One call as a transport-neutral handler sees it (read side only).

    Parameterised by the app's state type: ``CallContext[MyState]`` for an
    ``App[CallContext[MyState]](state=MyState)``; plain ``CallContext`` has a dict state.

    Implemented by :class:`~jambonz_runtime.session.Session` (websocket) and
    :class:`~jambonz_runtime.webhook.WebhookSession` (HTTP webhooks).
    """

    @property
    def call_sid(self) -> str | None:
        """The call sid (``None`` only when no payload named it)."""
        ...

    @property
    def call(self) -> SessionNewCallback:
        """The payload that started the call (``session:new`` / the call hook)."""
        ...

    @property
    def state(self) -> _StateT_co:
        """The app's per-call state (its state model, or a dict), kept from hook to hook."""
        ...

    @property
    def path(self) -> str:
        """The URL path the call arrived on (the app's call hook path)."""
        ...

    @property
    def log(self) -> _LoggerAdapter:
        """A logger whose records carry the call sid."""
        ...

    @property
    def env(self) -> dict[str, EnvValue]:
        """The app's declared env vars, typed (see :attr:`Session.env`).

        Raises:
            EnvVarsError: a required variable is missing or has the wrong type.
        """
        ...
