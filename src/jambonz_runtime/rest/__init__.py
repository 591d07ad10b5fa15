"""Typed async client of the jambonz REST API: outbound calls, live call control, SMS.

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
    from ..exceptions import RestConnectionError as RestConnectionError
    from ..exceptions import RestError as RestError
    from ..exceptions import RestNotFound as RestNotFound
    from ..exceptions import RestResponseError as RestResponseError
    from ..exceptions import RestServerError as RestServerError
    from ..exceptions import RestStatusError as RestStatusError
    from ..exceptions import RestUnprocessable as RestUnprocessable
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

__all__ = [
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
    "ListCallsFilter",
    "Messages",
    "MissingExtra",
    "ParticipantAction",
    "RecordAction",
    "RecordRequest",
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
    "SipRequest",
    "SipRequestResult",
    "Webhook",
]

_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "MissingExtra",
            "RestAuthError",
            "RestBadRequest",
            "RestConnectionError",
            "RestError",
            "RestNotFound",
            "RestResponseError",
            "RestServerError",
            "RestStatusError",
            "RestUnprocessable",
        ),
        "..exceptions",
    ),
    **dict.fromkeys(("Calls", "Messages", "RestClient"), "._client"),
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
