"""Audio streams: the call-audio websocket of the listen/stream verbs, and Vonage's.

Why a second socket: the ``listen``/``stream`` verbs make jambonz's media server open
its own websocket to the app (subprotocol ``audio.drachtio.org``, protocol.md §5)
that carries the call's raw audio; Vonage's Voice API does the same for a
``connect`` to a websocket endpoint, in another wire format. Both end up here as one
API, so an app (or a library such as a speech bot) is written once:

* :class:`JambonzAudioStream` and :class:`VonageAudioStream` share
  :class:`AudioStream`: typed metadata from the first frame
  (:class:`JambonzAudioMetadata`, :class:`VonageAudioMetadata`), incoming audio as
  ``bytes`` via ``async for frame in stream`` or :meth:`AudioStream.on_audio`
  callbacks, typed events (:class:`DtmfEvent`, :class:`MarkEvent`,
  :class:`PlayDoneEvent`, :class:`TextEvent`), and sending: :meth:`send_audio`,
  :meth:`kill_audio`, :meth:`mark`, :meth:`clear_marks`, :meth:`disconnect`.
* jambonz only: :meth:`JambonzAudioStream.play_audio` (non-streaming ``playAudio``)
  and ``playDone`` events. Streaming audio back needs the listen verb's
  ``bidirectionalAudio: {streaming: true, sampleRate}``; ``playAudio`` works only
  *without* streaming mode (the media server ignores it otherwise).
* Vonage only: outgoing audio is cut into exact 20 ms frames and paced so that
  Vonage's 1,024-frame buffer never overflows (:attr:`VonageAudioStream.lead_frames`);
  marks become Vonage ``notify`` actions and :meth:`kill_audio` a ``clear``.

Incoming frames are handed over as the ``bytes`` websockets produced (no copy, no
per-frame model): only realigned when a frame ends mid-sample, so every frame holds
whole samples (2 bytes x channels). Text frames are parsed into events; a malformed
one is logged with its raw text and skipped, never fatal.

Register a handler with ``@app.on_audio(path)`` (jambonz) or
``@app.on_audio(path, platform="vonage")``; it runs once per socket, on the same
server and port as the control socket.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar, Final, Generic, Literal, Protocol, TypeAlias, TypeVar

from pydantic import Field, JsonValue, ValidationError, field_validator
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from jambonz_types import JambonzCallback

from ..exceptions import (
    AudioArgumentError,
    AudioStreamClosed,
    InvalidMessage,
    MarkLimitExceeded,
    preview,
)
from ._pacing import FRAME_SECONDS, Clock, PlayoutEstimate, Reframer, SystemClock

__all__ = [
    "AUDIO_SUBPROTOCOL",
    "MAX_MARKS",
    "MAX_PLAY_AUDIO_BYTES",
    "PLAY_AUDIO_SAMPLE_RATES",
    "VONAGE_MAX_BUFFERED_FRAMES",
    "AudioCallback",
    "AudioEvent",
    "AudioPlatform",
    "AudioStream",
    "Clock",
    "DtmfEvent",
    "JambonzAudioHandler",
    "JambonzAudioMetadata",
    "JambonzAudioStream",
    "MarkEvent",
    "PlayDoneEvent",
    "SystemClock",
    "TextEvent",
    "VonageAudioHandler",
    "VonageAudioMetadata",
    "VonageAudioStream",
    "parse_jambonz_metadata",
    "parse_vonage_metadata",
]

AUDIO_SUBPROTOCOL: Final[Subprotocol] = Subprotocol("audio.drachtio.org")
"""The subprotocol jambonz's media server offers on audio sockets (its default;
``MOD_AUDIO_FORK_SUBPROTOCOL_NAME`` changes it, see ``JambonzServer(audio_subprotocol=)``)."""

MAX_MARKS: Final = 30
"""Outstanding marks the jambonz media server keeps; it silently drops any more."""

MAX_PLAY_AUDIO_BYTES: Final = 65 * 1024 * 10
"""Biggest text frame the media server reads (mod_audio_fork ``MAX_RECV_BUF_SIZE``);
it truncates longer ones, so a longer ``playAudio`` is refused before sending."""

PLAY_AUDIO_SAMPLE_RATES: Final = (8000, 16000, 24000, 32000, 48000, 64000)
"""Rates ``playAudio`` accepts for raw audio (others would be played as 16 kHz)."""

VONAGE_MAX_BUFFERED_FRAMES: Final = 1024
"""Frames Vonage buffers at most; audio sent further ahead of real time is lost."""

_METADATA_LIMIT: Final = 8192
"""The media server's metadata buffer; longer metadata arrives truncated (invalid JSON)."""

AudioPlatform = Literal["jambonz", "vonage"]
"""Which media platform opened an audio socket."""

_log = logging.getLogger("jambonz_runtime.audio")


# -- metadata (first frame) ------------------------------------------------------------


class JambonzAudioMetadata(JambonzCallback):
    """The first frame of a jambonz audio socket: format, call info, verb metadata.

    jambonz sends ``sampleRate`` and ``mixType``, then the call info in camelCase, then
    the listen verb's own ``metadata`` keys merged on top (so a verb key can shadow a
    call-info key). Keys not modelled here are kept: see :attr:`custom`.
    """

    sample_rate: int = Field(alias="sampleRate", gt=0)
    """Sample rate of the incoming audio, in Hz (the verb's ``sampleRate``, default 8000)."""
    mix_type: Literal["mono", "mixed", "stereo"] = Field(alias="mixType")
    """``mono`` (caller only), ``mixed`` (both parties summed) or ``stereo`` (2 channels)."""
    call_sid: str = Field(alias="callSid")
    """The call's sid."""
    direction: str | None = None
    """``inbound`` or ``outbound``."""
    from_: str | None = Field(default=None, alias="from")
    """Calling party."""
    to: str | None = None
    """Called party."""
    call_id: str | None = Field(default=None, alias="callId")
    """SIP Call-ID."""
    sbc_callid: str | None = Field(default=None, alias="sbcCallid")
    """SIP Call-ID on the SBC side."""
    sip_status: int | None = Field(default=None, alias="sipStatus")
    """Last SIP status of the call."""
    sip_reason: str | None = Field(default=None, alias="sipReason")
    """Reason phrase of :attr:`sip_status`."""
    call_status: str | None = Field(default=None, alias="callStatus")
    """``in-progress``, ``early-media``, ..."""
    caller_id: str | None = Field(default=None, alias="callerId")
    """Caller name."""
    account_sid: str | None = Field(default=None, alias="accountSid")
    """Account sid."""
    application_sid: str | None = Field(default=None, alias="applicationSid")
    """Application sid."""
    trace_id: str | None = Field(default=None, alias="traceId")
    """Trace id."""
    fs_sip_address: str | None = Field(default=None, alias="fsSipAddress")
    """SIP address of the feature server."""
    parent_call_sid: str | None = Field(default=None, alias="parentCallSid")
    """Parent call sid (dialed legs)."""
    originating_sip_ip: str | None = Field(default=None, alias="originatingSipIp")
    """IP the call came from."""
    originating_sip_trunk_name: str | None = Field(default=None, alias="originatingSipTrunkName")
    """Carrier the call came from."""
    customer_data: dict[str, JsonValue] | None = Field(default=None, alias="customerData")
    """The app's ``tag`` data for the call."""
    headers: dict[str, JsonValue] | None = None
    """Custom SIP headers of the call."""

    @property
    def channels(self) -> int:
        """Audio channels: 2 for ``stereo``, else 1."""
        return 2 if self.mix_type == "stereo" else 1

    @property
    def custom(self) -> dict[str, JsonValue]:
        """Keys not modelled above: the listen verb's ``metadata`` (and newer server keys)."""
        return dict(self.model_extra or {})


_CONTENT_TYPE = re.compile(r"^\s*audio/l16\s*;\s*rate\s*=\s*(\d+)\s*$", re.IGNORECASE)


class VonageAudioMetadata(JambonzCallback):
    """The first frame of a Vonage websocket: ``websocket:connected`` and custom headers.

    Keys other than ``event`` and ``content-type`` are the ``headers`` the NCCO gave the
    websocket endpoint: see :attr:`headers`.
    """

    event: Literal["websocket:connected"]
    """Always ``websocket:connected``."""
    content_type: str = Field(alias="content-type")
    """``audio/l16;rate=8000`` or ``audio/l16;rate=16000`` (16-bit linear PCM, mono)."""

    @field_validator("content_type")
    @classmethod
    def _l16_with_rate(cls, value: str) -> str:
        match = _CONTENT_TYPE.match(value)
        if match is None or int(match.group(1)) <= 0 or int(match.group(1)) % 50:
            raise ValueError(
                f"expected 'audio/l16;rate=<Hz>' with a rate divisible by 50 (8000, 16000, "
                f"24000), got {value!r}"
            )
        return value

    @property
    def sample_rate(self) -> int:
        """The rate from :attr:`content_type`, in Hz."""
        match = _CONTENT_TYPE.match(self.content_type)
        assert match is not None  # checked by the validator
        return int(match.group(1))

    @property
    def headers(self) -> dict[str, JsonValue]:
        """The custom headers of the NCCO websocket endpoint (everything but the two keys)."""
        return dict(self.model_extra or {})


def _invalid(reason: str, raw: str | bytes) -> InvalidMessage:
    if len(raw) >= _METADATA_LIMIT - 1:
        reason += (
            f" (the media server truncates metadata at {_METADATA_LIMIT} bytes: "
            "keep the listen verb's metadata small)"
        )
    return InvalidMessage(reason, raw)


def _first_object(frame: str | bytes) -> dict[str, JsonValue]:
    if isinstance(frame, bytes):
        raise _invalid("the first frame is binary; expected the JSON metadata text frame", frame)
    try:
        obj: JsonValue = json.loads(frame)
    except json.JSONDecodeError as exc:
        raise _invalid(f"metadata is not JSON ({exc.msg} at {exc.pos})", frame) from exc
    if not isinstance(obj, dict):
        raise _invalid(f"metadata is a JSON {type(obj).__name__}, not an object", frame)
    return obj


def _validation_reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
    )


def parse_jambonz_metadata(frame: str | bytes) -> JambonzAudioMetadata:
    """Validate the first frame of a jambonz audio socket.

    Raises:
        InvalidMessage: binary, not JSON, not an object, or missing/invalid
            ``sampleRate``, ``mixType``, ``callSid`` (the reason names the keys).
    """
    obj = _first_object(frame)
    try:
        return JambonzAudioMetadata.from_wire(obj)
    except ValidationError as exc:
        raise _invalid(f"invalid metadata: {_validation_reason(exc)}", frame) from exc


def parse_vonage_metadata(frame: str | bytes) -> VonageAudioMetadata:
    """Validate the first frame of a Vonage websocket (``websocket:connected``).

    Raises:
        InvalidMessage: binary, not JSON, not an object, not ``websocket:connected``
            or a ``content-type`` that is not ``audio/l16;rate=<Hz>``.
    """
    obj = _first_object(frame)
    try:
        return VonageAudioMetadata.from_wire(obj)
    except ValidationError as exc:
        raise _invalid(f"invalid metadata: {_validation_reason(exc)}", frame) from exc


# -- events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DtmfEvent:
    """A key the caller pressed (jambonz: only with the verb's ``passDtmf: true``)."""

    digit: str
    """``0``-``9``, ``*``, ``#``, ``A``-``D``."""
    duration_ms: int | None = None
    """How long it was held, in ms, if the platform said (jambonz sends 8 kHz samples)."""


@dataclass(frozen=True)
class MarkEvent:
    """A mark the app set was reached in playout, or dropped unplayed."""

    name: str
    """The name given to :meth:`AudioStream.mark`."""
    event: Literal["playout", "cleared"]
    """``playout``: the audio before it has played; ``cleared``: dropped by ``kill_audio``."""


@dataclass(frozen=True)
class PlayDoneEvent:
    """jambonz finished a :meth:`JambonzAudioStream.play_audio` (non-streaming mode)."""

    id: str | None
    """The ``id`` given to ``play_audio``, if any."""
    data: dict[str, JsonValue] = field(default_factory=dict)
    """The playback result as sent (``playbackSeconds``, ``playbackMilliseconds``, ...)."""


@dataclass(frozen=True)
class TextEvent:
    """Any other JSON text message on the audio socket (e.g. Vonage ``websocket:cleared``)."""

    data: JsonValue
    """The decoded JSON."""


AudioEvent: TypeAlias = DtmfEvent | MarkEvent | PlayDoneEvent | TextEvent
"""A non-audio message of an audio stream."""

T = TypeVar("T")
M = TypeVar("M", JambonzAudioMetadata, VonageAudioMetadata)

AudioCallback: TypeAlias = Callable[[T], Awaitable[None] | None]
"""A callback of an audio stream: plain or ``async``; an async one is awaited in turn, so
a slow one slows reading of this stream only."""


# -- the stream ------------------------------------------------------------------------


class _Socket(Protocol):
    """What a stream needs of its websocket (``websockets``' ``ServerConnection`` fits)."""

    async def recv(self) -> str | bytes:
        """The next message; raises ``ConnectionClosed`` at the end."""
        ...

    async def send(self, message: str | bytes) -> None:
        """Send one text (``str``) or binary (``bytes``) message."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket."""
        ...

    @property
    def close_code(self) -> int | None:
        """The close code once closed."""
        ...


async def _notify(callbacks: list[AudioCallback[T]], value: T) -> None:
    for callback in callbacks:
        result = callback(value)
        if result is not None and inspect.isawaitable(result):
            await result


class _Frames:
    """``async for frame in stream``: audio only; events go to the callbacks."""

    __slots__ = ("_stream",)

    def __init__(
        self, stream: AudioStream[JambonzAudioMetadata] | AudioStream[VonageAudioMetadata]
    ):
        self._stream = stream

    def __aiter__(self) -> _Frames:
        return self

    async def __anext__(self) -> bytes:
        item = await self._stream._receive(True)
        if item is None:
            raise StopAsyncIteration
        return item  # type: ignore[return-value]  # audio_only: bytes or None


class AudioStream(Generic[M]):
    """One audio socket: metadata, incoming audio and events, and sending back.

    Read it one way at a time: ``async for frame in stream`` (audio ``bytes``; events go
    to the ``on_*`` callbacks), ``async for item in stream.events()`` (audio and events in
    arrival order), or only callbacks (when the handler returns, the runtime keeps
    reading and calling them until the socket closes). The stream lives until either
    side closes it; returning from the handler does not close it (:meth:`close` does).
    """

    platform: ClassVar[AudioPlatform]
    """``jambonz`` or ``vonage``."""
    max_marks: ClassVar[int | None]
    """Outstanding marks the platform keeps (``None``: no documented limit)."""

    def __init__(
        self, socket: _Socket, metadata: M, *, path: str, log: logging.LoggerAdapter[logging.Logger]
    ) -> None:
        self._ws = socket
        self.metadata: M = metadata
        """The first frame, validated."""
        self.path = path
        """The URL path the socket came in on."""
        self.log = log
        """Logger whose records carry the call sid (jambonz) or ``-``."""
        self.sample_rate: int = metadata.sample_rate
        """Incoming audio rate, in Hz."""
        self.channels: int = 2 if getattr(metadata, "mix_type", "mono") == "stereo" else 1
        """Incoming audio channels (interleaved 16-bit little-endian samples)."""
        self._align = 2 * self.channels
        self._carry = b""
        self._audio_callbacks: list[AudioCallback[bytes]] = []
        self._dtmf_callbacks: list[AudioCallback[DtmfEvent]] = []
        self._mark_callbacks: list[AudioCallback[MarkEvent]] = []
        self._play_done_callbacks: list[AudioCallback[PlayDoneEvent]] = []
        self._text_callbacks: list[AudioCallback[TextEvent]] = []
        self._close_callbacks: list[AudioCallback[int | None]] = []
        self._local_events: deque[AudioEvent] = deque()
        self._marks: list[str] = []
        self._ended = False
        self.frames_received: int = 0
        """Audio frames received so far."""
        self.bytes_received: int = 0
        """Audio bytes received so far."""

    # -- state -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the socket has closed (as seen by the reader)."""
        return self._ended

    @property
    def close_code(self) -> int | None:
        """The websocket close code, once closed (1000 normal, 1006 dropped, ...)."""
        return self._ws.close_code

    @property
    def outstanding_marks(self) -> tuple[str, ...]:
        """Marks sent and not yet played out or cleared, oldest first."""
        return tuple(self._marks)

    # -- callbacks ---------------------------------------------------------------------

    def on_audio(self, callback: AudioCallback[bytes]) -> AudioCallback[bytes]:
        """Call ``callback(frame)`` for every incoming audio frame; returns it (decorator)."""
        self._audio_callbacks.append(callback)
        return callback

    def on_dtmf(self, callback: AudioCallback[DtmfEvent]) -> AudioCallback[DtmfEvent]:
        """Call ``callback(event)`` for every DTMF event; returns it (decorator)."""
        self._dtmf_callbacks.append(callback)
        return callback

    def on_mark(self, callback: AudioCallback[MarkEvent]) -> AudioCallback[MarkEvent]:
        """Call ``callback(event)`` when a mark plays out or is cleared; returns it."""
        self._mark_callbacks.append(callback)
        return callback

    def on_text(self, callback: AudioCallback[TextEvent]) -> AudioCallback[TextEvent]:
        """Call ``callback(event)`` for any other JSON text message; returns it."""
        self._text_callbacks.append(callback)
        return callback

    def on_close(self, callback: AudioCallback[int | None]) -> AudioCallback[int | None]:
        """Call ``callback(close_code)`` once when the socket closes; returns it."""
        self._close_callbacks.append(callback)
        return callback

    # -- reading -----------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Incoming audio frames until the socket closes (events go to callbacks)."""
        return _Frames(self)

    async def events(self) -> AsyncIterator[bytes | AudioEvent]:
        """Audio frames (``bytes``) and events, in arrival order, until the socket closes.

        Callbacks are called too, before each item is yielded.
        """
        while True:
            item = await self._receive(False)
            if item is None:
                return
            yield item

    async def run(self) -> None:
        """Read until the socket closes, feeding the callbacks only."""
        while await self._receive(True) is not None:
            pass

    async def _receive(self, audio_only: bool) -> bytes | AudioEvent | None:
        """The next audio frame (or event, unless ``audio_only``); ``None`` at the end."""
        ws = self._ws
        while True:
            if self._local_events:
                event = self._local_events.popleft()
                await self._dispatch(event)
                if not audio_only:
                    return event
                continue
            if self._ended:
                return None
            try:
                data = await ws.recv()
            except ConnectionClosed:
                await self._end()
                continue
            if isinstance(data, bytes):
                if self._carry or len(data) % self._align:
                    data = self._realign(data)
                if not data:  # also the media server's empty "flush" frame on shutdown
                    continue
                self.frames_received += 1
                self.bytes_received += len(data)
                if self._audio_callbacks:
                    await _notify(self._audio_callbacks, data)
                return data
            parsed = self._event_from_text(data)
            if parsed is None:
                continue
            await self._dispatch(parsed)
            if not audio_only:
                return parsed

    def _realign(self, data: bytes) -> bytes:
        """Keep frames to whole samples: carry a split sample over to the next frame."""
        if self._carry:
            data = self._carry + data
        cut = len(data) - len(data) % self._align
        self._carry = data[cut:]
        return data[:cut]

    def _event_from_text(self, text: str) -> AudioEvent | None:
        try:
            obj: JsonValue = json.loads(text)
        except json.JSONDecodeError:
            self.log.warning(
                "audio socket %s: text frame is not JSON, skipped: %s", self.path, preview(text)
            )
            return None
        event = self._parse_event(obj) if isinstance(obj, dict) else None
        if event is _SKIP:
            return None
        return event if event is not None else TextEvent(obj)

    def _parse_event(self, obj: dict[str, JsonValue]) -> AudioEvent | None:
        """The platform's typed event for a JSON object; ``None``: a :class:`TextEvent`;
        ``_SKIP``: nothing to report."""
        raise NotImplementedError

    async def _dispatch(self, event: AudioEvent) -> None:
        if isinstance(event, DtmfEvent):
            await _notify(self._dtmf_callbacks, event)
        elif isinstance(event, MarkEvent):
            if event.name in self._marks:
                self._marks.remove(event.name)
            await _notify(self._mark_callbacks, event)
        elif isinstance(event, PlayDoneEvent):
            await _notify(self._play_done_callbacks, event)
        else:
            await _notify(self._text_callbacks, event)

    async def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        self._closing()
        await _notify(self._close_callbacks, self._ws.close_code)

    def _closing(self) -> None:
        """Hook for subclasses: the socket is gone."""

    # -- sending -----------------------------------------------------------------------

    async def _send(self, message: str | bytes) -> None:
        try:
            await self._ws.send(message)
        except ConnectionClosed as exc:
            raise AudioStreamClosed(
                f"audio socket {self.path} is closed (code {self._ws.close_code})"
            ) from exc

    def _check_mark(self, name: str) -> None:
        value: object = name  # unchecked callers may pass anything
        if not isinstance(value, str) or not value:
            raise AudioArgumentError(f"mark name: must be a non-empty string, got {name!r}")
        limit = self.max_marks
        if limit is not None and len(self._marks) >= limit:
            raise MarkLimitExceeded(name, limit, tuple(self._marks))

    async def send_audio(self, pcm: bytes) -> None:
        """Send 16-bit little-endian mono PCM to be played to the caller."""
        raise NotImplementedError

    async def kill_audio(self) -> None:
        """Stop playback now and drop audio queued for it; outstanding marks are cleared."""
        raise NotImplementedError

    async def mark(self, name: str) -> None:
        """Put mark ``name`` after the audio sent so far; a :class:`MarkEvent` reports it.

        Raises:
            MarkLimitExceeded: :attr:`max_marks` are outstanding already.
            AudioArgumentError: an empty name (jambonz: or one needing JSON escapes).
        """
        raise NotImplementedError

    async def clear_marks(self) -> None:
        """Forget every outstanding mark (no events are reported for them)."""
        raise NotImplementedError

    async def disconnect(self) -> None:
        """End the stream from the app side (jambonz: the listen verb ends)."""
        raise NotImplementedError

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the websocket (jambonz treats any close as the end of the listen verb)."""
        await self._ws.close(code, reason)


def _json(obj: dict[str, JsonValue]) -> str:
    return json.dumps(obj, separators=(",", ":"))


_KILL_AUDIO: Final = _json({"type": "killAudio"})
_CLEAR_MARKS: Final = _json({"type": "clearMarks"})
_DISCONNECT: Final = _json({"type": "disconnect"})
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _as_int(value: JsonValue) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


class JambonzAudioStream(AudioStream[JambonzAudioMetadata]):
    """A jambonz ``listen``/``stream`` audio socket (``audio.drachtio.org``).

    Incoming: L16 frames of any size at :attr:`sample_rate` with :attr:`channels`;
    ``dtmf`` events (verb ``passDtmf: true``), ``mark`` and ``playDone`` events.
    Outgoing: binary audio in streaming mode (:meth:`send_audio`), ``playAudio`` files
    otherwise (:meth:`play_audio`), and the ``killAudio``/``mark``/``clearMarks``/
    ``disconnect`` commands.
    """

    platform: ClassVar[AudioPlatform] = "jambonz"
    max_marks: ClassVar[int | None] = MAX_MARKS

    def on_play_done(self, callback: AudioCallback[PlayDoneEvent]) -> AudioCallback[PlayDoneEvent]:
        """Call ``callback(event)`` when a :meth:`play_audio` finishes; returns it."""
        self._play_done_callbacks.append(callback)
        return callback

    def _parse_event(self, obj: dict[str, JsonValue]) -> AudioEvent | None:
        if obj.get("event") == "dtmf":
            digit = obj.get("dtmf")
            if not isinstance(digit, str) or not digit:
                return None
            samples = _as_int(obj.get("duration"))
            return DtmfEvent(digit, None if samples is None else samples // 8)
        kind = obj.get("type")
        data = obj.get("data")
        payload: dict[str, JsonValue] = data if isinstance(data, dict) else {}
        if kind == "mark":
            name, event = payload.get("name"), payload.get("event")
            if isinstance(name, str) and event in ("playout", "cleared"):
                return MarkEvent(name, "playout" if event == "playout" else "cleared")
            return None
        if kind == "playDone":
            play_id = payload.get("id")
            return PlayDoneEvent(play_id if isinstance(play_id, str) else None, dict(payload))
        return None

    async def send_audio(self, pcm: bytes) -> None:
        """Stream L16 mono audio to the caller (bidirectional streaming mode).

        Needs the listen verb's ``bidirectionalAudio: {enabled: true, streaming: true,
        sampleRate: <rate of pcm>}``; jambonz resamples it and pre-buffers 80 ms. Any
        chunk size works (a split sample is carried over by the server).

        Raises:
            AudioStreamClosed: the socket is closed.
        """
        if pcm:  # the hot path of streaming mode: no extra call layer
            try:
                await self._ws.send(pcm)
            except ConnectionClosed as exc:
                raise AudioStreamClosed(
                    f"audio socket {self.path} is closed (code {self._ws.close_code})"
                ) from exc

    async def play_audio(
        self,
        audio: bytes,
        *,
        content_type: Literal["raw", "wav"] = "raw",
        sample_rate: int | None = None,
        id: str | None = None,
        queue: bool = False,
    ) -> None:
        """Play a whole clip (``playAudio``): only *without* streaming mode.

        Args:
            audio: L16 mono PCM (``raw``) or a WAV file (``wav``).
            content_type: ``raw`` or ``wav``.
            sample_rate: rate of ``raw`` audio (default: the stream's); one of
                :data:`PLAY_AUDIO_SAMPLE_RATES`.
            id: echoed in the :class:`PlayDoneEvent`.
            queue: ``True`` plays after the current clip (jambonz queues about 10);
                ``False`` interrupts it and flushes the queue.

        Raises:
            AudioArgumentError: a rate or content type the server would mishandle, or
                a clip over the media server's :data:`MAX_PLAY_AUDIO_BYTES` frame.
            AudioStreamClosed: the socket is closed.
        """
        data: dict[str, JsonValue] = {}
        if content_type == "raw":
            rate = self.sample_rate if sample_rate is None else sample_rate
            if rate not in PLAY_AUDIO_SAMPLE_RATES:
                raise AudioArgumentError(
                    f"play_audio sample_rate: {rate} is not one of "
                    f"{', '.join(map(str, PLAY_AUDIO_SAMPLE_RATES))} (jambonz would play it as 16000)"
                )
            data["audioContentType"] = "raw"
            data["sampleRate"] = rate
        elif content_type == "wav":
            if audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
                raise AudioArgumentError(
                    "play_audio audio: content_type='wav' but the bytes have no RIFF/WAVE header"
                )
            data["audioContentType"] = "wav"
            if sample_rate is not None:
                data["sampleRate"] = sample_rate
        else:
            raise AudioArgumentError(
                f"play_audio content_type: {content_type!r} is not one of 'raw', 'wav'"
            )
        if id is not None:
            data["id"] = id
        if queue:
            data["queuePlay"] = True
        data["audioContent"] = base64.b64encode(audio).decode("ascii")
        text = _json({"type": "playAudio", "data": data})
        if len(text) > MAX_PLAY_AUDIO_BYTES:
            raise AudioArgumentError(
                f"play_audio audio: {len(audio)} bytes make a {len(text)}-byte playAudio "
                f"message, over the media server's limit of {MAX_PLAY_AUDIO_BYTES} (it "
                "would truncate it); split the clip and send the parts with queue=True"
            )
        await self._send(text)

    async def kill_audio(self) -> None:
        """``killAudio``: stop playback and flush streamed audio; marks come back ``cleared``."""
        self._marks.clear()  # the server clears them all (its "cleared" events follow)
        await self._send(_KILL_AUDIO)

    async def mark(self, name: str) -> None:
        """``mark``: anchored to the next streamed audio chunk; reported ``playout``.

        Raises:
            MarkLimitExceeded: 30 marks are outstanding (the server would drop this one).
            AudioArgumentError: empty, or needs JSON escaping (the media server echoes
                names back unescaped, which would break the event).
        """
        self._check_mark(name)
        if _NEEDS_ESCAPE.search(name):
            raise AudioArgumentError(
                f"mark name: {name!r} contains a quote, backslash or control character; "
                "jambonz echoes mark names unescaped, so its playout event would be invalid JSON"
            )
        self._marks.append(name)
        await self._send(_json({"type": "mark", "data": {"name": name}}))

    async def clear_marks(self) -> None:
        """``clearMarks``: forget outstanding marks (the server reports nothing for them)."""
        self._marks.clear()
        await self._send(_CLEAR_MARKS)

    async def disconnect(self) -> None:
        """``disconnect``: jambonz ends the listen verb (its actionHook runs) and closes."""
        await self._send(_DISCONNECT)


@dataclass(frozen=True)
class _Marker:
    name: str
    seq: int


class VonageAudioStream(AudioStream[VonageAudioMetadata]):
    """A Vonage Voice API websocket (``connect`` to a ``websocket`` endpoint).

    Incoming: 20 ms L16 mono frames at :attr:`sample_rate`; ``websocket:dtmf`` events.
    Outgoing audio is cut into exact 20 ms frames (:attr:`frame_bytes`) and paced so
    that Vonage never holds more than :attr:`lead_frames` of it (its buffer takes at
    most 1,024); :meth:`send_audio` returns once its audio is handed to the socket.
    Marks travel as Vonage ``notify`` actions, :meth:`kill_audio` as ``clear``.
    """

    platform: ClassVar[AudioPlatform] = "vonage"
    max_marks: ClassVar[int | None] = None

    DEFAULT_LEAD_FRAMES: ClassVar[int] = 250
    """Default :attr:`lead_frames`: 5 s ahead of real time, a quarter of Vonage's buffer."""
    REFILL_FRAMES: ClassVar[int] = 10
    """Frames sent per wake-up once the lead is reached (200 ms: few timer wake-ups)."""

    def __init__(
        self,
        socket: _Socket,
        metadata: VonageAudioMetadata,
        *,
        path: str,
        log: logging.LoggerAdapter[logging.Logger],
        clock: Clock | None = None,
    ) -> None:
        super().__init__(socket, metadata, path=path, log=log)
        self.frame_bytes: int = self.sample_rate // 50 * 2
        """Bytes in one 20 ms frame (320 at 8 kHz, 640 at 16 kHz)."""
        self._lead = self.DEFAULT_LEAD_FRAMES
        self._clock: Clock = clock or SystemClock()
        self._reframer = Reframer(self.frame_bytes)
        self._far = PlayoutEstimate(FRAME_SECONDS)
        self._queue: deque[bytes | _Marker] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._pump_sleeping = False
        self._drained = asyncio.Event()
        self._drained.set()
        self._generation = 0
        self._seq = 0
        self._notifying: dict[int, str] = {}
        self._send_error: BaseException | None = None
        self.frames_sent: int = 0
        """Audio frames handed to the socket so far."""

    @property
    def lead_frames(self) -> int:
        """How far ahead of real time audio may be sent, in frames (1..1024)."""
        return self._lead

    @lead_frames.setter
    def lead_frames(self, frames: int) -> None:
        if not 1 <= frames <= VONAGE_MAX_BUFFERED_FRAMES:
            raise AudioArgumentError(
                f"lead_frames: {frames} is outside 1..{VONAGE_MAX_BUFFERED_FRAMES} "
                "(Vonage buffers at most 1,024 frames)"
            )
        self._lead = frames

    @property
    def queued_frames(self) -> int:
        """Frames waiting locally for their turn (pacing)."""
        return sum(1 for item in self._queue if not isinstance(item, _Marker))

    def _parse_event(self, obj: dict[str, JsonValue]) -> AudioEvent | None:
        event = obj.get("event")
        if event == "websocket:dtmf":
            digit = obj.get("digit")
            if not isinstance(digit, str) or not digit:
                return None
            return DtmfEvent(digit, _as_int(obj.get("duration")))
        if event == "websocket:notify":
            payload = obj.get("payload")
            if isinstance(payload, dict):
                seq = _as_int(payload.get("seq"))
                name = payload.get("mark")
                if seq is not None and isinstance(name, str) and "mark" in payload:
                    if self._notifying.pop(seq, None) is None:
                        return _SKIP  # cleared by kill_audio/clear_marks meanwhile
                    return MarkEvent(name, "playout")
        return None

    def _closing(self) -> None:
        if self._queue and self._send_error is None:
            self._send_error = self._closed_error()
        self._queue.clear()
        self._stop_sleeping_pump()
        self._drained.set()

    # -- sending -----------------------------------------------------------------------

    async def send_audio(self, pcm: bytes) -> None:
        """Queue L16 mono audio at :attr:`sample_rate`; return once it is sent or dropped.

        Any chunk size: it is cut into exact 20 ms frames, a partial last frame waits
        for more audio (or :meth:`flush`). Frames go out at once while Vonage holds
        fewer than :attr:`lead_frames`; beyond that this waits (without blocking the
        loop) for real time to catch up. :meth:`kill_audio` from another task drops
        what is still queued and makes this return.

        Raises:
            AudioStreamClosed: the socket is closed.
        """
        frames = self._reframer.push(pcm)
        if not frames:
            return
        if self._ended or self._send_error is not None:
            raise self._closed_error()
        if not self._queue and len(frames) == 1:
            now = self._clock.now()
            if self._far.ahead(now) < self._lead:  # the real-time case: no queue, no task
                self._far.add(now)
                self.frames_sent += 1
                await self._send(frames[0])
                return
        self._queue.extend(frames)
        await self._wait_sent()

    async def flush(self) -> None:
        """Send the held-back partial frame, padded with silence (end of an utterance)."""
        frame = self._reframer.flush()
        if frame is not None:
            await self.send_audio(frame)

    async def mark(self, name: str) -> None:
        """Queue a mark after the audio sent so far (a partial frame is padded first).

        It becomes a Vonage ``notify`` action sent in turn; Vonage answers
        ``websocket:notify`` when the audio before it has played, reported as
        :class:`MarkEvent` ``playout``. Returns without waiting for earlier audio.

        Raises:
            AudioArgumentError: an empty name.
        """
        self._check_mark(name)
        if self._ended or self._send_error is not None:
            raise self._closed_error()
        rest = self._reframer.flush()
        if rest is not None:
            self._queue.append(rest)
        self._seq += 1
        self._marks.append(name)
        self._queue.append(_Marker(name, self._seq))
        self._ensure_pump()

    async def clear_marks(self) -> None:
        """Forget outstanding marks: queued ones are dropped, sent ones ignored when due."""
        kept = [item for item in self._queue if not isinstance(item, _Marker)]
        self._queue.clear()
        self._queue.extend(kept)
        self._notifying.clear()
        self._marks.clear()

    async def kill_audio(self) -> None:
        """Drop queued audio and send Vonage ``clear`` (it empties its buffer).

        Outstanding marks are reported as :class:`MarkEvent` ``cleared`` (to the reader,
        like jambonz's), and a ``send_audio`` waiting in another task returns.
        """
        self._generation += 1
        self._queue.clear()
        self._reframer.clear()
        self._notifying.clear()
        for name in self._marks:
            self._local_events.append(MarkEvent(name, "cleared"))
        self._marks.clear()
        self._far.reset(self._clock.now())
        self._stop_sleeping_pump()
        self._drained.set()
        await self._send(_json({"action": "clear"}))

    async def disconnect(self) -> None:
        """Close the websocket (1000): Vonage ends the websocket leg."""
        await self.close(1000, "disconnect")

    # -- pacing ------------------------------------------------------------------------

    def _closed_error(self) -> AudioStreamClosed:
        return AudioStreamClosed(f"audio socket {self.path} is closed (code {self.close_code})")

    async def _wait_sent(self) -> None:
        generation = self._generation
        self._ensure_pump()
        while self._queue and generation == self._generation:
            self._drained.clear()
            await self._drained.wait()
        if self._send_error is not None:
            raise self._closed_error() from self._send_error

    def _ensure_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run_pump())

    def _stop_sleeping_pump(self) -> None:
        # Only while it sleeps: cancelling a websocket send midway is not safe.
        if self._pump is not None and self._pump_sleeping:
            self._pump.cancel()
            self._pump = None
            self._pump_sleeping = False

    async def _run_pump(self) -> None:
        clock, far, queue = self._clock, self._far, self._queue
        try:
            while True:
                wait = 0.0
                while queue:
                    item = queue[0]
                    if isinstance(item, _Marker):
                        queue.popleft()
                        self._notifying[item.seq] = item.name
                        payload: dict[str, JsonValue] = {"mark": item.name, "seq": item.seq}
                        await self._ws.send(_json({"action": "notify", "payload": payload}))
                        continue
                    now = clock.now()
                    if far.ahead(now) >= self._lead:
                        refill = min(self.REFILL_FRAMES, max(1, self._lead // 2))
                        wait = far.wait_until_at_most(now, self._lead - refill)
                        break
                    queue.popleft()
                    far.add(now)
                    self.frames_sent += 1
                    await self._ws.send(item)
                if not queue:
                    return
                self._drained.set()  # let waiters re-check (generation changes)
                self._pump_sleeping = True
                try:
                    await clock.sleep(wait)
                finally:
                    self._pump_sleeping = False
        except ConnectionClosed as exc:
            self._send_error = exc
            self._queue.clear()
        except Exception as exc:  # a bug or a broken clock: never leave senders hanging
            self.log.exception("audio socket %s: pacing failed", self.path)
            self._send_error = exc
            self._queue.clear()
        finally:
            self._drained.set()


class _Skip(TextEvent):
    """Internal marker: a message that needs no event (e.g. a cleared mark's notify)."""


_SKIP: Final = _Skip(None)

JambonzAudioHandler: TypeAlias = Callable[[JambonzAudioStream], Awaitable[None]]
"""Handler of a jambonz audio socket: runs once per socket."""

VonageAudioHandler: TypeAlias = Callable[[VonageAudioStream], Awaitable[None]]
"""Handler of a Vonage websocket: runs once per socket."""
