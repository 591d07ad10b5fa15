"""Typed app -> jambonz messages (``ack`` and every ``command``) with their exact wire form.

Why a hand-written module: the jambonz schemas describe verbs, not the websocket
commands, and the official SDKs get several of these wrong on the wire (flat ``dtmf``,
``mute`` instead of ``mute:status``, ``agent:update`` as a top-level type, ``data``
dropped when empty, ``call_sid`` instead of ``callSid``). Each model here spells the
wire keys the feature-server reads (``lib/session/call-session.js`` ``_onCommand``;
see ``docs/protocol.md`` §3), so a Python caller only ever sees snake_case names.

* Every message is a frozen pydantic model with keyword-only construction and a
  :meth:`_Outbound.to_wire` method; :func:`encode` turns one into compact JSON and
  refuses (:class:`MessageTooLarge`) anything over the server's 24 KiB frame cap.
* The target leg of a command is the top-level camelCase ``callSid`` (the server
  ignores ``call_sid``); omitted means "this session's call".
* Commands whose server handler reads ``data`` always carry it; only ``tts:flush``,
  ``tts:clear`` (and :class:`RawCommand` with ``data=None``) go without.
* :class:`SessionCommands` is a mixin with one typed method per command (queued at call
  time, returning an awaitable :class:`Delivery`), all funnelling into the abstract :meth:`SessionCommands._send_command`, which the
  runtime's ``Session`` implements.

Commands marked *v10* (``tag``, ``noiseIsolation:status``, ``stt:reconfigure``,
``agent:update``, ``room:say``, ``room:play``) are read only by jambonz v10 servers;
feature-server 0.9.8 logs them as "invalid command" and does nothing. Their shapes
follow the @jambonz/sdk 0.10 wire form and are unverified against server code.
"""

from __future__ import annotations

import importlib
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    JsonValue,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
)
from pydantic_core import CoreSchema, core_schema
from typing_extensions import Never

from jambonz_types import HookRef, JambonzModel, Verbs

from ..exceptions import MessageTooLarge
from ._delivery import Delivery, deliver
from ._wire import MAX_MESSAGE_BYTES, check_size, encode_wire

if TYPE_CHECKING:
    from jambonz_types.app import Verb
    from jambonz_types.components.action_hook import HookSpec
    from jambonz_types.components.synthesizer import Synthesizer
    from jambonz_types.verbs.config import Config
    from jambonz_types.verbs.dub import Dub
    from jambonz_types.verbs.play import Play
    from jambonz_types.verbs.say import Say

    from ._messages import LlmToolCallCallback

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Ack",
    "AgentGenerateReply",
    "AgentInjectContext",
    "AgentUpdate",
    "AgentUpdateCommand",
    "AgentUpdateInstructions",
    "AgentUpdateTools",
    "BoostAudioSignalCommand",
    "CallStatusCommand",
    "Command",
    "ConfHoldStatusCommand",
    "ConfMuteStatusCommand",
    "ConfParticipantActionCommand",
    "ConfigCommand",
    "Delivery",
    "DtmfCommand",
    "DubCommand",
    "ListenStatusCommand",
    "LlmToolOutputCommand",
    "LlmUpdateCommand",
    "MediaPathCommand",
    "MessageTooLarge",
    "MuteStatusCommand",
    "NoiseIsolationCommand",
    "OutboundMessage",
    "RawCommand",
    "RecordCommand",
    "RedirectCommand",
    "RedirectHookCommand",
    "RedirectLegsCommand",
    "RoomPlayCommand",
    "RoomSayCommand",
    "SessionCommands",
    "SipRequestCommand",
    "StreamStatusCommand",
    "SttReconfigureCommand",
    "TagCommand",
    "TranscribeStatusCommand",
    "TtsClearCommand",
    "TtsFlushCommand",
    "TtsTokensCommand",
    "VerbsLike",
    "WhisperCommand",
    "check_size",
    "encode",
]

# ---------------------------------------------------------------------------
# verbs inside messages
# ---------------------------------------------------------------------------


class _Deferred:
    """Run-time stand-in for a model type in a field annotation, imported when needed.

    Why: the verb union (every verb model) and the ``config``/``dub`` models cost most
    of a second to import, and a process needs them only when it sends a command that
    carries them. Each command model builds its schema on first use (``defer_build``),
    and only then does this import the real class (``module``, ``name``) and hand its
    schema to pydantic: validation is exactly the real model's. With ``name=None`` it
    stands for the whole ``Verb`` union without importing it: a verb model instance
    (already validated when it was built) passes as is, anything else is validated
    by the union, loaded then.
    """

    def __init__(self, module: str, name: str | None) -> None:
        self.module = module
        self.name = name

    def __get_pydantic_core_schema__(
        self, source: object, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        if self.name is not None:
            return handler.generate_schema(getattr(importlib.import_module(self.module), self.name))
        return core_schema.no_info_plain_validator_function(_any_verb)


def _any_verb(value: object) -> object:
    if isinstance(value, JambonzModel) and "verb" in type(value).model_fields:
        return value
    from jambonz_types.app import verb_adapter

    return verb_adapter.validate_python(value)


if not TYPE_CHECKING:
    # What the annotations below resolve to at run time (type checkers see the imports).
    Verb = Annotated[Any, _Deferred("jambonz_types.app", None)]
    HookSpec = Annotated[Any, _Deferred("jambonz_types.components.action_hook", "HookSpec")]
    Synthesizer = Annotated[Any, _Deferred("jambonz_types.components.synthesizer", "Synthesizer")]
    Config = Annotated[Any, _Deferred("jambonz_types.verbs.config", "Config")]
    Dub = Annotated[Any, _Deferred("jambonz_types.verbs.dub", "Dub")]
    Play = Annotated[Any, _Deferred("jambonz_types.verbs.play", "Play")]
    Say = Annotated[Any, _Deferred("jambonz_types.verbs.say", "Say")]


class _WireVerbs(Protocol):
    """Anything that can render a verb array (``jambonz_types.Verbs`` builder)."""

    def to_wire(self) -> list[dict[str, JsonValue]]: ...


VerbsLike = Sequence[Verb] | _WireVerbs
"""A verb array: a sequence of verb models, or a ``jambonz_types.Verbs`` builder."""


def _verbs(value: VerbsLike) -> list[Verb]:
    """Normalise a verb array argument to a list of validated verb models."""
    if isinstance(value, Verbs):  # a ``jambonz_types.Verbs``: already models
        return value.to_list()
    to_wire = getattr(value, "to_wire", None)
    if callable(to_wire):
        return Verbs.from_wire(to_wire()).to_list()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise TypeError(
            f"expected a sequence of verb models or a Verbs builder, got {type(value).__name__}"
        )
    return list(value)


def _dump_verbs(verbs: Sequence[Verb]) -> list[dict[str, JsonValue]]:
    return [verb.to_dict() for verb in verbs]


def _dump_model(model: BaseModel) -> dict[str, JsonValue]:
    # Generated models know their own wire form (only the fields that were set).
    dumped: dict[str, JsonValue] = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dumped


def _dump_verb_body(model: Config | Dub) -> dict[str, JsonValue]:
    # ``config`` and ``dub`` commands carry the verb's properties without ``verb``.
    body = model.to_dict()
    body.pop("verb", None)
    return body


_VerbArray = Annotated[
    list[Verb], PlainSerializer(_dump_verbs, return_type=list[dict[str, JsonValue]])
]
_SayOrPlay = Annotated[Say | Play, PlainSerializer(_dump_model, return_type=dict[str, JsonValue])]
_Hook = Annotated[
    StrictStr | HookSpec,
    PlainSerializer(
        lambda h: h if isinstance(h, str) else _dump_model(h),
        return_type=str | dict[str, JsonValue],
    ),
]


def _hook(value: str | HookRef[Never] | HookSpec) -> str | HookSpec:
    return value.path if isinstance(value, HookRef) else value


# ---------------------------------------------------------------------------
# base classes
# ---------------------------------------------------------------------------


class _Model(BaseModel):
    # defer_build: ~60 models here; each builds its schema when first used, so
    # importing the runtime does not pay for commands an app never sends.
    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        defer_build=True,
    )


class _Outbound(_Model):
    """An app -> jambonz message."""

    def to_wire(self) -> dict[str, JsonValue]:
        """The message as the server reads it: wire keys, unset optional keys omitted."""
        # the model's serializer directly: model_dump's keyword plumbing cost about as
        # much as the serialisation of a small command (tts:tokens, several per call)
        dumped: dict[str, JsonValue] = self.__pydantic_serializer__.to_python(
            self, mode="json", by_alias=True, exclude_none=True
        )
        return dumped


class Ack(_Outbound):
    """``{"type":"ack","msgid":…,"data":[verbs]}``: the answer to one ack-needing message.

    ``data`` is the verb array (``None`` sends no ``data``; the server treats it like
    ``[]``). An ack must carry the msgid of the message it answers, never "the last one".
    """

    type: Literal["ack"] = "ack"
    msgid: StrictStr = Field(min_length=1)
    data: _VerbArray | None = None


class _Command(_Outbound):
    type: Literal["command"] = "command"
    call_sid: StrictStr | None = Field(
        default=None, validation_alias="callSid", serialization_alias="callSid"
    )
    """The leg to act on (top-level ``callSid``); ``None`` means this session's call."""


# ---------------------------------------------------------------------------
# redirect
# ---------------------------------------------------------------------------


class RedirectCommand(_Command):
    """``redirect`` with a verb array: replace the running app, or queue after it.

    ``queue_command=False`` kills the current verb and replaces the stack;
    ``True`` appends the verbs after the stack. Either wakes an idle session.
    """

    command: Literal["redirect"] = "redirect"
    queue_command: StrictBool = Field(
        default=False, validation_alias="queueCommand", serialization_alias="queueCommand"
    )
    data: _VerbArray


class _RedirectHookData(_Model):
    call_hook: _Hook | None = None
    child_call_hook: _Hook | None = None


class RedirectHookCommand(_Command):
    """``redirect`` to a hook: the server asks it for a new app with ``session:redirect``.

    ``child_call_hook`` only works while a ``dial`` is connected (the child leg then
    becomes its own session, on an ``/adulting`` socket).
    """

    command: Literal["redirect"] = "redirect"
    data: _RedirectHookData


class _RedirectLegsData(_Model):
    parent_call: _VerbArray | None = None
    child_call: _VerbArray | None = None


class RedirectLegsCommand(_Command):
    """``redirect`` with inline apps for the parent and/or child leg of a connected dial."""

    command: Literal["redirect"] = "redirect"
    data: _RedirectLegsData


# ---------------------------------------------------------------------------
# call control
# ---------------------------------------------------------------------------


class _CallStatusData(_Model):
    call_status: Literal["completed", "no-answer"]


class CallStatusCommand(_Command):
    """``call:status``: ``completed`` hangs up an answered call, ``no-answer`` cancels one."""

    command: Literal["call:status"] = "call:status"
    data: _CallStatusData


class _WhisperData(_Model):
    whisper: _SayOrPlay | list[_SayOrPlay]


class WhisperCommand(_Command):
    """``whisper``: play ``say``/``play`` verbs to one leg during a ``dial`` or ``listen``."""

    command: Literal["whisper"] = "whisper"
    data: _WhisperData


class _MuteStatusData(_Model):
    mute_status: Literal["mute", "unmute"]


class MuteStatusCommand(_Command):
    """``mute:status``: mute or unmute a leg during ``dial`` or ``conference``."""

    command: Literal["mute:status"] = "mute:status"
    data: _MuteStatusData


RecordAction = Literal[
    "startCallRecording", "stopCallRecording", "pauseCallRecording", "resumeCallRecording"
]


class _RecordData(_Model):
    action: RecordAction
    type: Literal["siprec", "cloud"] | None = None
    siprec_server_url: StrictStr | None = Field(
        default=None, validation_alias="siprecServerURL", serialization_alias="siprecServerURL"
    )
    recording_id: StrictStr | None = Field(
        default=None, validation_alias="recordingID", serialization_alias="recordingID"
    )
    headers: dict[str, StrictStr] | None = None
    silence: StrictBool | None = None


class RecordCommand(_Command):
    """``record``: start, stop, pause or resume SIPREC (default) or cloud recording."""

    command: Literal["record"] = "record"
    data: _RecordData


_DTMF_DIGIT = re.compile(r"^[0-9*#A-Da-d]$")


class _DtmfDigit(_Model):
    digit: StrictStr = Field(pattern=_DTMF_DIGIT.pattern)
    duration: StrictInt | None = Field(default=None, gt=0)


class _DtmfData(_Model):
    dtmf: _DtmfDigit


class DtmfCommand(_Command):
    """``dtmf``: one digit as SIP INFO, in the NESTED form ``{"dtmf":{"digit","duration"}}``.

    The flat ``{"digit":…}`` some SDKs send throws server-side and does nothing.
    """

    command: Literal["dtmf"] = "dtmf"
    data: _DtmfData


class _ListenStatusData(_Model):
    listen_status: Literal["pause", "resume"]


class ListenStatusCommand(_Command):
    """``listen:status``: pause or resume the audio of a ``listen`` (or dial's listen)."""

    command: Literal["listen:status"] = "listen:status"
    data: _ListenStatusData


class _StreamStatusData(_Model):
    stream_status: Literal["pause", "resume"]


class StreamStatusCommand(_Command):
    """``stream:status``: the ``stream`` verb spelling of :class:`ListenStatusCommand`."""

    command: Literal["stream:status"] = "stream:status"
    data: _StreamStatusData


class _TranscribeStatusData(_Model):
    transcribe_status: Literal["pause", "resume"]


class TranscribeStatusCommand(_Command):
    """``transcribe:status``: pause or resume a running ``transcribe``."""

    command: Literal["transcribe:status"] = "transcribe:status"
    data: _TranscribeStatusData


class _SipRequest(_Model):
    method: StrictStr = Field(min_length=1)
    content_type: StrictStr | None = None
    content: StrictStr | None = None
    headers: dict[str, StrictStr] | None = None


class _SipRequestData(_Model):
    sip_request: _SipRequest


class SipRequestCommand(_Command):
    """``sip:request``: send an in-dialog SIP request (INFO, NOTIFY, …) on a stable call."""

    command: Literal["sip:request"] = "sip:request"
    data: _SipRequestData


class _ConfMuteData(_Model):
    conf_mute_status: Literal["mute", "unmute"]


class ConfMuteStatusCommand(_Command):
    """``conf:mute-status``: mute or unmute every non-moderator of the conference."""

    command: Literal["conf:mute-status"] = "conf:mute-status"
    data: _ConfMuteData


class _ConfHoldData(_Model):
    conf_hold_status: Literal["hold", "unhold"]
    wait_hook: StrictStr | None = None


class ConfHoldStatusCommand(_Command):
    """``conf:hold-status``: put this conference member on hold (optionally with a wait hook)."""

    command: Literal["conf:hold-status"] = "conf:hold-status"
    data: _ConfHoldData


ConfParticipantAction = Literal[
    "tag", "untag", "coach", "uncoach", "hold", "unhold", "mute", "unmute", "kick"
]


class _ConfParticipantData(_Model):
    action: ConfParticipantAction
    tag: StrictStr | None = None
    wait_hook: StrictStr | None = None


class ConfParticipantActionCommand(_Command):
    """``conf:participant-action``: tag, coach, hold, mute or kick this conference member."""

    command: Literal["conf:participant-action"] = "conf:participant-action"
    data: _ConfParticipantData


class MediaPathCommand(_Command):
    """``media:path``: move the media of a ``dial`` (``data`` is the bare string)."""

    command: Literal["media:path"] = "media:path"
    data: Literal["no-media", "partial-media", "full-media"]


class BoostAudioSignalCommand(_Command):
    """``boostAudioSignal``: set the gain of a leg (``data`` is e.g. ``"+6 dB"`` or ``6``)."""

    command: Literal["boostAudioSignal"] = "boostAudioSignal"
    data: StrictStr | StrictInt | StrictFloat


class ConfigCommand(_Command):
    """``config``: run a ``config`` verb now (``data`` = its properties, without ``verb``)."""

    command: Literal["config"] = "config"
    data: Annotated[Config, PlainSerializer(_dump_verb_body, return_type=dict[str, JsonValue])]


class DubCommand(_Command):
    """``dub``: run a ``dub`` verb now on the ``callSid`` leg (``data`` = its properties)."""

    command: Literal["dub"] = "dub"
    data: Annotated[Dub, PlainSerializer(_dump_verb_body, return_type=dict[str, JsonValue])]


class LlmToolOutputCommand(_Command):
    """``llm:tool-output``: a tool result, with ``tool_call_id`` at the TOP level.

    Answers an ``llm:tool-call`` (which is never acked). For OpenAI the ``data`` is a
    ``conversation.item.create`` event; for the v10 ``agent`` verb ``{"result": …}``.
    """

    command: Literal["llm:tool-output"] = "llm:tool-output"
    tool_call_id: StrictStr = Field(min_length=1)
    data: dict[str, JsonValue]


class LlmUpdateCommand(_Command):
    """``llm:update``: a vendor update event for the running LLM verb (e.g. ``session.update``)."""

    command: Literal["llm:update"] = "llm:update"
    data: dict[str, JsonValue]


class _TtsTokensData(_Model):
    id: StrictInt | StrictStr
    tokens: StrictStr


class TtsTokensCommand(_Command):
    """``tts:tokens``: text for the TTS stream; the server answers ``tts:tokens-result``.

    Use :class:`jambonz_runtime.tts.TtsStreamer` rather than sending this directly: it
    handles ids, the 1,000-character buffer and backpressure.
    """

    command: Literal["tts:tokens"] = "tts:tokens"
    data: _TtsTokensData


class TtsFlushCommand(_Command):
    """``tts:flush``: speak what is buffered now (no ``data``)."""

    command: Literal["tts:flush"] = "tts:flush"


class TtsClearCommand(_Command):
    """``tts:clear``: drop buffered text; resets "full" WITHOUT a ``stream_resumed`` event."""

    command: Literal["tts:clear"] = "tts:clear"


# --- v10-only --------------------------------------------------------------


class TagCommand(_Command):
    """``tag`` (v10): attach metadata to the call; ``data`` is the metadata object itself."""

    command: Literal["tag"] = "tag"
    data: dict[str, JsonValue]


class _NoiseIsolationData(_Model):
    noise_isolation_status: Literal["enable", "disable"]
    vendor: StrictStr | None = None
    level: StrictInt | StrictFloat | None = None
    model: StrictStr | None = None


class NoiseIsolationCommand(_Command):
    """``noiseIsolation:status`` (v10): enable or disable server-side noise isolation."""

    command: Literal["noiseIsolation:status"] = "noiseIsolation:status"
    data: _NoiseIsolationData


class _SttReconfigureData(_Model):
    language_hints: list[StrictStr] | None = Field(
        default=None, validation_alias="languageHints", serialization_alias="languageHints"
    )


class SttReconfigureCommand(_Command):
    """``stt:reconfigure`` (v10): change STT settings mid-call (today: language hints)."""

    command: Literal["stt:reconfigure"] = "stt:reconfigure"
    data: _SttReconfigureData


class AgentUpdateInstructions(_Model):
    """Replace the ``agent`` verb's system prompt."""

    type: Literal["update_instructions"] = "update_instructions"
    instructions: StrictStr


class AgentInjectContext(_Model):
    """Append messages (``{"role","content"}``) to the agent's conversation history."""

    type: Literal["inject_context"] = "inject_context"
    messages: list[dict[str, JsonValue]]


class AgentUpdateTools(_Model):
    """Replace the agent's tool set (OpenAI-style function tool definitions)."""

    type: Literal["update_tools"] = "update_tools"
    tools: list[dict[str, JsonValue]]


class AgentGenerateReply(_Model):
    """Ask the agent to reply now; ``interrupt=True`` cancels the current response."""

    type: Literal["generate_reply"] = "generate_reply"
    user_input: StrictStr | None = None
    instructions: StrictStr | None = None
    interrupt: StrictBool | None = None


AgentUpdate = Annotated[
    AgentUpdateInstructions | AgentInjectContext | AgentUpdateTools | AgentGenerateReply,
    Field(discriminator="type"),
]
"""One ``agent:update`` operation, selected by its ``type``."""


class AgentUpdateCommand(_Command):
    """``agent:update`` (v10): update a running ``agent`` verb. Always a COMMAND, never a type."""

    command: Literal["agent:update"] = "agent:update"
    data: AgentUpdate


class _RoomSayData(_Model):
    text: StrictStr
    synthesizer: (
        Annotated[Synthesizer, PlainSerializer(_dump_model, return_type=dict[str, JsonValue])]
        | None
    ) = None
    loop: StrictInt | StrictStr | None = None
    stream: StrictBool | None = None
    id: StrictStr | None = None
    replace: StrictBool | None = None


class RoomSayCommand(_Command):
    """``room:say`` (v10): speak into the conference room this call is in."""

    command: Literal["room:say"] = "room:say"
    data: _RoomSayData


class _RoomPlayData(_Model):
    url: StrictStr
    id: StrictStr | None = None
    replace: StrictBool | None = None


class RoomPlayCommand(_Command):
    """``room:play`` (v10): play a file into the conference room this call is in."""

    command: Literal["room:play"] = "room:play"
    data: _RoomPlayData


class RawCommand(_Command):
    """Escape hatch: any command name with free-form JSON ``data``, sent as given.

    Nothing is checked beyond JSON-ness and the size cap: use it for commands this
    SDK does not model yet (e.g. ``dial``), or for server versions newer than it.
    ``data=None`` omits the key, which the server rejects (``InvalidMessage``) for
    every command except ``tts:flush``, ``tts:clear`` and ``llm:tool-output``.
    """

    command: StrictStr = Field(min_length=1)
    data: JsonValue | None = None
    queue_command: StrictBool | None = Field(
        default=None, validation_alias="queueCommand", serialization_alias="queueCommand"
    )
    tool_call_id: StrictStr | None = None

    def to_wire(self) -> dict[str, JsonValue]:
        """The wire form; ``data`` is kept even when falsy (only ``None`` omits it)."""
        wire = super().to_wire()
        if self.data is None:
            wire.pop("data", None)
        else:
            wire["data"] = self.data
        return wire


Command = (
    RedirectCommand
    | RedirectHookCommand
    | RedirectLegsCommand
    | CallStatusCommand
    | WhisperCommand
    | MuteStatusCommand
    | RecordCommand
    | DtmfCommand
    | ListenStatusCommand
    | StreamStatusCommand
    | TranscribeStatusCommand
    | SipRequestCommand
    | ConfMuteStatusCommand
    | ConfHoldStatusCommand
    | ConfParticipantActionCommand
    | MediaPathCommand
    | BoostAudioSignalCommand
    | ConfigCommand
    | DubCommand
    | LlmToolOutputCommand
    | LlmUpdateCommand
    | TtsTokensCommand
    | TtsFlushCommand
    | TtsClearCommand
    | TagCommand
    | NoiseIsolationCommand
    | SttReconfigureCommand
    | AgentUpdateCommand
    | RoomSayCommand
    | RoomPlayCommand
    | RawCommand
)
"""Every typed ``command`` message."""

OutboundMessage = Ack | Command
"""Every app -> jambonz message on the control socket."""


# ---------------------------------------------------------------------------
# encoding
# ---------------------------------------------------------------------------


def encode(message: OutboundMessage, *, limit: int = MAX_MESSAGE_BYTES) -> str:
    """The compact JSON text of ``message``, checked against the 24 KiB cap.

    Raises:
        MessageTooLarge: the text is over ``limit`` bytes; nothing should be sent.
    """
    return encode_wire(message.to_wire(), limit=limit)


_ANY_JSON: TypeAdapter[JsonValue] = TypeAdapter(JsonValue)


# ---------------------------------------------------------------------------
# the session mixin
# ---------------------------------------------------------------------------


class SessionCommands(ABC):
    """One typed method per command; mixed into the runtime's ``Session``.

    Every method builds its command model (raising ``pydantic.ValidationError`` or
    ``ValueError`` on bad input before anything is sent), queues it on the session *at
    call time* and returns a :class:`~jambonz_runtime.protocol.Delivery`: ``await`` it
    to wait for the socket write, but a forgotten ``await`` no longer drops the command
    (see ``_delivery``). ``call_sid`` picks another leg (e.g. the dialed B leg);
    ``None`` targets this session's call. Commands are never acknowledged by jambonz:
    returning means "sent", not "done".
    """

    _DTMF_DEFAULT_MS: ClassVar[int] = 250

    @abstractmethod
    async def _send_command(self, command: Command) -> None:
        """Encode and send one command on this session's socket (runtime-provided).

        Everything up to its first real wait (encoding, the size check, an ended call,
        queueing while detached, a socket write that does not block) must happen
        synchronously: :meth:`_submit` runs it at call time.
        """

    def _submit(self, *commands: Command) -> Delivery:
        """Queue ``commands`` now, in order, and return the awaitable of their delivery."""
        return deliver(self._send_all(commands))

    async def _send_all(self, commands: tuple[Command, ...]) -> None:
        for command in commands:
            await self._send_command(command)

    def redirect(
        self, verbs: VerbsLike, *, queue: bool = False, call_sid: str | None = None
    ) -> Delivery:
        """Give the call new verbs now: replace the running app, or (``queue=True``) append.

        Replacing kills the current verb. Either form wakes a session that acked a hook
        with ``[]`` and is idle, waiting for a command.
        """
        return self._submit(
            RedirectCommand(data=_verbs(verbs), queue_command=queue, call_sid=call_sid)
        )

    def redirect_to_hook(
        self,
        call_hook: str | HookRef[Never] | HookSpec | None = None,
        *,
        child_call_hook: str | HookRef[Never] | HookSpec | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Ask jambonz to fetch a new app from a hook (it sends ``session:redirect`` there).

        ``child_call_hook`` redirects the dialed leg of a connected ``dial``. At least
        one hook is required. An absolute ``http(s)`` URL moves the call to webhooks.
        """
        if call_hook is None and child_call_hook is None:
            raise ValueError("redirect_to_hook: give call_hook, child_call_hook or both")
        data = _RedirectHookData(
            call_hook=None if call_hook is None else _hook(call_hook),
            child_call_hook=None if child_call_hook is None else _hook(child_call_hook),
        )
        return self._submit(RedirectHookCommand(data=data, call_sid=call_sid))

    def redirect_legs(
        self,
        *,
        parent_call: VerbsLike | None = None,
        child_call: VerbsLike | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Give new inline apps to the parent and/or child leg of a connected ``dial``."""
        if parent_call is None and child_call is None:
            raise ValueError("redirect_legs: give parent_call, child_call or both")
        data = _RedirectLegsData(
            parent_call=None if parent_call is None else _verbs(parent_call),
            child_call=None if child_call is None else _verbs(child_call),
        )
        return self._submit(RedirectLegsCommand(data=data, call_sid=call_sid))

    def hangup(self, *, call_sid: str | None = None) -> Delivery:
        """Hang up the call now (``call:status`` ``completed``)."""
        return self._submit(
            CallStatusCommand(data=_CallStatusData(call_status="completed"), call_sid=call_sid)
        )

    def cancel(self, *, call_sid: str | None = None) -> Delivery:
        """Reject or cancel a call that is not answered yet (``call:status`` ``no-answer``)."""
        return self._submit(
            CallStatusCommand(data=_CallStatusData(call_status="no-answer"), call_sid=call_sid)
        )

    def whisper(
        self, verbs: Say | Play | Sequence[Say | Play] | VerbsLike, *, call_sid: str | None = None
    ) -> Delivery:
        """Play ``say``/``play`` verbs to one leg only, during a ``dial`` or ``listen``.

        Raises:
            ValueError: a verb other than ``say`` or ``play`` was given (the server
                would ignore the whole whisper).
        """
        from jambonz_types.verbs.play import Play
        from jambonz_types.verbs.say import Say

        whisper: Say | Play | list[Say | Play]
        if isinstance(verbs, (Say, Play)):
            whisper = verbs
        else:
            items = _verbs(verbs)
            whisper = []
            for index, verb in enumerate(items):
                if not isinstance(verb, (Say, Play)):
                    raise ValueError(
                        f"whisper[{index}]: verb {verb.verb!r} is not allowed; "
                        "a whisper takes only 'say' or 'play'"
                    )
                whisper.append(verb)
        return self._submit(WhisperCommand(data=_WhisperData(whisper=whisper), call_sid=call_sid))

    def mute(self, *, call_sid: str | None = None) -> Delivery:
        """Mute a leg during ``dial`` or ``conference`` (``mute:status``)."""
        return self._submit(
            MuteStatusCommand(data=_MuteStatusData(mute_status="mute"), call_sid=call_sid)
        )

    def unmute(self, *, call_sid: str | None = None) -> Delivery:
        """Unmute a leg during ``dial`` or ``conference`` (``mute:status``)."""
        return self._submit(
            MuteStatusCommand(data=_MuteStatusData(mute_status="unmute"), call_sid=call_sid)
        )

    def start_recording(
        self,
        *,
        type: Literal["siprec", "cloud"] | None = None,
        siprec_server_url: str | None = None,
        recording_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Start recording: SIPREC to ``siprec_server_url`` (server default) or cloud."""
        return self._record(
            "startCallRecording",
            type=type,
            siprec_server_url=siprec_server_url,
            recording_id=recording_id,
            headers=headers,
            call_sid=call_sid,
        )

    def stop_recording(
        self, *, type: Literal["siprec", "cloud"] | None = None, call_sid: str | None = None
    ) -> Delivery:
        """Stop the recording started with :meth:`start_recording` (same ``type``)."""
        return self._record("stopCallRecording", type=type, call_sid=call_sid)

    def pause_recording(
        self,
        *,
        type: Literal["siprec", "cloud"] | None = None,
        silence: bool | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Pause recording; cloud recording can insert ``silence`` for the gap."""
        return self._record("pauseCallRecording", type=type, silence=silence, call_sid=call_sid)

    def resume_recording(
        self,
        *,
        type: Literal["siprec", "cloud"] | None = None,
        silence: bool | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Resume a paused recording."""
        return self._record("resumeCallRecording", type=type, silence=silence, call_sid=call_sid)

    def _record(
        self,
        action: RecordAction,
        *,
        type: Literal["siprec", "cloud"] | None = None,
        siprec_server_url: str | None = None,
        recording_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        silence: bool | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        data = _RecordData(
            action=action,
            type=type,
            siprec_server_url=siprec_server_url,
            recording_id=recording_id,
            headers=None if headers is None else dict(headers),
            silence=silence,
        )
        return self._submit(RecordCommand(data=data, call_sid=call_sid))

    def send_dtmf(
        self, digits: str, *, duration: int | None = None, call_sid: str | None = None
    ) -> Delivery:
        """Send DTMF as SIP INFO, one ``dtmf`` command per digit, in order.

        ``duration`` is in milliseconds (server default 250). Digits are ``0-9 * # A-D``.

        Raises:
            ValueError: ``digits`` is empty or holds a character that is not a DTMF digit
                (nothing is sent then).
        """
        if not digits:
            raise ValueError("send_dtmf: digits must not be empty")
        for index, digit in enumerate(digits):
            if not _DTMF_DIGIT.match(digit):
                raise ValueError(
                    f"send_dtmf: digits[{index}] = {digit!r} is not a DTMF digit "
                    "(allowed: 0-9, *, #, A-D)"
                )
        commands = [
            DtmfCommand(
                data=_DtmfData(dtmf=_DtmfDigit(digit=digit, duration=duration)),
                call_sid=call_sid,
            )
            for digit in digits
        ]
        return self._submit(*commands)

    def listen_status(
        self, status: Literal["pause", "resume"], *, call_sid: str | None = None
    ) -> Delivery:
        """Pause or resume the audio of a running ``listen`` (``listen:status``)."""
        return self._submit(
            ListenStatusCommand(data=_ListenStatusData(listen_status=status), call_sid=call_sid)
        )

    def stream_status(
        self, status: Literal["pause", "resume"], *, call_sid: str | None = None
    ) -> Delivery:
        """Pause or resume the audio of a running ``stream`` (``stream:status``)."""
        return self._submit(
            StreamStatusCommand(data=_StreamStatusData(stream_status=status), call_sid=call_sid)
        )

    def transcribe_status(
        self, status: Literal["pause", "resume"], *, call_sid: str | None = None
    ) -> Delivery:
        """Pause or resume a running ``transcribe`` (``transcribe:status``)."""
        return self._submit(
            TranscribeStatusCommand(
                data=_TranscribeStatusData(transcribe_status=status), call_sid=call_sid
            )
        )

    def sip_request(
        self,
        method: str,
        *,
        content_type: str | None = None,
        content: str | None = None,
        headers: Mapping[str, str] | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Send an in-dialog SIP request (e.g. ``INFO``) once the call is stable."""
        data = _SipRequestData(
            sip_request=_SipRequest(
                method=method,
                content_type=content_type,
                content=content,
                headers=None if headers is None else dict(headers),
            )
        )
        return self._submit(SipRequestCommand(data=data, call_sid=call_sid))

    def conference_mute(
        self, status: Literal["mute", "unmute"], *, call_sid: str | None = None
    ) -> Delivery:
        """Mute or unmute all non-moderators of the conference (``conf:mute-status``)."""
        return self._submit(
            ConfMuteStatusCommand(data=_ConfMuteData(conf_mute_status=status), call_sid=call_sid)
        )

    def conference_hold(
        self,
        status: Literal["hold", "unhold"],
        *,
        wait_hook: str | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Hold or unhold this conference member (``conf:hold-status``)."""
        return self._submit(
            ConfHoldStatusCommand(
                data=_ConfHoldData(conf_hold_status=status, wait_hook=wait_hook),
                call_sid=call_sid,
            )
        )

    def conference_participant_action(
        self,
        action: ConfParticipantAction,
        *,
        tag: str | None = None,
        wait_hook: str | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Act on this conference member (``conf:participant-action``): tag, coach, kick…"""
        return self._submit(
            ConfParticipantActionCommand(
                data=_ConfParticipantData(action=action, tag=tag, wait_hook=wait_hook),
                call_sid=call_sid,
            )
        )

    def media_path(
        self,
        path: Literal["no-media", "partial-media", "full-media"],
        *,
        call_sid: str | None = None,
    ) -> Delivery:
        """Change the media path of a connected ``dial`` (``media:path``)."""
        return self._submit(MediaPathCommand(data=path, call_sid=call_sid))

    def boost_audio_signal(
        self, gain: str | int | float, *, call_sid: str | None = None
    ) -> Delivery:
        """Set the gain on a leg, e.g. ``"+6 dB"`` or ``-3`` (``boostAudioSignal``)."""
        return self._submit(BoostAudioSignalCommand(data=gain, call_sid=call_sid))

    def config(self, config: Config, *, call_sid: str | None = None) -> Delivery:
        """Run a ``config`` verb immediately, outside the verb stack."""
        return self._submit(ConfigCommand(data=config, call_sid=call_sid))

    def dub(self, dub: Dub, *, call_sid: str | None = None) -> Delivery:
        """Run a ``dub`` verb immediately on a leg (add/remove/play on an audio track)."""
        return self._submit(DubCommand(data=dub, call_sid=call_sid))

    def tool_output(
        self,
        tool_call: str | LlmToolCallCallback,
        data: Mapping[str, JsonValue],
        *,
        call_sid: str | None = None,
    ) -> Delivery:
        """Answer an ``llm:tool-call`` with the tool's result (``llm:tool-output``).

        ``tool_call`` is the tool call itself (its ``tool_call_id`` is echoed) or that
        id; ``data`` is the vendor's tool result object (OpenAI: a
        ``conversation.item.create`` event; agent verb: ``{"result": …}``).

        Raises:
            ValueError: the tool call carries no ``tool_call_id`` (the LLM could never
                match an answer to it).
        """
        if isinstance(tool_call, str):
            tool_call_id = tool_call
        elif tool_call.tool_call_id:
            tool_call_id = tool_call.tool_call_id
        else:
            raise ValueError(
                f"tool_output: the tool call {tool_call.name!r} has no tool_call_id to echo"
            )
        return self._submit(
            LlmToolOutputCommand(tool_call_id=tool_call_id, data=dict(data), call_sid=call_sid)
        )

    def llm_update(self, data: Mapping[str, JsonValue], *, call_sid: str | None = None) -> Delivery:
        """Send a vendor update to the running LLM verb (``llm:update``)."""
        return self._submit(LlmUpdateCommand(data=dict(data), call_sid=call_sid))

    def tag(self, data: Mapping[str, JsonValue], *, call_sid: str | None = None) -> Delivery:
        """Attach metadata to the call (``tag``; v10 servers only)."""
        return self._submit(TagCommand(data=dict(data), call_sid=call_sid))

    def noise_isolation(
        self,
        status: Literal["enable", "disable"],
        *,
        vendor: str | None = None,
        level: int | float | None = None,
        model: str | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Enable or disable server-side noise isolation (``noiseIsolation:status``; v10)."""
        data = _NoiseIsolationData(
            noise_isolation_status=status, vendor=vendor, level=level, model=model
        )
        return self._submit(NoiseIsolationCommand(data=data, call_sid=call_sid))

    def stt_reconfigure(
        self, *, language_hints: Sequence[str] | None = None, call_sid: str | None = None
    ) -> Delivery:
        """Change STT settings mid-call (``stt:reconfigure``; v10)."""
        data = _SttReconfigureData(
            language_hints=None if language_hints is None else list(language_hints)
        )
        return self._submit(SttReconfigureCommand(data=data, call_sid=call_sid))

    def agent_update(self, update: AgentUpdate, *, call_sid: str | None = None) -> Delivery:
        """Update a running ``agent`` verb (``agent:update`` command; v10).

        ``update`` is one of :class:`AgentUpdateInstructions`, :class:`AgentInjectContext`,
        :class:`AgentUpdateTools`, :class:`AgentGenerateReply`.
        """
        return self._submit(AgentUpdateCommand(data=update, call_sid=call_sid))

    def room_say(
        self,
        text: str,
        *,
        synthesizer: Synthesizer | None = None,
        loop: int | str | None = None,
        stream: bool | None = None,
        id: str | None = None,
        replace: bool | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Speak ``text`` into the conference room this call is in (``room:say``; v10)."""
        data = _RoomSayData(
            text=text, synthesizer=synthesizer, loop=loop, stream=stream, id=id, replace=replace
        )
        return self._submit(RoomSayCommand(data=data, call_sid=call_sid))

    def room_play(
        self,
        url: str,
        *,
        id: str | None = None,
        replace: bool | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Play ``url`` into the conference room this call is in (``room:play``; v10)."""
        return self._submit(
            RoomPlayCommand(data=_RoomPlayData(url=url, id=id, replace=replace), call_sid=call_sid)
        )

    def send_raw_command(
        self,
        name: str,
        data: JsonValue | None = None,
        *,
        queue_command: bool | None = None,
        tool_call_id: str | None = None,
        call_sid: str | None = None,
    ) -> Delivery:
        """Escape hatch: send any command name with free-form JSON ``data``, unchecked.

        Prefer the typed methods; use this for commands this SDK does not model yet.
        """
        checked = _ANY_JSON.validate_python(data)
        return self._submit(
            RawCommand(
                command=name,
                data=checked,
                queue_command=queue_command,
                tool_call_id=tool_call_id,
                call_sid=call_sid,
            )
        )
