"""jambonz HTTP webhook apps: an ASGI application, its per-call context and answers.

Why a subpackage: the websocket runtime and the HTTP side share the ``App`` and its
typed handlers but nothing else; an app that only uses websockets never loads this.

* :class:`WebhookApp`: ASGI 3 callable serving an ``App[CallContext]`` (or
  ``App[WebhookSession]``) as jambonz webhooks: call hooks, action hooks, the call-status
  hook, ``OPTIONS`` env-var discovery, ``Jambonz-Signature`` verification;
* :class:`WebhookSession`: the per-call context handlers get over HTTP;
* :class:`WebhookResponse`: the typed verb builder plus the HTTP body/headers, for apps
  served by another framework;
* :mod:`jambonz_runtime.testing.webhook` (also importable as
  ``jambonz_runtime.webhook.testing``): an in-process ASGI driver playing jambonz's
  HTTP side.

Signature helpers are in :mod:`jambonz_runtime.webhook.signature` (no web framework
needed).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._app import ASGIMessage as ASGIMessage
    from ._app import ASGIReceive as ASGIReceive
    from ._app import ASGIScope as ASGIScope
    from ._app import ASGISend as ASGISend
    from ._app import WebhookApp as WebhookApp
    from ._response import WebhookResponse as WebhookResponse
    from ._session import WebhookSession as WebhookSession

__all__ = [
    "ASGIMessage",
    "ASGIReceive",
    "ASGIScope",
    "ASGISend",
    "WebhookApp",
    "WebhookResponse",
    "WebhookSession",
]

_LAZY: dict[str, str] = {
    "ASGIMessage": "_app",
    "ASGIReceive": "_app",
    "ASGIScope": "_app",
    "ASGISend": "_app",
    "WebhookApp": "_app",
    "WebhookResponse": "_response",
    "WebhookSession": "_session",
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
