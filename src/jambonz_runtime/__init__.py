"""asyncio websocket runtime for jambonz apps, built on the generated ``jambonz_types``.

Why lazy: ``import jambonz_runtime`` loads nothing but this file; each public name
loads its module on first use (PEP 562), so a tool that only needs, say,
:class:`EnvVar` does not pay for the websocket server or the verb models.

The public surface:

* apps: :class:`App` (typed handler decorators), :class:`Session` (one call, kept
  across reconnects; typed commands; ``session.tts``; ``session.env``), the handler
  aliases :data:`Reply`, :data:`SessionHandler`, :data:`HookHandler`,
  :data:`NotificationHandler`;
* linear call flows: :class:`CallFlow` (``@app.flow``: ``await call.gather(...)``
  yields the typed callback), :data:`FlowHandler`;
* serving: :func:`serve`, :class:`JambonzServer` (websocket); :func:`run` (``asyncio.run``
  on uvloop when installed: ``run(serve(app))``); :class:`WebhookApp` (HTTP
  webhooks, ASGI) with :class:`WebhookSession` and :class:`WebhookResponse`;
  :class:`CallContext`, the handler context both transports give (``App[CallContext]``
  apps run on either); :func:`verify_signature` for ``Jambonz-Signature``;
* the REST API: :class:`RestClient` (optional extra ``rest``; models in
  :mod:`jambonz_runtime.rest`);
* TTS streaming: :class:`TtsStreamer`, :class:`TtsSendResult`;
* audio sockets (``app.on_audio``): :class:`JambonzAudioStream`,
  :class:`VonageAudioStream` (both :class:`AudioStream`), their metadata models and
  events (:class:`DtmfEvent`, :class:`MarkEvent`, :class:`PlayDoneEvent`,
  :class:`TextEvent`); constants and :class:`~jambonz_runtime.audio.Clock` live in
  :mod:`jambonz_runtime.audio`;
* production serving: :class:`SessionStore` (:class:`MemoryStore`, :class:`RedisStore`)
  keeps typed call state (``App(state=Model)``) across sockets, processes and deploys;
  ``jambonz-typed serve --workers N --store redis://...``;
* env vars: :class:`EnvVar`, :func:`env_schema`, :func:`read_env`;
* payload models jambonz sends that the schema package lacks (``DialConfirmCallback``,
  ``LlmToolCallCallback``, ...) and the envelope :class:`InboundMessage`;
* the sans-I/O core :class:`JambonzProtocol`;
* errors, all under :class:`JambonzError`;
* :mod:`jambonz_runtime.testing` (import it explicitly): the jambonz simulator;
  ``python -m jambonz_runtime.demo``: a simulated call to the echo example;
* :mod:`jambonz_runtime.cli`: the ``jambonz-typed`` command (``python -m jambonz_runtime``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._loop import run as run
    from .app import App as App
    from .app import HookHandler as HookHandler
    from .app import NotificationHandler as NotificationHandler
    from .app import Reply as Reply
    from .app import SessionHandler as SessionHandler
    from .audio import AudioEvent as AudioEvent
    from .audio import AudioStream as AudioStream
    from .audio import DtmfEvent as DtmfEvent
    from .audio import JambonzAudioHandler as JambonzAudioHandler
    from .audio import JambonzAudioMetadata as JambonzAudioMetadata
    from .audio import JambonzAudioStream as JambonzAudioStream
    from .audio import MarkEvent as MarkEvent
    from .audio import PlayDoneEvent as PlayDoneEvent
    from .audio import TextEvent as TextEvent
    from .audio import VonageAudioHandler as VonageAudioHandler
    from .audio import VonageAudioMetadata as VonageAudioMetadata
    from .audio import VonageAudioStream as VonageAudioStream
    from .context import CallContext as CallContext
    from .envvars import EnvValue as EnvValue
    from .envvars import EnvVar as EnvVar
    from .envvars import env_schema as env_schema
    from .envvars import read_env as read_env
    from .exceptions import MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES
    from .exceptions import AckError as AckError
    from .exceptions import AudioArgumentError as AudioArgumentError
    from .exceptions import AudioStreamClosed as AudioStreamClosed
    from .exceptions import CallEnded as CallEnded
    from .exceptions import ConfigurationError as ConfigurationError
    from .exceptions import EnvSchemaError as EnvSchemaError
    from .exceptions import EnvVarsError as EnvVarsError
    from .exceptions import FlowUsageError as FlowUsageError
    from .exceptions import HandlerError as HandlerError
    from .exceptions import InvalidMessage as InvalidMessage
    from .exceptions import InvalidPayload as InvalidPayload
    from .exceptions import JambonzError as JambonzError
    from .exceptions import MarkLimitExceeded as MarkLimitExceeded
    from .exceptions import MessageTooLarge as MessageTooLarge
    from .exceptions import MissingExtra as MissingExtra
    from .exceptions import RestAuthError as RestAuthError
    from .exceptions import RestBadRequest as RestBadRequest
    from .exceptions import RestConnectionError as RestConnectionError
    from .exceptions import RestError as RestError
    from .exceptions import RestNotFound as RestNotFound
    from .exceptions import RestResponseError as RestResponseError
    from .exceptions import RestServerError as RestServerError
    from .exceptions import RestStatusError as RestStatusError
    from .exceptions import RestUnprocessable as RestUnprocessable
    from .exceptions import SessionClosed as SessionClosed
    from .exceptions import SessionMoved as SessionMoved
    from .exceptions import SignatureError as SignatureError
    from .exceptions import StoreError as StoreError
    from .exceptions import TtsStreamClosed as TtsStreamClosed
    from .flow import CallFlow as CallFlow
    from .flow import FlowHandler as FlowHandler
    from .protocol import AgentEventCallback as AgentEventCallback
    from .protocol import Delivery as Delivery
    from .protocol import DialConfirmCallback as DialConfirmCallback
    from .protocol import InboundMessage as InboundMessage
    from .protocol import JambonzErrorCallback as JambonzErrorCallback
    from .protocol import JambonzProtocol as JambonzProtocol
    from .protocol import LlmEventCallback as LlmEventCallback
    from .protocol import LlmToolCallCallback as LlmToolCallCallback
    from .protocol import SessionAdultingCallback as SessionAdultingCallback
    from .protocol import TtsTokensResultCallback as TtsTokensResultCallback
    from .rest import RestClient as RestClient
    from .server import JambonzServer as JambonzServer
    from .server import serve as serve
    from .session import Session as Session
    from .store import MemoryStore as MemoryStore
    from .store import RedisStore as RedisStore
    from .store import SessionStore as SessionStore
    from .tts import TtsSendResult as TtsSendResult
    from .tts import TtsStreamer as TtsStreamer
    from .webhook import WebhookApp as WebhookApp
    from .webhook import WebhookResponse as WebhookResponse
    from .webhook import WebhookSession as WebhookSession
    from .webhook.signature import verify_signature as verify_signature

__all__ = [
    "MAX_MESSAGE_BYTES",
    "AckError",
    "AgentEventCallback",
    "App",
    "AudioArgumentError",
    "AudioEvent",
    "AudioStream",
    "AudioStreamClosed",
    "CallContext",
    "CallEnded",
    "CallFlow",
    "ConfigurationError",
    "Delivery",
    "DialConfirmCallback",
    "DtmfEvent",
    "EnvSchemaError",
    "EnvValue",
    "EnvVar",
    "EnvVarsError",
    "FlowHandler",
    "FlowUsageError",
    "HandlerError",
    "HookHandler",
    "InboundMessage",
    "InvalidMessage",
    "JambonzAudioHandler",
    "JambonzAudioMetadata",
    "JambonzAudioStream",
    "InvalidPayload",
    "JambonzError",
    "JambonzErrorCallback",
    "JambonzProtocol",
    "JambonzServer",
    "LlmEventCallback",
    "LlmToolCallCallback",
    "MarkEvent",
    "MarkLimitExceeded",
    "MessageTooLarge",
    "MissingExtra",
    "NotificationHandler",
    "PlayDoneEvent",
    "Reply",
    "RestAuthError",
    "RestBadRequest",
    "RestClient",
    "RestConnectionError",
    "RestError",
    "RestNotFound",
    "RestResponseError",
    "RestServerError",
    "RestStatusError",
    "RestUnprocessable",
    "Session",
    "SessionAdultingCallback",
    "SessionClosed",
    "SessionMoved",
    "SessionStore",
    "StoreError",
    "MemoryStore",
    "RedisStore",
    "SessionHandler",
    "TextEvent",
    "SignatureError",
    "TtsSendResult",
    "TtsStreamClosed",
    "TtsStreamer",
    "TtsTokensResultCallback",
    "VonageAudioHandler",
    "VonageAudioMetadata",
    "VonageAudioStream",
    "WebhookApp",
    "WebhookResponse",
    "WebhookSession",
    "env_schema",
    "read_env",
    "run",
    "serve",
    "verify_signature",
]

_LAZY: dict[str, str] = {
    "CallContext": "context",
    "WebhookApp": "webhook",
    "WebhookResponse": "webhook",
    "WebhookSession": "webhook",
    "RestClient": "rest",
    "verify_signature": "webhook.signature",
    "MissingExtra": "exceptions",
    "RestAuthError": "exceptions",
    "RestBadRequest": "exceptions",
    "RestConnectionError": "exceptions",
    "RestError": "exceptions",
    "RestNotFound": "exceptions",
    "RestResponseError": "exceptions",
    "RestServerError": "exceptions",
    "RestStatusError": "exceptions",
    "RestUnprocessable": "exceptions",
    "SignatureError": "exceptions",
    "App": "app",
    "HookHandler": "app",
    "NotificationHandler": "app",
    "Reply": "app",
    "SessionHandler": "app",
    "AudioEvent": "audio",
    "AudioStream": "audio",
    "DtmfEvent": "audio",
    "JambonzAudioHandler": "audio",
    "JambonzAudioMetadata": "audio",
    "JambonzAudioStream": "audio",
    "MarkEvent": "audio",
    "PlayDoneEvent": "audio",
    "TextEvent": "audio",
    "VonageAudioHandler": "audio",
    "VonageAudioMetadata": "audio",
    "VonageAudioStream": "audio",
    "EnvValue": "envvars",
    "EnvVar": "envvars",
    "env_schema": "envvars",
    "read_env": "envvars",
    "MAX_MESSAGE_BYTES": "exceptions",
    "AckError": "exceptions",
    "AudioArgumentError": "exceptions",
    "AudioStreamClosed": "exceptions",
    "MarkLimitExceeded": "exceptions",
    "CallEnded": "exceptions",
    "ConfigurationError": "exceptions",
    "EnvSchemaError": "exceptions",
    "EnvVarsError": "exceptions",
    "FlowUsageError": "exceptions",
    "HandlerError": "exceptions",
    "InvalidMessage": "exceptions",
    "InvalidPayload": "exceptions",
    "JambonzError": "exceptions",
    "MessageTooLarge": "exceptions",
    "SessionClosed": "exceptions",
    "SessionMoved": "exceptions",
    "StoreError": "exceptions",
    "MemoryStore": "store",
    "RedisStore": "store",
    "SessionStore": "store",
    "TtsStreamClosed": "exceptions",
    "CallFlow": "flow",
    "FlowHandler": "flow",
    "AgentEventCallback": "protocol",
    "Delivery": "protocol",
    "DialConfirmCallback": "protocol",
    "InboundMessage": "protocol",
    "JambonzErrorCallback": "protocol",
    "LlmEventCallback": "protocol",
    "LlmToolCallCallback": "protocol",
    "SessionAdultingCallback": "protocol",
    "TtsTokensResultCallback": "protocol",
    "JambonzProtocol": "protocol",
    "JambonzServer": "server",
    "run": "_loop",
    "serve": "server",
    "Session": "session",
    "TtsSendResult": "tts",
    "TtsStreamer": "tts",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
