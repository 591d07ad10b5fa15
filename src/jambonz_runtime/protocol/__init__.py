"""The sans-I/O jambonz wire layer: strings in, strings out.

Why a layer of its own: everything jambonz and the app say to each other over the
control socket (inbound envelopes, the protocol state machine that pairs acks with
msgids, the typed commands and the one size-checked encoder) is decided here without a
socket, an event loop or an app in sight, so it can be tested (and fuzzed) with plain
strings, and the server, the simulator and the call-flow code all share one
implementation. It imports nothing else of the runtime but :mod:`exceptions`.

Modules (private; the names below are the public surface):

* ``_messages``: :class:`InboundMessage`, :func:`parse_inbound` and the payload models
  jambonz sends that the schema package lacks;
* ``_machine``: :class:`JambonzProtocol` and its events;
* ``_commands``: the typed ``command`` messages and ``SessionCommands``;
* ``_wire``: :func:`encode_wire`, the size-checked encoder everything outbound goes
  through;
* ``_replies``: :data:`Reply` and :func:`to_wire`, what a handler may return.

Names load on first use (PEP 562), so importing one piece does not import the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._delivery import Delivery as Delivery
    from ._machine import MAX_OUTBOUND_BYTES as MAX_OUTBOUND_BYTES
    from ._machine import DuplicateMsgid as DuplicateMsgid
    from ._machine import Event as Event
    from ._machine import InvalidReceived as InvalidReceived
    from ._machine import JambonzProtocol as JambonzProtocol
    from ._machine import MessageReceived as MessageReceived
    from ._machine import UnexpectedKeys as UnexpectedKeys
    from ._machine import UnknownReceived as UnknownReceived
    from ._messages import ACK_REQUIRED as ACK_REQUIRED
    from ._messages import HOOK_TYPES as HOOK_TYPES
    from ._messages import KNOWN_TYPES as KNOWN_TYPES
    from ._messages import PAYLOAD_MODELS as PAYLOAD_MODELS
    from ._messages import AgentEventCallback as AgentEventCallback
    from ._messages import DialConfirmCallback as DialConfirmCallback
    from ._messages import InboundMessage as InboundMessage
    from ._messages import InboundType as InboundType
    from ._messages import JambonzErrorCallback as JambonzErrorCallback
    from ._messages import LlmEventCallback as LlmEventCallback
    from ._messages import LlmToolCallCallback as LlmToolCallCallback
    from ._messages import SessionAdultingCallback as SessionAdultingCallback
    from ._messages import TtsTokensResultCallback as TtsTokensResultCallback
    from ._messages import UnknownMessage as UnknownMessage
    from ._messages import parse_inbound as parse_inbound
    from ._replies import Reply as Reply
    from ._replies import SupportsToWire as SupportsToWire
    from ._replies import to_wire as to_wire
    from ._wire import check_size as check_size
    from ._wire import encode_wire as encode_wire

__all__ = [
    "ACK_REQUIRED",
    "HOOK_TYPES",
    "KNOWN_TYPES",
    "MAX_OUTBOUND_BYTES",
    "PAYLOAD_MODELS",
    "AgentEventCallback",
    "Delivery",
    "DialConfirmCallback",
    "DuplicateMsgid",
    "Event",
    "InboundMessage",
    "InboundType",
    "InvalidReceived",
    "JambonzErrorCallback",
    "JambonzProtocol",
    "LlmEventCallback",
    "LlmToolCallCallback",
    "MessageReceived",
    "Reply",
    "SessionAdultingCallback",
    "SupportsToWire",
    "TtsTokensResultCallback",
    "UnexpectedKeys",
    "UnknownMessage",
    "UnknownReceived",
    "check_size",
    "encode_wire",
    "parse_inbound",
    "to_wire",
]

_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "MAX_OUTBOUND_BYTES",
            "DuplicateMsgid",
            "Event",
            "InvalidReceived",
            "JambonzProtocol",
            "MessageReceived",
            "UnexpectedKeys",
            "UnknownReceived",
        ),
        "_machine",
    ),
    **dict.fromkeys(
        (
            "ACK_REQUIRED",
            "HOOK_TYPES",
            "KNOWN_TYPES",
            "PAYLOAD_MODELS",
            "AgentEventCallback",
            "DialConfirmCallback",
            "InboundMessage",
            "InboundType",
            "JambonzErrorCallback",
            "LlmEventCallback",
            "LlmToolCallCallback",
            "SessionAdultingCallback",
            "TtsTokensResultCallback",
            "UnknownMessage",
            "parse_inbound",
        ),
        "_messages",
    ),
    "Delivery": "_delivery",
    **dict.fromkeys(("Reply", "SupportsToWire", "to_wire"), "_replies"),
    **dict.fromkeys(("check_size", "encode_wire"), "_wire"),
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
