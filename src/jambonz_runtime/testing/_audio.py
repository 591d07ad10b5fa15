"""Simulated media clients for audio sockets, and a manual clock (re-exported by ``testing``).

Why simulate rather than mock: the runtime must meet the real wire, so these clients
open real loopback websockets the way the platforms do and play their side:

* :class:`JambonzAudioClient` is jambonz's media server (mod_audio_fork): offers
  ``audio.drachtio.org``, sends the camelCase metadata frame first, then binary audio
  and ``dtmf``/``playDone`` text events; it keeps the app's commands and emulates the
  server's mark bookkeeping (marks anchored to the next audio chunk, at most 30
  outstanding and the rest silently dropped, ``cleared`` events on ``killAudio``,
  nothing on ``clearMarks``).
* :class:`VonageAudioClient` is Vonage: no subprotocol, ``websocket:connected`` first,
  20 ms frames, ``websocket:dtmf``; it checks every frame the app sends is exactly 20
  ms and models Vonage's 1,024-frame buffer on a clock, recording any overflow;
  ``notify`` is answered once the audio before it has played (:meth:`play_due`).
* :class:`ManualClock` lets a test move time by hand, so pacing is tested
  deterministically and fast, without sleeping.

Every wait is bounded and fails with what was seen so far.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import itertools
import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from pydantic import JsonValue
from typing_extensions import Self
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from ..audio._streams import AUDIO_SUBPROTOCOL, MAX_MARKS, VONAGE_MAX_BUFFERED_FRAMES
from ._waits import wait_changed

__all__ = [
    "JambonzAudioClient",
    "ManualClock",
    "MarkState",
    "VonageAudioClient",
    "jambonz_metadata",
]

_TOLERANCE: Final = 1e-9


class ManualClock:
    """A clock that moves only when told (:meth:`advance`); satisfies ``audio.Clock``.

    Args:
        start: the initial time, in seconds.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()
        self._changed: asyncio.Condition | None = None

    def now(self) -> float:
        """The current manual time."""
        return self._now

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def sleep(self, seconds: float) -> None:
        """Wait until :meth:`advance` has moved time ``seconds`` past now."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._counter), future))
        condition = self._condition()
        async with condition:
            condition.notify_all()
        await future

    @property
    def sleepers(self) -> int:
        """Coroutines currently sleeping on this clock."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    async def wait_sleeping(self, count: int = 1, *, timeout: float = 5.0) -> None:
        """Wait until at least ``count`` coroutines sleep on this clock."""
        condition = self._condition()
        async with condition:
            await asyncio.wait_for(condition.wait_for(lambda: self.sleepers >= count), timeout)

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now + _TOLERANCE:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)


class _Client:
    """Shared reader and bookkeeping of the two simulated clients."""

    def __init__(self, ws: ClientConnection, timeout: float) -> None:
        self.ws = ws
        self.timeout = timeout
        self.audio: bytearray = bytearray()
        """Every binary byte the app sent, in order."""
        self.audio_frames: list[int] = []
        """The size of every binary frame the app sent."""
        self.messages: list[dict[str, JsonValue]] = []
        """Every JSON text message the app sent, decoded, in order."""
        self.bad_text: list[str] = []
        """Text frames from the app that were not JSON objects."""
        self._changed = asyncio.Condition()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                async with self._changed:
                    if isinstance(frame, bytes):
                        self.audio_frames.append(len(frame))
                        self.audio.extend(frame)
                        self._on_audio(frame)
                    else:
                        try:
                            obj: JsonValue = json.loads(frame)
                        except json.JSONDecodeError:
                            obj = None
                        if isinstance(obj, dict):
                            self.messages.append(obj)
                            await self._on_message(obj)
                        else:
                            self.bad_text.append(frame)
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _on_audio(self, frame: bytes) -> None:
        """Hook: a binary frame arrived."""

    async def _on_message(self, message: dict[str, JsonValue]) -> None:
        """Hook: a JSON object arrived."""

    async def _wait(self, what: str, ready: Callable[[], bool], timeout: float | None) -> None:
        limit = self.timeout if timeout is None else timeout
        if await wait_changed(self._changed, ready, self._reader, limit):
            return
        state = "socket closed" if self._reader.done() else f"{limit} s passed"
        seen = ", ".join(json.dumps(m)[:200] for m in self.messages) or "(no text)"
        raise AssertionError(
            f"expected {what} but {state}; got {len(self.audio)} audio bytes in "
            f"{len(self.audio_frames)} frames and: {seen}"
        )

    async def wait_audio(self, nbytes: int, *, timeout: float | None = None) -> bytes:
        """Wait until the app has sent at least ``nbytes`` of audio; return all so far."""
        await self._wait(f"{nbytes} audio bytes", lambda: len(self.audio) >= nbytes, timeout)
        return bytes(self.audio)

    async def expect(
        self, key: str, value: str, *, index: int = 0, timeout: float | None = None
    ) -> dict[str, JsonValue]:
        """Wait for the ``index``-th (0-based) message whose ``key`` equals ``value``."""

        def matching() -> list[dict[str, JsonValue]]:
            return [m for m in self.messages if m.get(key) == value]

        await self._wait(f"{key}={value!r} #{index}", lambda: len(matching()) > index, timeout)
        return matching()[index]

    async def send_audio(self, pcm: bytes) -> None:
        """Send one binary frame, as given."""
        await self.ws.send(pcm)

    async def send_text(self, text: str) -> None:
        """Send one text frame, as given."""
        await self.ws.send(text)

    async def send_json(self, obj: Mapping[str, JsonValue]) -> None:
        """Send one JSON text frame."""
        await self.ws.send(json.dumps(obj))

    async def barrier(self, *, timeout: float | None = None) -> None:
        """Ping round trip: the app's reader has taken every earlier frame off the socket."""
        pong = await self.ws.ping()
        await asyncio.wait_for(pong, self.timeout if timeout is None else timeout)

    @property
    def closed(self) -> bool:
        """Whether the socket has closed."""
        return self._reader.done()

    @property
    def close_code(self) -> int | None:
        """The close code, once closed."""
        return self.ws.close_code

    async def wait_closed(self, *, timeout: float | None = None) -> int | None:
        """Wait until the socket closes (the app or the network ended it); the close code."""
        await asyncio.wait_for(
            asyncio.shield(self._reader), self.timeout if timeout is None else timeout
        )
        return self.ws.close_code

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket from the client side."""
        await self.ws.close(code, reason)
        await asyncio.wait_for(asyncio.shield(self._reader), self.timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.closed:
            await self.close()


def _ws_url(url: str, path: str) -> str:
    return url.rstrip("/") + (path if path.startswith("/") else "/" + path)


def jambonz_metadata(
    *,
    sample_rate: int = 8000,
    mix_type: str = "mono",
    call_sid: str | None = None,
    from_: str = "+15551230000",
    to: str = "+15559870000",
    extra: Mapping[str, JsonValue] | None = None,
) -> dict[str, JsonValue]:
    """A first frame shaped like the media server's: format, camelCase call info, verb keys."""
    meta: dict[str, JsonValue] = {
        "sampleRate": sample_rate,
        "mixType": mix_type,
        "callSid": call_sid or str(uuid.uuid4()),
        "direction": "inbound",
        "from": from_,
        "to": to,
        "callId": f"{uuid.uuid4()}@127.0.0.1",
        "sbcCallid": str(uuid.uuid4()),
        "sipStatus": 200,
        "sipReason": "OK",
        "callStatus": "in-progress",
        "callerId": from_,
        "accountSid": "00000000-0000-4000-8000-00000000acc7",
        "traceId": "0" * 32,
        "applicationSid": "00000000-0000-4000-8000-000000000a99",
        "fsSipAddress": "127.0.0.1:5070",
    }
    meta.update(extra or {})
    return meta


@dataclass
class MarkState:
    """The emulated media server's mark queues (mod_audio_fork's inventory/in-use)."""

    inventory: list[str] = field(default_factory=list)
    """Marks received, waiting for the next audio chunk."""
    in_use: list[str] = field(default_factory=list)
    """Marks anchored to received audio, reported by ``play_out``."""
    discarded: list[str] = field(default_factory=list)
    """Marks dropped because 30 were outstanding (the server only logs it)."""


class JambonzAudioClient(_Client):
    """jambonz's media server on one audio socket (use :meth:`connect`)."""

    def __init__(
        self, ws: ClientConnection, metadata: dict[str, JsonValue] | None, timeout: float
    ) -> None:
        super().__init__(ws, timeout)
        self.metadata = metadata
        """The metadata frame sent (``None`` if a raw first frame was sent instead)."""
        self.marks: MarkState = MarkState()
        """The emulated server mark queues (``discarded``: dropped over the limit)."""

    @classmethod
    async def connect(
        cls,
        url: str,
        path: str = "/",
        *,
        sample_rate: int = 8000,
        mix_type: str = "mono",
        call_sid: str | None = None,
        metadata: Mapping[str, JsonValue] | None = None,
        first_frame: str | bytes | None = None,
        subprotocols: list[str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        timeout: float = 5.0,
    ) -> JambonzAudioClient:
        """Open an audio socket as the media server does and send the metadata frame.

        Args:
            url: the app server, ``ws://host:port``.
            path: the listen verb's URL path.
            sample_rate, mix_type, call_sid: the format and call of the metadata.
            metadata: extra keys merged on top (the verb's ``metadata``).
            first_frame: send exactly this first instead (malformed-metadata tests).
            subprotocols: offered instead of ``audio.drachtio.org`` (``[]``: none).
            basic_auth: the listen verb's ``wsAuth``.
            timeout: bound of every wait.
        """
        headers: dict[str, str] = {}
        if basic_auth is not None:
            token = base64.b64encode(f"{basic_auth[0]}:{basic_auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        offered = (
            [AUDIO_SUBPROTOCOL] if subprotocols is None else [Subprotocol(p) for p in subprotocols]
        )
        ws = await connect(
            _ws_url(url, path),
            subprotocols=offered or None,
            additional_headers=headers,
            open_timeout=timeout,
            ping_interval=None,
            max_size=None,
            user_agent_header=None,  # the media server sends none (jambonz issue #1450)
            compression=None,
        )
        meta = None
        if first_frame is None:
            meta = jambonz_metadata(
                sample_rate=sample_rate, mix_type=mix_type, call_sid=call_sid, extra=metadata
            )
            first_frame = json.dumps(meta)
        client = cls(ws, meta, timeout)
        await ws.send(first_frame)
        return client

    def _on_audio(self, frame: bytes) -> None:
        # mod_audio_fork anchors waiting marks to the next binary chunk.
        self.marks.in_use.extend(self.marks.inventory)
        self.marks.inventory.clear()

    async def _on_message(self, message: dict[str, JsonValue]) -> None:
        kind = message.get("type")
        marks = self.marks
        if kind == "mark":
            data = message.get("data")
            name = data.get("name") if isinstance(data, dict) else None
            if isinstance(name, str):
                if len(marks.inventory) + len(marks.in_use) >= MAX_MARKS:
                    marks.discarded.append(name)  # the server logs and drops it
                else:
                    marks.inventory.append(name)
        elif kind == "clearMarks":
            marks.inventory.clear()
            marks.in_use.clear()
        elif kind == "killAudio":
            for name in [*marks.in_use, *marks.inventory]:
                await self._mark_event(name, "cleared")
            marks.inventory.clear()
            marks.in_use.clear()

    async def _mark_event(self, name: str, event: str) -> None:
        # Built by string concatenation, unescaped, exactly as the media server does.
        text = '{"type": "mark", "data": {"name":"' + name + '", "event": "' + event + '"}}'
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            pass

    async def play_out(self) -> list[str]:
        """Play the streamed audio received so far: report its marks ``playout``.

        Returns the names reported, in order.
        """
        async with self._changed:
            names = list(self.marks.in_use)
            self.marks.in_use.clear()
        for name in names:
            await self._mark_event(name, "playout")
        return names

    async def send_dtmf(self, digit: str, duration: int = 1280) -> None:
        """A DTMF event as ``passDtmf`` sends it (``duration`` in 8 kHz samples)."""
        await self.send_json({"event": "dtmf", "dtmf": digit, "duration": duration})

    async def send_play_done(self, id: str | None = None, **results: JsonValue) -> None:
        """``playDone`` after a ``playAudio``, with the playback results."""
        data: dict[str, JsonValue] = {}
        if id is not None:
            data["id"] = id
        data.update(results)
        await self.send_json({"type": "playDone", "data": data})

    async def expect_command(
        self, type: str, *, index: int = 0, timeout: float | None = None
    ) -> dict[str, JsonValue]:
        """Wait for the ``index``-th command of ``type`` (``playAudio``, ``mark``, ...)."""
        return await self.expect("type", type, index=index, timeout=timeout)


class VonageAudioClient(_Client):
    """Vonage's side of a Voice API websocket (use :meth:`connect`)."""

    def __init__(
        self,
        ws: ClientConnection,
        sample_rate: int,
        clock: Callable[[], float] | None,
        timeout: float,
    ) -> None:
        super().__init__(ws, timeout)
        self.sample_rate = sample_rate
        self.frame_bytes: int = sample_rate // 50 * 2
        """The only frame size Vonage accepts (320 at 8 kHz, 640 at 16 kHz)."""
        self._now = clock
        self.bad_frames: list[int] = []
        """Sizes of frames that were not exactly :attr:`frame_bytes` (must stay empty)."""
        self.max_buffered: int = 0
        """The deepest the modelled buffer got, in frames."""
        self.overflowed: int = 0
        """Frames that arrived with the buffer full (Vonage would lose them)."""
        self._anchor = 0.0
        self._frames = 0
        self._total = 0
        self._due: list[tuple[int, JsonValue]] = []

    @classmethod
    async def connect(
        cls,
        url: str,
        path: str = "/",
        *,
        sample_rate: int = 16000,
        headers: Mapping[str, JsonValue] | None = None,
        first_frame: str | bytes | None = None,
        clock: Callable[[], float] | None = None,
        timeout: float = 5.0,
    ) -> VonageAudioClient:
        """Open the websocket as Vonage does and send ``websocket:connected``.

        Args:
            url: the app server, ``ws://host:port``.
            path: the NCCO endpoint's URL path.
            sample_rate: 8000 or 16000 (``content-type: audio/l16;rate=...``).
            headers: the NCCO endpoint's custom headers (merged into the first message).
            first_frame: send exactly this first instead (malformed-metadata tests).
            clock: time source of the buffer model (``ManualClock.now``); ``None``:
                no buffer model (only frame sizes are checked).
            timeout: bound of every wait.
        """
        ws = await connect(
            _ws_url(url, path),
            open_timeout=timeout,
            ping_interval=None,
            max_size=None,
            compression=None,
        )
        if first_frame is None:
            meta: dict[str, JsonValue] = {
                "event": "websocket:connected",
                "content-type": f"audio/l16;rate={sample_rate}",
            }
            meta.update(headers or {})
            first_frame = json.dumps(meta)
        client = cls(ws, sample_rate, clock, timeout)
        await ws.send(first_frame)
        return client

    def buffered(self) -> int:
        """Frames the modelled Vonage buffer holds now (by the clock)."""
        if self._now is None:
            return 0
        left = self._frames - (self._now() - self._anchor) / 0.02
        return max(0, math.ceil(left - 1e-6))

    def _on_audio(self, frame: bytes) -> None:
        if len(frame) != self.frame_bytes:
            self.bad_frames.append(len(frame))
        if self._now is None:
            return
        depth = self.buffered()
        if depth == 0:
            self._anchor, self._frames = self._now(), 0
        if depth >= VONAGE_MAX_BUFFERED_FRAMES:
            self.overflowed += 1
            return
        self._frames += 1
        self._total += 1
        self.max_buffered = max(self.max_buffered, depth + 1)

    async def _on_message(self, message: dict[str, JsonValue]) -> None:
        action = message.get("action")
        if action == "clear":
            self._frames = 0
            self._due.clear()
            await self.send_json({"event": "websocket:cleared"})
        elif action == "notify":
            # due once everything buffered before it has played
            self._due.append((self._total, message.get("payload")))

    async def play_due(self) -> int:
        """Send ``websocket:notify`` for every notify whose audio has played by now."""
        played = self._total - self.buffered()
        ready = [payload for frames, payload in self._due if frames <= played]
        self._due = [(frames, payload) for frames, payload in self._due if frames > played]
        for payload in ready:
            await self.send_json({"event": "websocket:notify", "payload": payload})
        return len(ready)

    async def send_dtmf(self, digit: str, duration: int = 260) -> None:
        """``websocket:dtmf`` (``duration`` in ms)."""
        await self.send_json({"event": "websocket:dtmf", "digit": digit, "duration": duration})

    async def wait_frames(self, count: int, *, timeout: float | None = None) -> None:
        """Wait until the app has sent at least ``count`` binary frames."""
        await self._wait(f"{count} frames", lambda: len(self.audio_frames) >= count, timeout)
