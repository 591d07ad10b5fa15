"""Typed request and response bodies of the jambonz REST API (calls and messages).

Why hand-written: the API server (jambonz-api-server ``lib/routes/api/accounts.js``,
``lib/swagger/swagger.yaml``) is not covered by ``@jambonz/schema``, and its swagger
document is looser than its code. The rules below are the ones the code enforces,
checked here so a mistake fails at construction with the field named, not as a 400
later:

* ``POST /Calls``: ``from`` and ``to`` required; ``application_sid`` or ``call_hook``;
  hooks absolute (``http(s)``/``ws(s)``); without ``application_sid`` the API server
  also wants the five ``speech_*`` defaults (its own 400 says so; not checked here, newer
  servers may relax it).
* ``PUT /Calls/{sid}`` (:class:`CallUpdate`): exactly one action per request, except
  ``call_hook`` with ``child_call_hook``; ``whisper`` may go alone or with one action.

Requests are frozen pydantic models with snake_case names and the wire key as alias
(``answer_on_bridge`` -> ``answerOnBridge``); extra keys are refused (a typo is an
error), and ``extra_body=`` on the client methods sends keys this SDK does not model.
Responses are tolerant (unknown keys kept, in ``model_extra``): the server adds fields.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from jambonz_types.callbacks import BaseCallback
from jambonz_types.components import AnsweringMachineDetection, Target
from jambonz_types.verbs import Dub, Play, Say

__all__ = [
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
]

_ABSOLUTE = ("http://", "https://", "ws://", "wss://")


class _Request(BaseModel):
    """Base of request bodies: frozen, unknown keys refused, wire keys as aliases."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    def to_wire(self) -> dict[str, JsonValue]:
        """The JSON body the API reads: wire keys, only the fields that were given."""
        dumped: dict[str, JsonValue] = self.model_dump(
            mode="json", by_alias=True, exclude_unset=True
        )
        return {k: v for k, v in dumped.items() if v is not None}


class _Response(BaseModel):
    """Base of response bodies: tolerant (unknown keys kept in ``model_extra``)."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="allow", frozen=True, validate_by_name=True, validate_by_alias=True
    )


class Webhook(_Request):
    """A hook the API stores for a call: ``{"url", "method", "username", "password"}``."""

    url: StrictStr
    """Absolute URL (``http(s)://`` for webhooks, ``ws(s)://`` for a websocket app)."""
    method: Literal["GET", "POST"] | None = None
    """HTTP method for webhooks (jambonz default ``POST``)."""
    username: StrictStr | None = None
    """Basic auth user name jambonz sends to the hook."""
    password: StrictStr | None = None
    """Basic auth password jambonz sends to the hook."""

    @field_validator("url")
    @classmethod
    def _absolute(cls, url: str) -> str:
        return _check_absolute("url", url)


HookLike: TypeAlias = StrictStr | Webhook
"""A hook: an absolute URL, or a :class:`Webhook` with method and credentials."""


def _check_absolute(field: str, url: str) -> str:
    if not url.startswith(_ABSOLUTE):
        raise ValueError(
            f"{field} must be an absolute http(s):// or ws(s):// URL (the API server "
            f"refuses relative ones), got {url!r}"
        )
    return url


def _check_hook(field: str, hook: HookLike | None) -> None:
    if isinstance(hook, str):
        _check_absolute(field, hook)


class CreateCallRequest(_Request):
    """``POST /v1/Accounts/{account_sid}/Calls``: place an outbound call.

    The call runs the app at ``call_hook`` (or the one of ``application_sid``), which
    gets a ``session:new`` / call hook with the call info when the callee answers.
    """

    from_: Annotated[StrictStr, Field(alias="from", min_length=1)]
    """Calling number (or SIP user) to present."""
    to: Target
    """Who to call: ``Target(type="phone", number=...)``, ``type="sip"`` (``sip_uri``),
    ``"user"`` (``name``) or ``"teams"``."""
    application_sid: StrictStr | None = None
    """An application whose hooks and speech settings the call uses."""
    call_hook: HookLike | None = None
    """The app that controls the call (absolute URL); needed without ``application_sid``."""
    call_status_hook: HookLike | None = None
    """Where call status changes are posted (absolute URL)."""
    answer_on_bridge: Annotated[StrictBool | None, Field(alias="answerOnBridge")] = None
    """Answer an inbound leg only when this call connects (when bridging)."""
    from_host: Annotated[StrictStr | None, Field(alias="fromHost")] = None
    """Host name for the SIP From header."""
    caller_name: Annotated[StrictStr | None, Field(alias="callerName")] = None
    """Display name for the SIP From header."""
    timeout: Annotated[StrictInt | None, Field(gt=0)] = None
    """Seconds to wait for an answer (server default 60)."""
    time_limit: Annotated[StrictInt | None, Field(alias="timeLimit", gt=0)] = None
    """Longest call duration, in seconds."""
    tag: dict[str, JsonValue] | None = None
    """Initial customer data for the call (``customerData`` in its payloads)."""
    headers: dict[str, StrictStr] | None = None
    """Custom SIP headers for the INVITE."""
    amd: AnsweringMachineDetection | None = None
    """Answering machine detection settings."""
    sip_request_within_dialog_hook: Annotated[
        StrictStr | None, Field(alias="sipRequestWithinDialogHook")
    ] = None
    """Hook receiving in-dialog SIP requests (INFO, NOTIFY, ...)."""
    speech_synthesis_vendor: StrictStr | None = None
    """Default TTS vendor (required by the API server without ``application_sid``)."""
    speech_synthesis_language: StrictStr | None = None
    """Default TTS language (idem)."""
    speech_synthesis_voice: StrictStr | None = None
    """Default TTS voice (idem)."""
    speech_recognizer_vendor: StrictStr | None = None
    """Default STT vendor (idem)."""
    speech_recognizer_language: StrictStr | None = None
    """Default STT language (idem)."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.application_sid is None and self.call_hook is None:
            raise ValueError("give application_sid or call_hook (the app that runs the call)")
        _check_hook("call_hook", self.call_hook)
        _check_hook("call_status_hook", self.call_status_hook)
        return self


class CreatedCall(_Response):
    """The API's answer to a created call (201)."""

    sid: StrictStr
    """The new call's call sid."""
    call_id: Annotated[StrictStr | None, Field(alias="callId")] = None
    """Its SIP Call-ID."""


class CallInfo(BaseCallback):
    """A live call as ``GET /Calls`` and ``GET /Calls/{sid}`` return it.

    The call-info fields of every hook payload (``call_sid``, ``call_status``,
    ``direction``, ``from_``, ``to``, ``sip_status``, ...) plus what the API adds.
    """

    service_url: StrictStr | None = None
    """The feature server handling the call."""
    duration: StrictInt | None = None
    """Seconds since the call was answered (final events)."""
    caller_name: StrictStr | None = None
    """Caller display name."""
    parent_call_sid: StrictStr | None = None
    """The call this one was dialed from, if any."""


CallStatus: TypeAlias = Literal[
    "trying",
    "ringing",
    "early-media",
    "in-progress",
    "completed",
    "failed",
    "busy",
    "no-answer",
    "queued",
]
"""A call's status, as the API reports and filters it."""


class ListCallsFilter(_Request):
    """Query of ``GET /Calls`` (every field optional; the server filters exactly)."""

    direction: Literal["inbound", "outbound"] | None = None
    """Call direction."""
    from_: Annotated[StrictStr | None, Field(alias="from")] = None
    """Calling number."""
    to: StrictStr | None = None
    """Called number."""
    call_status: Annotated[CallStatus | None, Field(alias="callStatus")] = None
    """Call status."""


class SipRequest(_Request):
    """An in-dialog SIP request for :attr:`CallUpdate.sip_request`."""

    method: Annotated[StrictStr, Field(min_length=1)]
    """SIP method (``INFO``, ``NOTIFY``, ...)."""
    content_type: Annotated[StrictStr, Field(min_length=1)]
    """Body content type (the API server requires it)."""
    content: Annotated[StrictStr, Field(min_length=1)]
    """Body (the API server requires it)."""
    headers: dict[str, StrictStr] | None = None
    """Extra SIP headers."""


class SipRequestResult(_Response):
    """The SIP response to a :class:`SipRequest` (the API answers 200 with it)."""

    status: StrictInt
    """SIP status code of the far end's response."""
    reason: StrictStr | None = None
    """SIP reason phrase."""


RecordAction: TypeAlias = Literal[
    "startCallRecording", "stopCallRecording", "pauseCallRecording", "resumeCallRecording"
]
"""What :attr:`CallUpdate.record` does."""


class RecordRequest(_Request):
    """SIPREC or cloud recording control for :attr:`CallUpdate.record`."""

    action: RecordAction
    """Start, stop, pause or resume."""
    type: Literal["siprec", "cloud"] | None = None
    """Recording kind (default SIPREC)."""
    siprec_server_url: Annotated[StrictStr | None, Field(alias="siprecServerURL")] = None
    """SIPREC server; the API server requires it unless ``type="cloud"``."""
    recording_id: Annotated[StrictStr | None, Field(alias="recordingID")] = None
    """Recording id to put in the SIPREC metadata."""
    headers: dict[str, StrictStr] | None = None
    """SIP headers for the SIPREC INVITE."""
    silence: StrictBool | None = None
    """Pause with silence instead of cutting the audio."""

    @model_validator(mode="after")
    def _siprec_server(self) -> Self:
        if self.siprec_server_url is None and self.type != "cloud":
            raise ValueError(
                "record: siprec_server_url is required unless type='cloud' (API server rule)"
            )
        return self


class Dtmf(_Request):
    """A DTMF digit to send as SIP INFO (:attr:`CallUpdate.dtmf`)."""

    digit: Annotated[StrictStr, Field(min_length=1)]
    """The digit(s): ``0-9``, ``*``, ``#``, ``A-D``."""
    duration: Annotated[StrictInt | None, Field(gt=0)] = None
    """Milliseconds (server default 250)."""


ParticipantAction: TypeAlias = Literal[
    "tag", "untag", "coach", "uncoach", "mute", "unmute", "hold", "unhold"
]
"""What :attr:`CallUpdate.conference_participant_action` does."""


class ConferenceParticipantAction(_Request):
    """Act on this call's conference membership."""

    action: ParticipantAction
    """The action."""
    tag: StrictStr | None = None
    """The tag (required for ``tag`` and ``coach``)."""
    wait_hook: StrictStr | None = None
    """With ``hold``: URL of verbs to play while on hold."""

    @model_validator(mode="after")
    def _tag(self) -> Self:
        if self.action in ("tag", "coach") and not self.tag:
            raise ValueError(f"conference_participant_action {self.action!r} requires tag")
        return self


# The actions of CallUpdate as the API server counts them (one per request).
_ACTIONS: tuple[str, ...] = (
    "call_hook",
    "child_call_hook",
    "call_status",
    "listen_status",
    "transcribe_status",
    "conf_hold_status",
    "conf_mute_status",
    "mute_status",
    "sip_request",
    "record",
    "tag",
    "dtmf",
    "conference_participant_action",
    "dub",
    "boost_audio_signal",
    "media_path",
)


class CallUpdate(_Request):
    """``PUT /v1/Accounts/{account_sid}/Calls/{call_sid}``: live call control.

    Set exactly one action (``call_hook`` with ``child_call_hook`` counts as one;
    ``whisper`` may go alone or with one action). The ``client.calls`` methods
    (``hangup``, ``redirect``, ``whisper``, ``mute``, ...) build these for you.
    """

    call_hook: HookLike | None = None
    """Fetch new verbs for the call from this hook (it gets ``session:redirect``)."""
    child_call_hook: HookLike | None = None
    """Same for the dialed (child) leg, while a ``dial`` is connected."""
    call_status_hook: HookLike | None = None
    """New status hook; only together with ``call_hook``."""
    call_status: Literal["completed", "no-answer"] | None = None
    """``completed``: hang up; ``no-answer``: cancel a call not answered yet."""
    listen_status: Literal["pause", "resume"] | None = None
    """Pause or resume the audio of a ``listen``/``stream``."""
    transcribe_status: Literal["pause", "resume"] | None = None
    """Pause or resume a ``transcribe``."""
    mute_status: Literal["mute", "unmute"] | None = None
    """Mute or unmute the call during ``dial`` or ``conference``."""
    conf_hold_status: Literal["hold", "unhold"] | None = None
    """Put this conference member on hold or take it off."""
    wait_hook: StrictStr | None = None
    """With ``conf_hold_status="hold"``: URL of verbs to play while on hold."""
    conf_mute_status: Literal["mute", "unmute"] | None = None
    """Mute or unmute every non-moderator of the conference."""
    whisper: list[Say | Play] | None = None
    """``say``/``play`` verbs to one party during a ``dial`` or ``listen``."""
    sip_request: SipRequest | None = None
    """Send an in-dialog SIP request (answered with :class:`SipRequestResult`)."""
    record: RecordRequest | None = None
    """Recording control."""
    tag: dict[str, JsonValue] | None = None
    """Replace the call's customer data."""
    dtmf: Dtmf | None = None
    """Send a DTMF digit."""
    conference_participant_action: Annotated[
        ConferenceParticipantAction | None, Field(alias="conferenceParticipantAction")
    ] = None
    """Act on this call's conference membership."""
    dub: Dub | None = None
    """Add, change or remove a dub track (the ``dub`` verb's fields)."""
    boost_audio_signal: Annotated[
        StrictStr | StrictInt | StrictFloat | None, Field(alias="boostAudioSignal")
    ] = None
    """Gain change, e.g. ``"+6 dB"`` or ``-3``."""
    media_path: Literal["no-media", "partial-media", "full-media"] | None = None
    """Move the media path of a ``dial`` (release or re-anchor the media)."""

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        given = [name for name in _ACTIONS if getattr(self, name) is not None]
        if not given and self.whisper is None:
            raise ValueError(
                "no action: set one of " + ", ".join((*_ACTIONS, "whisper")) + " (API rule)"
            )
        if len(given) > 1 and set(given) != {"call_hook", "child_call_hook"}:
            raise ValueError(
                f"one action per request (API rule), got {', '.join(given)}; only call_hook "
                "with child_call_hook, or whisper with one action, may be combined"
            )
        if self.call_status_hook is not None and self.call_hook is None:
            raise ValueError("call_status_hook can only be changed together with call_hook")
        if self.wait_hook is not None and self.conf_hold_status is None:
            raise ValueError("wait_hook goes with conf_hold_status")
        if self.whisper is not None and not self.whisper:
            raise ValueError("whisper needs at least one say or play verb")
        _check_hook("call_hook", self.call_hook)
        _check_hook("child_call_hook", self.child_call_hook)
        _check_hook("call_status_hook", self.call_status_hook)
        return self


class CreateMessageRequest(_Request):
    """``POST /v1/Accounts/{account_sid}/Messages``: send an SMS (the ``message`` verb)."""

    from_: Annotated[StrictStr, Field(alias="from", min_length=1)]
    """Sending number."""
    to: Annotated[StrictStr, Field(min_length=1)]
    """Destination number."""
    text: StrictStr | None = None
    """Message text (``text`` or ``media`` is required)."""
    media: StrictStr | list[StrictStr] | None = None
    """Media URL(s), for MMS."""
    carrier: StrictStr | None = None
    """The SMS carrier to use (default: the first outbound one)."""

    @model_validator(mode="after")
    def _content(self) -> Self:
        if self.text is None and self.media is None:
            raise ValueError("give text or media (API rule)")
        return self


class CreatedMessage(_Response):
    """The API's answer to a sent message."""

    sid: StrictStr
    """The message sid."""
    carrier_response: Annotated[JsonValue | None, Field(alias="carrierResponse")] = None
    """What the carrier answered, as relayed by jambonz."""
