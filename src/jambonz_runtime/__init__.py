"""asyncio websocket runtime for jambonz apps, built on the generated ``jambonz_types``.

The public surface, by module:

* :mod:`~jambonz_runtime.app`: :class:`App` (typed handler decorators);
* :mod:`~jambonz_runtime.session`: :class:`Session` (one call, kept across reconnects);
* :mod:`~jambonz_runtime.server`: :func:`serve`, :class:`JambonzServer`;
* :mod:`~jambonz_runtime.messages` / :mod:`~jambonz_runtime.protocol`: the typed
  envelopes and the sans-I/O per-socket state machine;
* :mod:`~jambonz_runtime.exceptions`: the error tree under ``JambonzError``;
* :mod:`jambonz_runtime.testing` (import it explicitly): the jambonz simulator.
"""

from __future__ import annotations

from .app import App, HookHandler, NotificationHandler, Reply, SessionHandler
from .exceptions import (
    AckError,
    ConfigurationError,
    HandlerError,
    InvalidMessage,
    JambonzError,
    MessageTooLarge,
    SessionClosed,
)
from .messages import (
    DialConfirmCallback,
    InboundMessage,
    JambonzErrorCallback,
    LlmEventCallback,
    LlmToolCallCallback,
    SessionAdultingCallback,
    TtsTokensResultCallback,
)
from .protocol import JambonzProtocol
from .server import JambonzServer, serve
from .session import Session

__all__ = [
    "AckError",
    "App",
    "ConfigurationError",
    "DialConfirmCallback",
    "HandlerError",
    "HookHandler",
    "InboundMessage",
    "InvalidMessage",
    "JambonzError",
    "JambonzErrorCallback",
    "JambonzProtocol",
    "JambonzServer",
    "LlmEventCallback",
    "LlmToolCallCallback",
    "MessageTooLarge",
    "NotificationHandler",
    "Reply",
    "Session",
    "SessionAdultingCallback",
    "SessionClosed",
    "SessionHandler",
    "TtsTokensResultCallback",
    "serve",
]
