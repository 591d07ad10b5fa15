"""Client side of jambonz TTS token streaming, with the server's backpressure rules.

Why this exists: an LLM app pipes text to jambonz with ``tts:tokens`` commands, and the
feature-server (``lib/utils/tts-streaming-buffer.js``) pushes back. Getting that wrong
loses text or hangs the app:

* each ``tts:tokens`` is answered by a ``tts:tokens-result`` carrying the command's
  ``id`` (``ok``, or ``failed`` with a reason); a command without an id gets no answer;
* the server buffers at most **1,000** characters (JavaScript string length, i.e.
  UTF-16 code units); more is refused ``failed``/``full`` and the server sends one
  ``stream_paused`` event, then ``stream_resumed`` once it has drained to 200;
* a single ``tokens`` string over 1,000 characters is refused ``full`` even on an
  empty buffer and **no resume ever comes**;
* ``tts:clear`` and a barge-in (``user_interruption``) empty the buffer and reset
  "full" **without** a ``stream_resumed`` event.

Design: :class:`TtsTokenStream` is a sans-I/O state machine (text and events in,
command models out, no awaits, no clock); :class:`TtsStreamer` is the thin asyncio
layer over it that the runtime's ``Session`` owns.

Rules the state machine follows:

* One ``tts:tokens`` command is in flight at a time, so text reaches the server in
  order even when a command is refused ``full`` and has to be resent. Texts queued
  meanwhile are coalesced into the next command (up to ``max_chars``), so throughput
  does not depend on round-trip time.
* Results are matched by ``id``, never by queue position; every command has a fresh
  id (a resend after ``full`` too), so a late or stray result cannot be misapplied.
* Text is split client-side (at whitespace where possible) so no command carries more
  than ``max_chars`` (≤ 1,000) UTF-16 units: the "full forever" case cannot happen.
* Whitespace-only texts are never sent alone (the server would drop them on an empty
  buffer); their whitespace is carried into the next text so words do not run together,
  and their own result is ``skipped``.
* ``full`` pauses the stream and holds the refused command; ``stream_resumed`` (or a
  probe, below) resends the same text. ``flush`` is queued behind pending text.
* ``clear()`` and ``user_interruption`` drop everything not yet accepted (results
  ``dropped``) and unpause, since the server sends no resume after a clear.
  After a barge-in with a command in flight, a ``tts:clear`` is sent too, so text that
  reaches the server after its own clear is not spoken.
* ``stream_closed`` and :meth:`TtsTokenStream.close` fail everything pending with
  :class:`TtsStreamClosed`.

Why no deadlock is possible: a pending ``send()`` ends on its ``ok``/``failed`` result,
on ``clear``/``user_interruption`` (``dropped``), or on ``stream_closed``/session end
(exception). The server answers every command we send (each has an id and tokens).
The only state that waits on the server without a command in flight is "paused after
``full``"; the server only says ``full`` with text in its buffer (our commands are never
over 1,000 units), which it keeps feeding to the vendor and then resumes. If that resume
is lost anyway (vendor never connects, event lost across a reconnect), the asyncio layer
re-probes the held command every ``resume_probe_interval`` seconds, and ``clear()``
always unpauses at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import JsonValue, ValidationError

from jambonz_types import JambonzError
from jambonz_types.callbacks.tts_streaming_event import TtsStreamingEventCallback

from ._eager import start_eagerly
from .exceptions import TtsStreamClosed
from .protocol._commands import (
    Command,
    TtsClearCommand,
    TtsFlushCommand,
    TtsTokensCommand,
    _TtsTokensData,
)
from .protocol._messages import TtsTokensResultCallback

__all__ = [
    "SERVER_BUFFER_CHARS",
    "TtsSendResult",
    "TtsSendStatus",
    "TtsStreamClosed",
    "TtsStreamer",
    "TtsTokenStream",
    "js_length",
]

_log = logging.getLogger("jambonz_runtime")

SERVER_BUFFER_CHARS = 1000
"""The feature-server's TTS buffer (``HIGH_WATER_BUFFER_SIZE``), in UTF-16 code units."""

TtsSendStatus = Literal["ok", "failed", "dropped", "skipped"]
"""How a :meth:`TtsStreamer.send` ended.

* ``ok``: the server buffered all of the text.
* ``failed``: the server refused it for a reason other than ``full`` (see ``reason``),
  e.g. no TTS stream is enabled (``config`` ``ttsStream``) or the vendor failed.
* ``dropped``: ``clear()`` or a barge-in removed it before the server accepted it.
* ``skipped``: whitespace only; nothing was sent for it (its whitespace is carried
  into the next text).
"""


@dataclass(frozen=True)
class TtsSendResult:
    """The outcome of one :meth:`TtsStreamer.send`."""

    status: TtsSendStatus
    reason: str | None = None
    """The server's reason for ``failed``; why for ``dropped``/``skipped``."""


def js_length(text: str) -> int:
    """Length of ``text`` as JavaScript counts it (UTF-16 code units), like the server."""
    # Called for every token, often several times: keep it in C. ASCII (most LLM text)
    # is one unit per character; otherwise the UTF-16 encoding has exactly the units.
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _split(text: str, budget: int) -> tuple[str, str]:
    """Cut ``text`` so the head is at most ``budget`` UTF-16 units, after whitespace if any."""
    used = 0
    end = 0
    last_space = -1
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > budget:
            break
        used += width
        end = index + 1
        if char.isspace():
            last_space = index + 1
    cut = last_space if last_space > 0 else end
    return text[:cut], text[cut:]


@dataclass
class _Text:
    ticket: int
    text: str


class _Flush:
    pass


@dataclass
class _Batch:
    id: int
    segments: list[tuple[int, str]]

    @property
    def tokens(self) -> str:
        return "".join(text for _, text in self.segments)


class TtsTokenStream:
    """Sans-I/O state machine of one session's TTS token stream.

    Feed it the app's calls (:meth:`push`, :meth:`flush`, :meth:`clear`) and the
    server's messages (:meth:`on_tokens_result`, :meth:`on_streaming_event`); each returns
    the commands to send now, in order. Finished sends are collected with
    :meth:`take_completed` as ``(ticket, result or exception)`` pairs.
    """

    def __init__(self, *, max_chars: int = SERVER_BUFFER_CHARS, first_id: int = 1) -> None:
        if not 1 <= max_chars <= SERVER_BUFFER_CHARS:
            raise ValueError(
                f"max_chars must be between 1 and {SERVER_BUFFER_CHARS} (the server's buffer), "
                f"got {max_chars}"
            )
        self._max = max_chars
        self._next_id = first_id
        self._next_ticket = 1
        self._queue: deque[_Text | _Flush] = deque()
        self._remaining: dict[int, int] = {}
        self._in_flight: _Batch | None = None
        self._held: _Batch | None = None
        self._orphans: set[int | str] = set()
        self._paused = False
        self._resumed_in_flight = False
        self._carry = ""
        self._closed = False
        self._completed: list[tuple[int, TtsSendResult | JambonzError]] = []

    # -- state ---------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True while the server has said ``full``/``stream_paused`` and not resumed."""
        return self._paused

    @property
    def pending(self) -> int:
        """Number of sends not finished yet."""
        return len(self._remaining)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`; further pushes raise :class:`TtsStreamClosed`."""
        return self._closed

    def take_completed(self) -> list[tuple[int, TtsSendResult | JambonzError]]:
        """Return and forget the sends finished since the last call."""
        done, self._completed = self._completed, []
        return done

    # -- app side ------------------------------------------------------------

    def push(self, text: str) -> tuple[int, list[Command]]:
        """Queue ``text``; return its ticket and the commands to send now.

        Raises:
            TtsStreamClosed: the stream was closed with :meth:`close`.
        """
        tickets, commands = self.push_many((text,))
        return tickets[0], commands

    def push_many(self, texts: Sequence[str]) -> tuple[list[int], list[Command]]:
        """Queue several texts at once (they may share a command); tickets in order.

        Raises:
            TtsStreamClosed: the stream was closed with :meth:`close`.
        """
        if self._closed:
            raise TtsStreamClosed("the TTS stream is closed (the session ended)")
        tickets: list[int] = []
        for text in texts:
            ticket = self._next_ticket
            self._next_ticket += 1
            tickets.append(ticket)
            if not text or text.isspace():
                self._carry += text
                self._completed.append(
                    (
                        ticket,
                        TtsSendResult("skipped", "whitespace only; carried into the next text"),
                    )
                )
                continue
            text, self._carry = self._carry + text, ""
            self._remaining[ticket] = js_length(text)
            self._queue.append(_Text(ticket, text))
        return tickets, self._pump()

    def flush(self) -> list[Command]:
        """Queue a ``tts:flush`` behind the pending text; return the commands to send now."""
        if self._closed:
            return []
        self._carry = ""
        if not self._queue or not isinstance(self._queue[-1], _Flush):
            self._queue.append(_Flush())
        return self._pump()

    def clear(self) -> list[Command]:
        """Drop all pending text (``dropped``) and unpause; return ``[tts:clear]``."""
        if self._closed:
            return []
        self._drop_all("cleared by clear()")
        return [TtsClearCommand()]

    def probe(self) -> list[Command]:
        """While paused, try again: resend the held text (the result decides what next).

        For the case where a ``stream_resumed`` never arrives; harmless otherwise (the
        server answers ``full`` again without a second ``stream_paused``).
        """
        if self._closed or not self._paused or self._in_flight is not None:
            return []
        self._paused = False
        return self._pump()

    def close(self, reason: str = "session ended", cause: BaseException | None = None) -> None:
        """End the stream for good: every pending send fails with :class:`TtsStreamClosed`."""
        if self._closed:
            return
        self._closed = True
        self._fail_all(reason, cause)

    # -- server side ---------------------------------------------------------

    def on_tokens_result(
        self, data: TtsTokensResultCallback | Mapping[str, JsonValue]
    ) -> list[Command]:
        """Handle a ``tts:tokens-result``; return the commands to send now.

        Results for unknown ids (stale, after a clear, or from another client) are ignored.
        """
        if isinstance(data, TtsTokensResultCallback):
            result = data
        else:
            try:
                result = TtsTokensResultCallback.__pydantic_validator__.validate_python(
                    data, by_alias=True
                )
            except ValidationError:
                return []  # not a result we could have asked for (e.g. a non-scalar id)
        if result.id is not None and result.id in self._orphans:
            self._orphans.discard(result.id)
            return []
        batch = self._in_flight
        if self._closed or batch is None or result.id != batch.id:
            return []
        self._in_flight = None
        resumed, self._resumed_in_flight = self._resumed_in_flight, False
        if result.status == "ok":
            for ticket, segment in batch.segments:
                left = self._remaining.get(ticket)
                if left is None:
                    continue
                left -= js_length(segment)
                if left <= 0:
                    del self._remaining[ticket]
                    self._completed.append((ticket, TtsSendResult("ok")))
                else:
                    self._remaining[ticket] = left
        elif result.status == "failed" and result.reason == "full":
            self._held = batch
            # A resume that overtook this result ends this pause before it starts.
            self._paused = not resumed
        else:
            reason = result.reason or (
                "no TTS stream on this call (enable it with the config verb's ttsStream)"
                if result.status is None
                else f"failed (status {result.status!r})"
            )
            for ticket in dict.fromkeys(ticket for ticket, _ in batch.segments):
                self._fail_ticket(ticket, reason)
        return self._pump()

    def on_streaming_event(
        self, data: TtsStreamingEventCallback | Mapping[str, JsonValue]
    ) -> list[Command]:
        """Handle a ``tts:streaming-event``; return the commands to send now."""
        if isinstance(data, TtsStreamingEventCallback):
            event: object = data.root.event_type
        else:
            event = data.get("event_type")
        if self._closed:
            return []
        if event == "stream_paused":
            self._paused = True
            return []
        if event == "stream_resumed":
            if self._in_flight is not None:
                self._resumed_in_flight = True
            self._paused = False
            return self._pump()
        if event == "stream_open":
            self._paused = False
            return self._pump()
        if event == "user_interruption":
            had_in_flight = self._in_flight is not None
            self._drop_all("dropped on user interruption (barge-in)")
            return [TtsClearCommand()] if had_in_flight else []
        if event == "stream_closed":
            self._fail_all("the TTS stream closed (stream_closed)", None)
            return []
        return []  # tts_spoken and future events carry nothing for the stream

    # -- internals -----------------------------------------------------------

    def _pump(self) -> list[Command]:
        out: list[Command] = []
        if self._closed or self._in_flight is not None:
            return out
        if self._held is not None:
            if self._paused:
                return out
            held, self._held = self._held, None
            out.append(self._send(held.segments))
            return out
        while self._queue and isinstance(self._queue[0], _Flush):
            # A flush overtakes nothing: all text before it has been accepted.
            self._queue.popleft()
            out.append(TtsFlushCommand())
        if self._paused or not self._queue:
            return out
        segments: list[tuple[int, str]] = []
        budget = self._max
        while self._queue and budget > 0:
            head = self._queue[0]
            if not isinstance(head, _Text):
                break
            size = js_length(head.text)
            if size <= budget:
                segments.append((head.ticket, head.text))
                budget -= size
                self._queue.popleft()
            elif segments:
                break
            else:
                piece, rest = _split(head.text, budget)
                segments.append((head.ticket, piece))
                head.text = rest
                break
        out.append(self._send(segments))
        return out

    def _send(self, segments: list[tuple[int, str]]) -> TtsTokensCommand:
        batch = _Batch(self._next_id, segments)
        self._next_id += 1
        self._in_flight = batch
        self._resumed_in_flight = False
        return TtsTokensCommand(data=_TtsTokensData(id=batch.id, tokens=batch.tokens))

    def _fail_ticket(self, ticket: int, reason: str) -> None:
        if self._remaining.pop(ticket, None) is None:
            return
        self._queue = deque(
            item for item in self._queue if not (isinstance(item, _Text) and item.ticket == ticket)
        )
        self._completed.append((ticket, TtsSendResult("failed", reason)))

    def _forget_pending(self) -> list[int]:
        if self._in_flight is not None:
            self._orphans.add(self._in_flight.id)
        self._in_flight = None
        self._held = None
        self._queue.clear()
        self._carry = ""
        self._paused = False
        self._resumed_in_flight = False
        tickets = list(self._remaining)
        self._remaining.clear()
        return tickets

    def _drop_all(self, reason: str) -> None:
        for ticket in self._forget_pending():
            self._completed.append((ticket, TtsSendResult("dropped", reason)))

    def _fail_all(self, reason: str, cause: BaseException | None) -> None:
        for ticket in self._forget_pending():
            error = TtsStreamClosed(reason)
            error.__cause__ = cause
            self._completed.append((ticket, error))


class TtsStreamer:
    """asyncio TTS token streaming for one session, over :class:`TtsTokenStream`.

    The runtime creates one per session with the session's command sender, routes the
    session's ``tts:tokens-result`` messages to :meth:`on_tokens_result` and
    ``tts:streaming-event`` messages to :meth:`on_streaming_event`, and calls
    :meth:`close` when the session ends. Commands go out in the order the state machine
    produced them, whatever coroutine triggered them; methods other than :meth:`send` may
    return before their commands are written when another coroutine is mid-send.

    Args:
        send: sends one command on the session socket (``Session._send_command``).
        max_chars: largest ``tokens`` string per command, in UTF-16 units (≤ 1,000).
        resume_probe_interval: while paused, resend the held text this often in case a
            ``stream_resumed`` never comes; ``None`` waits for the event only.
    """

    def __init__(
        self,
        send: Callable[[Command], Awaitable[None]],
        *,
        max_chars: int = SERVER_BUFFER_CHARS,
        resume_probe_interval: float | None = 5.0,
    ) -> None:
        self._sender = send
        self._core = TtsTokenStream(max_chars=max_chars)
        self._probe_interval = resume_probe_interval
        self._futures: dict[int, asyncio.Future[TtsSendResult]] = {}
        self._outbox: deque[Command] = deque()
        self._draining = False
        self._probe_task: asyncio.Task[None] | None = None
        self._senders: set[asyncio.Task[None]] = set()
        self._unpushed: list[tuple[str, asyncio.Future[TtsSendResult]]] = []
        self._kick: asyncio.Handle | None = None

    @property
    def paused(self) -> bool:
        """True while jambonz has signalled backpressure (buffer full) and not resumed."""
        return self._core.paused

    @property
    def pending(self) -> int:
        """Number of :meth:`send` calls not finished yet."""
        return self._core.pending + len(self._unpushed)

    async def send(self, text: str) -> TtsSendResult:
        """Stream ``text`` to jambonz TTS; return once the server accepted or refused it.

        Long text is split into several commands; the result covers all of them.

        Raises:
            TtsStreamClosed: the stream closed or the session ended first.
        """
        return await self.send_nowait(text)

    def send_nowait(self, text: str) -> asyncio.Future[TtsSendResult]:
        """Queue ``text`` now; return the future of what :meth:`send` would return.

        For streaming many small tokens: ``send()`` run through ``asyncio.gather`` costs
        a task per token, this costs nothing but the future. Texts queued in the same turn
        of the event loop go out together, in order, in as few commands as the server's
        buffer allows (a burst of tokens then costs a command or two, not one each); the
        backpressure rules are the same. Await the future, gather them, or ignore them:
        one that ends in :class:`TtsStreamClosed` is never logged as an exception that
        was not retrieved.

        Raises:
            TtsStreamClosed: the stream is already closed (the session ended).
        """
        if self._core.closed:
            raise TtsStreamClosed("the TTS stream is closed (the session ended)")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[TtsSendResult] = loop.create_future()
        self._unpushed.append((text, future))
        if self._kick is None:
            self._kick = loop.call_soon(self._send_unpushed)
        return future

    def _push_unpushed(self) -> None:
        """Hand the texts queued this turn to the state machine (before anything else)."""
        if not self._unpushed:
            return
        unpushed, self._unpushed = self._unpushed, []
        try:
            tickets, commands = self._core.push_many([text for text, _ in unpushed])
        except TtsStreamClosed as exc:
            for _, future in unpushed:
                if not future.done():
                    future.set_exception(exc)
                    future.exception()  # retrieved: a send_nowait() future may be ignored
            return
        for ticket, (_, future) in zip(tickets, unpushed, strict=True):
            self._futures[ticket] = future
        self._queue_out(commands)

    def _drop_unpushed(self, reason: str) -> None:
        """Texts queued this turn, never pushed: dropped, as pending text would be."""
        unpushed, self._unpushed = self._unpushed, []
        for _, future in unpushed:
            if not future.done():
                future.set_result(TtsSendResult("dropped", reason))

    def _send_unpushed(self) -> None:
        self._kick = None
        self._push_unpushed()
        if self._outbox and not self._draining:  # else the running drainer sends it
            task = start_eagerly(self.send_pending(), self._internal_error)
            if task is not None:  # the socket is busy: keep the sender until it is done
                self._senders.add(task)
                task.add_done_callback(self._senders.discard)
        else:
            self._settle()

    @staticmethod
    def _internal_error(exc: BaseException) -> None:
        _log.error("internal error sending TTS commands: %r", exc, exc_info=exc)

    async def flush(self) -> None:
        """Ask jambonz to speak what it has buffered, once the pending text is accepted."""
        self._push_unpushed()
        await self._after(self._core.flush())

    async def clear(self) -> None:
        """Drop all pending text (sends resolve ``dropped``), unpause, send ``tts:clear``."""
        self._drop_unpushed("cleared by clear()")
        await self._after(self._core.clear())

    async def on_tokens_result(
        self, data: TtsTokensResultCallback | Mapping[str, JsonValue]
    ) -> None:
        """Feed one ``tts:tokens-result`` message's ``data``."""
        self._push_unpushed()
        await self._after(self._core.on_tokens_result(data))

    async def on_streaming_event(
        self, data: TtsStreamingEventCallback | Mapping[str, JsonValue]
    ) -> None:
        """Feed one ``tts:streaming-event`` message's ``data``."""
        self._before_event(data)
        await self._after(self._core.on_streaming_event(data))

    def receive_tokens_result(
        self, data: TtsTokensResultCallback | Mapping[str, JsonValue]
    ) -> None:
        """Apply one ``tts:tokens-result`` now, without sending; see :meth:`send_pending`.

        The dispatcher calls this synchronously, in arrival order, before any app
        handler of the message runs, then schedules :meth:`send_pending`.
        """
        self._push_unpushed()
        self._queue_out(self._core.on_tokens_result(data))

    def receive_streaming_event(
        self, data: TtsStreamingEventCallback | Mapping[str, JsonValue]
    ) -> None:
        """Apply one ``tts:streaming-event`` now, without sending; see :meth:`send_pending`."""
        self._before_event(data)
        self._queue_out(self._core.on_streaming_event(data))

    def _before_event(self, data: TtsStreamingEventCallback | Mapping[str, JsonValue]) -> None:
        # A barge-in drops what is pending, including texts queued in this very turn.
        if isinstance(data, TtsStreamingEventCallback):
            kind: object = data.root.event_type
        else:
            kind = data.get("event_type")
        if kind == "user_interruption":
            self._drop_unpushed("dropped on user interruption (barge-in)")
        else:
            self._push_unpushed()

    async def send_pending(self) -> None:
        """Send whatever the state machine produced (resends after a resume, a clear...)."""
        await self._drain()
        self._update_probe()

    def close(self, reason: str = "session ended") -> None:
        """End the stream: pending sends raise :class:`TtsStreamClosed`; later ones too."""
        self._push_unpushed()
        self._core.close(reason)
        self._settle()
        self._update_probe()

    # -- internals -----------------------------------------------------------

    def _queue_out(self, commands: list[Command]) -> None:
        self._settle()
        self._outbox.extend(commands)

    async def _after(self, commands: list[Command]) -> None:
        self._queue_out(commands)
        await self.send_pending()

    async def _drain(self) -> None:
        # One drainer at a time sends the outbox in FIFO order; anyone else just queues.
        # No lock is held across the send, so a sender that feeds a result back into this
        # streamer (re-entrantly, as an in-process simulator may) cannot deadlock.
        if self._draining:
            return
        self._draining = True
        try:
            while self._outbox:
                command = self._outbox.popleft()
                try:
                    await self._sender(command)
                except Exception as exc:  # the socket is gone: nothing more can be sent
                    self._outbox.clear()
                    self._core.close(f"sending {command.command} failed: {exc}", exc)
                    self._settle()
                    return
        finally:
            self._draining = False

    def _settle(self) -> None:
        for ticket, outcome in self._core.take_completed():
            future = self._futures.pop(ticket, None)
            if future is None or future.done():
                continue
            if isinstance(outcome, TtsSendResult):
                future.set_result(outcome)
            else:
                future.set_exception(outcome)
                future.exception()  # retrieved: a send_nowait() future may be ignored

    def _update_probe(self) -> None:
        # The probe task is only started here and only cancelled by close(): cancelling it
        # mid-send could lose a command. Once unpaused it ends by itself.
        wanted = self._core.paused and not self._core.closed and self._probe_interval is not None
        task = self._probe_task
        if wanted and (task is None or task.done()):
            self._probe_task = asyncio.get_running_loop().create_task(self._probe_loop())
        elif self._core.closed and task is not None:
            task.cancel()
            self._probe_task = None

    async def _probe_loop(self) -> None:
        interval = self._probe_interval
        assert interval is not None
        while self._core.paused and not self._core.closed:
            await asyncio.sleep(interval)
            commands = self._core.probe()
            self._settle()
            self._outbox.extend(commands)
            await self._drain()
