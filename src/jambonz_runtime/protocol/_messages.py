"""Typed envelopes of the jambonz -> app messages, parsed without ever crashing.

jambonz sends one JSON object per text frame (protocol.md §2.1): ``type``, ``msgid``,
``call_sid`` (absent on adulting / redirect-handover sockets), ``hook`` (only on the
five hook-bearing types), ``data`` (always an object) and ``b3`` (only when traced).

The envelope is parsed here and only here; ``data`` stays raw JSON in the envelope
because for ``verb:hook`` its model depends on which hook fired, which only the app
knows. :data:`PAYLOAD_MODELS` gives the model of every type whose payload is fixed,
and the payload models jambonz sends but the schema package does not describe
(``session:adulting``, ``tts:tokens-result``, ``jambonz:error``) are defined here on
the tolerant ``JambonzCallback`` base; ``dial:confirm``, ``llm:tool-call`` and
``llm:event`` come from :mod:`jambonz_types.payloads`, because verbs' hook parameters
are typed with them.

Parsing is strict where the server is (a frame that is not an object with a string
``type`` is :class:`~jambonz_runtime.exceptions.InvalidMessage`) and tolerant where
the server evolves (unknown types become :class:`UnknownMessage`, unknown envelope
keys are kept in ``extra``): new server versions must never crash an app.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from pydantic import BaseModel, JsonValue, StrictInt, StrictStr
from pydantic_core import from_json

from jambonz_types import JambonzCallback
from jambonz_types.callbacks import (
    BaseCallback,
    CallStatusCallback,
    SessionNewCallback,
    SessionReconnectCallback,
    SessionRedirectCallback,
    TtsStreamingEventCallback,
    VerbStatusCallback,
)
from jambonz_types.payloads import DialConfirmCallback, LlmEventCallback, LlmToolCallCallback

from ..exceptions import InvalidMessage

__all__ = [
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
]

InboundType = Literal[
    "session:new",
    "session:reconnect",
    "session:redirect",
    "session:adulting",
    "call:status",
    "queue:status",
    "dial:confirm",
    "verb:hook",
    "verb:status",
    "llm:event",
    "llm:tool-call",
    "tts:tokens-result",
    "tts:streaming-event",
    "jambonz:error",
    "agent:event",
    "agent:tool-call",
]
"""Every message type jambonz sends (FS ``HookMsgTypes``; the ``agent:*`` pair is v10)."""

KNOWN_TYPES: Final[frozenset[str]] = frozenset(get_args(InboundType))
"""The set form of :data:`InboundType`."""

ACK_REQUIRED: Final[frozenset[str]] = frozenset(
    {
        "session:new",
        "session:reconnect",
        "session:redirect",
        "session:adulting",
        "verb:hook",
        "dial:confirm",
    }
)
"""Types the server waits (5 s) to see acked; every other type is a notification."""

HOOK_TYPES: Final[frozenset[str]] = frozenset(
    {"verb:hook", "dial:confirm", "session:redirect", "llm:event", "llm:tool-call"}
)
"""Types whose envelope carries ``hook`` (the hook as the app wrote it)."""

_ENVELOPE_KEYS: Final[frozenset[str]] = frozenset(
    {"type", "msgid", "call_sid", "hook", "data", "b3"}
)


class SessionAdultingCallback(SessionNewCallback):
    """``session:adulting``: the child leg's call info plus its parent's call info."""

    parent_call_info: dict[str, JsonValue] | None = None
    """The parent (A leg) call info, as jambonz has it."""


class AgentEventCallback(JambonzCallback):
    """``agent:event`` (jambonz v10, unverified against server code)."""

    type: str | None = None
    """``turn_end``, ``user_transcript``, ``llm_response``, ``user_interruption``, ..."""


class TtsTokensResultCallback(JambonzCallback):
    """``tts:tokens-result``: the server's answer to one ``tts:tokens`` command.

    ``{"id": 7, "status": "ok"}`` or ``{"id": 7, "status": "failed", "reason": "full"}``;
    a session with no TTS stream buffer answers just ``{"id": 7}``; newer servers answer
    a command without id with ``{"status":"failed","reason":"missing id"}``. The one
    model of this payload: app handlers and :mod:`jambonz_runtime.tts` both use it.
    """

    id: StrictInt | StrictStr | None = None
    """The ``id`` of the ``tts:tokens`` command this answers (``7`` and ``"7"`` differ)."""
    status: StrictStr | None = None
    """``ok`` or ``failed`` (with a ``reason``); absent when the session has no stream.
    Kept as a plain string so a future status never fails validation; the TTS streamer
    treats anything but ``ok`` as a failure."""
    reason: str | None = None
    """``full``, ``missing tokens``, ``missing id``, ``connection to <vendor> failed``."""


class JambonzErrorCallback(JambonzCallback):
    """``jambonz:error``: a verb failed, or the server could not read an app message."""

    msg: str | None = None
    """``InvalidMessage`` for a bad app message, else a description."""
    details: str | None = None
    """Why the app message was invalid."""
    content: str | None = None
    """The app message the server could not read, as raw text."""
    verb: str | None = None
    """The verb that failed, for task errors."""
    id: str | None = None
    """The id of the verb that failed, if it had one."""


PAYLOAD_MODELS: Final[dict[str, type[BaseModel]]] = {
    "session:new": SessionNewCallback,
    "session:reconnect": SessionReconnectCallback,
    "session:redirect": SessionRedirectCallback,
    "session:adulting": SessionAdultingCallback,
    "call:status": CallStatusCallback,
    "queue:status": BaseCallback,
    "dial:confirm": DialConfirmCallback,
    "verb:hook": BaseCallback,
    "verb:status": VerbStatusCallback,
    "llm:event": LlmEventCallback,
    "llm:tool-call": LlmToolCallCallback,
    "tts:tokens-result": TtsTokensResultCallback,
    "tts:streaming-event": TtsStreamingEventCallback,
    "jambonz:error": JambonzErrorCallback,
    "agent:event": AgentEventCallback,
    "agent:tool-call": LlmToolCallCallback,
}
"""Model of each type's ``data``; ``verb:hook`` falls back to ``BaseCallback`` when the
hook's own model is unknown."""


@dataclass(frozen=True)
class InboundMessage:
    """One jambonz -> app message of a known type."""

    type: InboundType
    """The message type."""
    msgid: str | None
    """The id an ack must carry; always present on types in :data:`ACK_REQUIRED`."""
    call_sid: str | None
    """The call this socket serves; ``None`` on adulting / redirect-handover sockets."""
    hook: str | None
    """The hook that fired (only on :data:`HOOK_TYPES`), as the app wrote it."""
    data: dict[str, JsonValue]
    """The payload, raw; validate it with :meth:`payload` or :data:`PAYLOAD_MODELS`."""
    b3: str | None = None
    """B3 trace header, when the server traces."""
    extra: dict[str, JsonValue] = field(default_factory=dict)
    """Envelope keys this SDK does not know (kept, and reported by the protocol layer)."""
    raw: str = field(default="", repr=False, compare=False)
    """The frame as received, for logging."""

    @property
    def needs_ack(self) -> bool:
        """Whether the server waits for an ack to this message."""
        return self.type in ACK_REQUIRED

    def payload(self, model: builtins.type[BaseModel] | None = None) -> BaseModel:
        """Validate ``data`` with ``model`` (default: the type's model).

        Raises:
            pydantic.ValidationError: the payload does not fit the model.
        """
        chosen = model if model is not None else PAYLOAD_MODELS[self.type]
        return chosen.model_validate(self.data, by_alias=True, by_name=False)


@dataclass(frozen=True)
class UnknownMessage:
    """A message whose ``type`` this SDK does not know (a newer server): logged, kept."""

    type: str
    """The unknown type."""
    msgid: str | None
    """Its msgid, if any."""
    call_sid: str | None
    """Its call_sid, if any."""
    data: JsonValue
    """Its payload, whatever it was."""
    raw: str = field(default="", repr=False, compare=False)
    """The frame as received."""


def _opt_str(obj: dict[str, JsonValue], key: str, raw: str | bytes) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidMessage(f"'{key}' must be a string, got {type(value).__name__}", raw)
    return value


def parse_inbound(raw: str | bytes) -> InboundMessage | UnknownMessage:
    """Parse one frame from jambonz into its envelope.

    Binary frames are decoded as UTF-8 and parsed like text: the server itself does
    that (its binary-frame guard never fires), so a real jambonz may send them.

    Raises:
        InvalidMessage: not UTF-8, not JSON, not an object, ``type`` missing or not a
            string, ``data`` not an object, or an ack-needing message without
            ``msgid``; the error keeps ``raw``.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidMessage(f"binary frame is not UTF-8 ({exc.reason})", raw) from exc
    else:
        text = raw
    try:
        # pydantic-core's parser is about twice as fast as json.loads on jambonz frames;
        # the few documents it refuses but json.loads reads (lone surrogates in strings,
        # nesting deeper than ~1,000) still go through json.loads, so what is accepted
        # does not change.
        decoded: object = from_json(text, cache_strings="keys")
    except ValueError:
        try:
            decoded = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InvalidMessage(f"not JSON ({exc})", raw) from exc
    if not isinstance(decoded, dict):
        raise InvalidMessage(f"expected a JSON object, got {type(decoded).__name__}", raw)
    obj: dict[str, JsonValue] = decoded
    kind = obj.get("type")
    if kind is None:
        raise InvalidMessage("missing 'type'", raw)
    if not isinstance(kind, str):
        raise InvalidMessage(f"'type' must be a string, got {type(kind).__name__}", raw)
    msgid = _opt_str(obj, "msgid", raw)
    call_sid = _opt_str(obj, "call_sid", raw)
    if kind not in KNOWN_TYPES:
        return UnknownMessage(kind, msgid, call_sid, obj.get("data"), text)
    data = obj.get("data", {})
    if not isinstance(data, dict):
        raise InvalidMessage(
            f"'data' of {kind} must be a JSON object, got {type(data).__name__}", raw
        )
    if kind in ACK_REQUIRED and not msgid:
        raise InvalidMessage(f"{kind} needs an ack but has no 'msgid'", raw)
    extra = {k: v for k, v in obj.items() if k not in _ENVELOPE_KEYS}
    return InboundMessage(
        type=kind,  # type: ignore[arg-type]  # membership in KNOWN_TYPES checked above
        msgid=msgid,
        call_sid=call_sid,
        hook=_opt_str(obj, "hook", raw),
        data=data,
        b3=_opt_str(obj, "b3", raw),
        extra=extra,
        raw=text,
    )
