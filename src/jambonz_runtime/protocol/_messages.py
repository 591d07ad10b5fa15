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

The envelope's strings are bounded here, once, because everything downstream uses
them: a msgid goes into the ack (one over the 24 KiB outbound cap can never be acked),
a call_sid is stamped on every log line of its call, a type or hook is logged when
nothing handles it. jambonz's own values are short printable ASCII (a msgid is ~22
characters, a call_sid a UUID), so :data:`ENVELOPE_LIMITS` leaves them far more room
than they use while a peer's 500 KB ``call_sid`` is refused at the door, in one log line.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar, get_args

from pydantic import BaseModel, JsonValue, StrictInt, StrictStr, ValidationError

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

from .._json import loads
from ..exceptions import InvalidMessage

__all__ = [
    "ACK_REQUIRED",
    "ENVELOPE_LIMITS",
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
    "validate_lenient",
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

ENVELOPE_LIMITS: Final[dict[str, int]] = {
    "type": 64,
    "msgid": 128,
    "call_sid": 128,
    "b3": 512,
    "hook": 4096,
}
"""Longest value (in characters) accepted for each envelope string. ``type``, ``msgid``,
``call_sid`` and ``b3`` must also be printable ASCII without spaces (what jambonz sends:
type names, short ids, UUIDs, B3 headers); ``hook`` is the app's own hook as written
(a path or URL, possibly with a query), so it may hold any character but a control
character."""

_TOKEN_KEYS: Final = frozenset({"type", "msgid", "call_sid", "b3"})


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
        # pydantic-core directly (``model_validate`` adds a Python frame to every message)
        return chosen.__pydantic_validator__.validate_python(  # type: ignore[no-any-return]
            self.data, by_alias=True, by_name=False
        )


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


_M = TypeVar("_M", bound=BaseModel)


def validate_lenient(
    model: builtins.type[_M], data: Mapping[str, JsonValue]
) -> tuple[_M, ValidationError | None]:
    """``data`` as ``model``, with the top-level fields that do not fit dropped.

    Why: call info is validated where it is only informative (a ``session:new`` must
    still get a :class:`Session`); a field of the wrong type becomes its typed default
    (``None``), never the wrong value behind a typed attribute. Returns the instance and
    the error (``None`` if everything fitted) so the caller can log it and decide
    whether to answer at all.
    """
    try:
        validated: _M = model.__pydantic_validator__.validate_python(
            data, by_alias=True, by_name=False
        )
        return validated, None
    except ValidationError as exc:
        error = exc
    bad = {str(err["loc"][0]) for err in error.errors(include_input=False) if err["loc"]}
    kept = {k: v for k, v in data.items() if k not in bad}
    try:
        return model.model_validate(kept, by_alias=True, by_name=False), error
    except ValidationError:  # a model with required fields: nothing usable
        return model.model_construct(), error


def _is_token(value: str) -> bool:
    # printable ASCII without space: what jambonz puts in these fields
    return value.isascii() and value.isprintable() and " " not in value


def _opt_str(obj: dict[str, JsonValue], key: str, raw: str | bytes) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidMessage(f"'{key}' must be a string, got {type(value).__name__}", raw)
    limit = ENVELOPE_LIMITS[key]
    if len(value) > limit:
        raise InvalidMessage(f"'{key}' is {len(value)} characters, over the {limit} allowed", raw)
    if key in _TOKEN_KEYS:
        if not _is_token(value):
            raise InvalidMessage(f"'{key}' must be printable ASCII without spaces", raw)
    elif not value.isprintable():
        raise InvalidMessage(f"'{key}' holds control characters", raw)
    return value


_TOKEN_128: Final = re.compile(r"[!-~]{0,128}").fullmatch
"""A msgid or call_sid as jambonz sends them (printable ASCII, no space, within the
limit): one C-level check for the common case; anything else takes the careful path,
which says what is wrong."""
_TOKEN_512: Final = re.compile(r"[!-~]{0,512}").fullmatch


def _plain_envelope(obj: dict[str, JsonValue], text: str) -> InboundMessage | None:
    """The envelope of an ordinary frame in one pass; ``None``: let the careful path decide.

    Accepts exactly what the careful path accepts without a word (a known type, short
    token strings, ``data`` an object, no unknown envelope key), so the result is the
    same; every other frame, valid or not, goes the careful way.
    """
    kind = obj.get("type")
    if type(kind) is not str or kind not in KNOWN_TYPES:
        return None
    msgid = obj.get("msgid")
    if msgid is not None and (type(msgid) is not str or not _TOKEN_128(msgid)):
        return None
    if not msgid and kind in ACK_REQUIRED:
        return None
    call_sid = obj.get("call_sid")
    if call_sid is not None and (type(call_sid) is not str or not _TOKEN_128(call_sid)):
        return None
    data = obj.get("data", {})
    if type(data) is not dict:
        return None
    hook = obj.get("hook")
    if hook is not None and (
        type(hook) is not str or len(hook) > ENVELOPE_LIMITS["hook"] or not hook.isprintable()
    ):
        return None
    b3 = obj.get("b3")
    if b3 is not None and (type(b3) is not str or not _TOKEN_512(b3)):
        return None
    if not obj.keys() <= _ENVELOPE_KEYS:
        return None
    return InboundMessage(kind, msgid, call_sid, hook, data, b3, {}, text)  # type: ignore[arg-type]  # kind in KNOWN_TYPES


def parse_inbound(raw: str | bytes) -> InboundMessage | UnknownMessage:
    """Parse one frame from jambonz into its envelope.

    Binary frames are decoded as UTF-8 and parsed like text: the server itself does
    that (its binary-frame guard never fires), so a real jambonz may send them.

    Raises:
        InvalidMessage: not UTF-8, not JSON (``NaN``/``Infinity`` literals and nesting
            too deep to parse included), not an object, ``type`` missing or not a
            string, an envelope string of the wrong type, too long or with characters
            jambonz never sends (:data:`ENVELOPE_LIMITS`), ``data`` not an object, or
            an ack-needing message without ``msgid``; the error keeps ``raw``.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidMessage(f"binary frame is not UTF-8 ({exc.reason})", raw) from exc
    else:
        text = raw
    try:
        decoded = loads(text)
    except ValueError as exc:
        raise InvalidMessage(f"not JSON ({exc})", raw) from exc
    if not isinstance(decoded, dict):
        raise InvalidMessage(f"expected a JSON object, got {type(decoded).__name__}", raw)
    obj: dict[str, JsonValue] = decoded
    plain = _plain_envelope(obj, text)
    if plain is not None:
        return plain
    if obj.get("type") is None:
        raise InvalidMessage("missing 'type'", raw)
    kind = _opt_str(obj, "type", raw)
    assert kind is not None
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
    hook = _opt_str(obj, "hook", raw)
    b3 = _opt_str(obj, "b3", raw)
    extra = {k: v for k, v in obj.items() if k not in _ENVELOPE_KEYS}
    return InboundMessage(
        type=kind,  # type: ignore[arg-type]  # membership in KNOWN_TYPES checked above
        msgid=msgid,
        call_sid=call_sid,
        hook=hook,
        data=data,
        b3=b3,
        extra=extra,
        raw=text,
    )
