"""Typed clients of the jambonz REST API.

* :class:`JambonzClient` (sync) and :class:`AsyncJambonzClient`: the whole API,
  generated from the api-server's OpenAPI spec (``openapi/``), one method per operation
  on resources (``client.applications.create(body=...)``,
  ``client.phone_numbers.update(...)``, ``client.recent_calls.iter_list()``, ...),
  models in :mod:`jambonz_types.api`, :class:`RetryPolicy` for retries;
* :class:`RestClient`: the earlier hand-written async client of calls and messages
  (kept; same errors).

Why a subpackage: it is the only part of the SDK that needs an HTTP client library, an
optional extra (``pip install 'jambonz-typed[rest]'``, httpx). Importing this package
and its models needs no extra; creating a :class:`RestClient` does (else
:class:`~jambonz_runtime.exceptions.MissingExtra`).

* :class:`RestClient` with ``client.calls`` (:class:`Calls`: ``create``, ``list``,
  ``get``, ``delete``, ``update`` and one method per live-control action: ``redirect``,
  ``hangup``, ``cancel``, ``whisper``, ``mute``, ``unmute``, ``listen_status``, ``tag``,
  ``send_dtmf``, ``record``, ``sip_request``, ``conference_*``, ...) and
  ``client.messages`` (:class:`Messages`);
* request models (:class:`CreateCallRequest`, :class:`CallUpdate`,
  :class:`CreateMessageRequest`, ...) and response models (:class:`CreatedCall`,
  :class:`CallInfo`, :class:`SipRequestResult`, :class:`CreatedMessage`);
* errors (re-exported from :mod:`jambonz_runtime.exceptions`): :class:`RestError` and
  its subclasses, each :class:`RestStatusError` carrying ``status`` and the server's
  ``message``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..exceptions import MissingExtra as MissingExtra
    from ..exceptions import RestAuthError as RestAuthError
    from ..exceptions import RestBadRequest as RestBadRequest
    from ..exceptions import RestClientError as RestClientError
    from ..exceptions import RestConnectionError as RestConnectionError
    from ..exceptions import RestError as RestError
    from ..exceptions import RestNotFound as RestNotFound
    from ..exceptions import RestRateLimited as RestRateLimited
    from ..exceptions import RestResponseError as RestResponseError
    from ..exceptions import RestServerError as RestServerError
    from ..exceptions import RestStatusError as RestStatusError
    from ..exceptions import RestUnprocessable as RestUnprocessable
    from ._api_client import AsyncJambonzClient as AsyncJambonzClient
    from ._api_client import JambonzClient as JambonzClient
    from ._client import Calls as Calls
    from ._client import Messages as Messages
    from ._client import RestClient as RestClient
    from ._models import CallInfo as CallInfo
    from ._models import CallStatus as CallStatus
    from ._models import CallUpdate as CallUpdate
    from ._models import ConferenceParticipantAction as ConferenceParticipantAction
    from ._models import CreateCallRequest as CreateCallRequest
    from ._models import CreatedCall as CreatedCall
    from ._models import CreatedMessage as CreatedMessage
    from ._models import CreateMessageRequest as CreateMessageRequest
    from ._models import Dtmf as Dtmf
    from ._models import HookLike as HookLike
    from ._models import ListCallsFilter as ListCallsFilter
    from ._models import ParticipantAction as ParticipantAction
    from ._models import RecordAction as RecordAction
    from ._models import RecordRequest as RecordRequest
    from ._models import SipRequest as SipRequest
    from ._models import SipRequestResult as SipRequestResult
    from ._models import Webhook as Webhook
    from ._transport import RetryPolicy as RetryPolicy

__all__ = [
    "AsyncJambonzClient",
    "CallInfo",
    "CallStatus",
    "CallUpdate",
    "Calls",
    "ConferenceParticipantAction",
    "CreateCallRequest",
    "CreateMessageRequest",
    "CreatedCall",
    "CreatedMessage",
    "Dtmf",
    "HookLike",
    "JambonzClient",
    "ListCallsFilter",
    "Messages",
    "MissingExtra",
    "ParticipantAction",
    "RecordAction",
    "RecordRequest",
    "RestAuthError",
    "RestBadRequest",
    "RestClient",
    "RestClientError",
    "RestConnectionError",
    "RestError",
    "RestNotFound",
    "RestRateLimited",
    "RestResponseError",
    "RestServerError",
    "RestStatusError",
    "RestUnprocessable",
    "SipRequest",
    "RetryPolicy",
    "SipRequestResult",
    "Webhook",
]

_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "MissingExtra",
            "RestAuthError",
            "RestBadRequest",
            "RestClientError",
            "RestConnectionError",
            "RestError",
            "RestNotFound",
            "RestRateLimited",
            "RestResponseError",
            "RestServerError",
            "RestStatusError",
            "RestUnprocessable",
        ),
        "..exceptions",
    ),
    **dict.fromkeys(("Calls", "Messages", "RestClient"), "._client"),
    **dict.fromkeys(("AsyncJambonzClient", "JambonzClient"), "._api_client"),
    "RetryPolicy": "._transport",
    **dict.fromkeys(
        (
            "CallInfo",
            "CallStatus",
            "CallUpdate",
            "ConferenceParticipantAction",
            "CreateCallRequest",
            "CreateMessageRequest",
            "CreatedCall",
            "CreatedMessage",
            "Dtmf",
            "HookLike",
            "ListCallsFilter",
            "ParticipantAction",
            "RecordAction",
            "RecordRequest",
            "SipRequest",
            "SipRequestResult",
            "Webhook",
        ),
        "._models",
    ),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
