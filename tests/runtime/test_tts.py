"""TTS token streaming against the feature-server's backpressure rules (protocol.md §3, §9 27-32)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from pydantic import JsonValue

from jambonz_runtime.protocol._commands import Command, encode
from jambonz_runtime.tts import (
    TtsSendResult,
    TtsStreamClosed,
    TtsStreamer,
    TtsTokenStream,
    _split,
    js_length,
)
from jambonz_types import JambonzError
from jambonz_types.callbacks.tts_streaming_event import TtsStreamingEventCallback

Wire = dict[str, JsonValue]


def wire(commands: list[Command]) -> list[Wire]:
    return [json.loads(encode(c)) for c in commands]


def tokens(id_: int, text: str) -> Wire:
    return {"type": "command", "command": "tts:tokens", "data": {"id": id_, "tokens": text}}


FLUSH: Wire = {"type": "command", "command": "tts:flush"}
CLEAR: Wire = {"type": "command", "command": "tts:clear"}


def ok(id_: int) -> Wire:
    return {"id": id_, "status": "ok"}


def full(id_: int) -> Wire:
    return {"id": id_, "status": "failed", "reason": "full"}


def event(name: str) -> Wire:
    return {"event_type": name}


# --- sans-I/O core ----------------------------------------------------------


def test_ok_path_ids_and_result_matching() -> None:
    s = TtsTokenStream(first_id=7)
    ticket, out = s.push("Hello")
    assert wire(out) == [tokens(7, "Hello")]
    assert s.take_completed() == []
    assert s.on_tokens_result(ok(7)) == []
    assert s.take_completed() == [(ticket, TtsSendResult("ok"))]
    assert s.pending == 0


def test_one_in_flight_and_queued_texts_are_coalesced_in_order() -> None:
    s = TtsTokenStream()
    t1, out = s.push("Hello")
    assert wire(out) == [tokens(1, "Hello")]
    t2, out2 = s.push(" wide")
    t3, out3 = s.push(" world.")
    assert out2 == out3 == []
    assert wire(s.on_tokens_result(ok(1))) == [tokens(2, " wide world.")]
    assert s.take_completed() == [(t1, TtsSendResult("ok"))]
    s.on_tokens_result(ok(2))
    assert s.take_completed() == [(t2, TtsSendResult("ok")), (t3, TtsSendResult("ok"))]


def test_results_are_matched_by_id_not_position() -> None:
    s = TtsTokenStream()
    ticket, _ = s.push("a")
    assert s.on_tokens_result(ok(99)) == []  # unknown id: ignored
    assert s.on_tokens_result({"status": "failed", "reason": "missing id"}) == []
    assert s.take_completed() == []
    s.on_tokens_result(ok(1))
    assert s.take_completed() == [(ticket, TtsSendResult("ok"))]


def test_string_ids_from_the_server_do_not_match_int_ids() -> None:
    s = TtsTokenStream()
    s.push("a")
    assert s.on_tokens_result({"id": "1", "status": "ok"}) == []
    assert s.pending == 1


def test_full_pauses_and_resends_same_text_after_resume() -> None:
    s = TtsTokenStream()
    ticket, _ = s.push("one two")
    assert s.on_streaming_event(event("stream_paused")) == []
    assert s.on_tokens_result(full(1)) == []
    assert s.paused
    later, out = s.push(" three")
    assert out == []  # nothing is sent while paused
    assert wire(s.on_streaming_event(event("stream_resumed"))) == [tokens(2, "one two")]
    assert not s.paused
    assert wire(s.on_tokens_result(ok(2))) == [tokens(3, " three")]
    s.on_tokens_result(ok(3))
    assert s.take_completed() == [(ticket, TtsSendResult("ok")), (later, TtsSendResult("ok"))]


def test_resume_that_overtakes_the_full_result_does_not_strand_the_stream() -> None:
    s = TtsTokenStream()
    s.push("x")
    s.on_streaming_event(event("stream_resumed"))
    assert wire(s.on_tokens_result(full(1))) == [tokens(2, "x")]
    assert not s.paused


def test_typed_event_models_are_accepted() -> None:
    s = TtsTokenStream()
    s.push("x")
    s.on_tokens_result(full(1))
    resumed = TtsStreamingEventCallback.model_validate({"event_type": "stream_resumed"})
    assert wire(s.on_streaming_event(resumed)) == [tokens(2, "x")]


def test_long_text_is_split_at_whitespace_under_the_server_buffer() -> None:
    s = TtsTokenStream()
    words = " ".join(["word"] * 400)  # 1,999 characters
    ticket, out = s.push(words)
    [first] = wire(out)
    first_tokens = first["data"]["tokens"]  # type: ignore[call-overload,index]
    assert isinstance(first_tokens, str)
    assert len(first_tokens) <= 1000
    assert first_tokens.endswith(" ")
    sent = [first_tokens]
    for id_ in range(1, 10):
        out = s.on_tokens_result(ok(id_))
        if not out:
            break
        [command] = wire(out)
        text = command["data"]["tokens"]  # type: ignore[call-overload,index]
        assert isinstance(text, str)
        assert js_length(text) <= 1000
        sent.append(text)
    assert "".join(sent) == words
    assert s.take_completed() == [(ticket, TtsSendResult("ok"))]


def test_single_token_over_1000_without_whitespace_is_hard_split() -> None:
    s = TtsTokenStream()
    _, out = s.push("x" * 1001)
    assert wire(out) == [tokens(1, "x" * 1000)]
    assert wire(s.on_tokens_result(ok(1))) == [tokens(2, "x")]


def test_split_counts_utf16_units_like_javascript() -> None:
    emoji = "\U0001f600"  # two UTF-16 units
    assert js_length(emoji * 3) == 6
    head, rest = _split(emoji * 3, 5)
    assert head == emoji * 2
    assert rest == emoji
    assert _split("ab cd", 4) == ("ab ", "cd")


def test_max_chars_is_bounded_by_the_server_buffer() -> None:
    with pytest.raises(ValueError, match="between 1 and 1000"):
        TtsTokenStream(max_chars=1001)


def test_whitespace_only_tokens_are_not_sent_but_keep_word_spacing() -> None:
    s = TtsTokenStream()
    t1, out = s.push("  \n")
    assert out == []
    assert s.take_completed() == [
        (t1, TtsSendResult("skipped", "whitespace only; carried into the next text"))
    ]
    _, out = s.push("Hi")
    assert wire(out) == [tokens(1, "  \nHi")]


def test_empty_token_is_skipped() -> None:
    s = TtsTokenStream()
    _, out = s.push("")
    assert out == []
    assert s.take_completed()[0][1].status == "skipped"  # type: ignore[union-attr]


def test_flush_is_sent_behind_pending_tokens() -> None:
    s = TtsTokenStream()
    s.push("a")
    assert s.flush() == []
    s.push("b")
    assert wire(s.on_tokens_result(ok(1))) == [FLUSH, tokens(2, "b")]


def test_flush_with_nothing_pending_is_sent_at_once_and_not_duplicated() -> None:
    s = TtsTokenStream()
    assert wire(s.flush()) == [FLUSH]
    s.push("a")
    s.flush()
    s.flush()
    assert wire(s.on_tokens_result(ok(1))) == [FLUSH]


def test_flush_does_not_overtake_held_text() -> None:
    s = TtsTokenStream()
    s.push("a")
    s.on_tokens_result(full(1))
    assert s.flush() == []
    assert wire(s.on_streaming_event(event("stream_resumed"))) == [tokens(2, "a")]
    assert wire(s.on_tokens_result(ok(2))) == [FLUSH]


def test_clear_while_paused_unpauses_without_a_resume_event() -> None:
    s = TtsTokenStream()
    t1, _ = s.push("a")
    s.on_tokens_result(full(1))
    t2, _ = s.push("b")
    assert wire(s.clear()) == [CLEAR]
    assert not s.paused
    assert {t for t, _ in s.take_completed()} == {t1, t2}
    _, out = s.push("c")
    assert wire(out) == [tokens(2, "c")]


def test_clear_orphans_the_in_flight_command() -> None:
    s = TtsTokenStream()
    t1, _ = s.push("a")
    s.clear()
    assert s.take_completed() == [(t1, TtsSendResult("dropped", "cleared by clear()"))]
    t2, out = s.push("b")
    assert wire(out) == [tokens(2, "b")]
    assert s.on_tokens_result(ok(1)) == []  # the stale result changes nothing
    assert s.pending == 1
    s.on_tokens_result(ok(2))
    assert s.take_completed() == [(t2, TtsSendResult("ok"))]


def test_user_interruption_drains_queue_and_clears_in_flight() -> None:
    s = TtsTokenStream()
    t1, _ = s.push("a")
    t2, _ = s.push("b")
    assert wire(s.on_streaming_event(event("user_interruption"))) == [CLEAR]
    done = dict(s.take_completed())
    assert (
        done[t1] == done[t2] == TtsSendResult("dropped", "dropped on user interruption (barge-in)")
    )
    assert s.pending == 0
    assert not s.paused


def test_user_interruption_with_nothing_in_flight_sends_nothing() -> None:
    s = TtsTokenStream()
    assert s.on_streaming_event(event("user_interruption")) == []


def test_failed_for_other_reasons_fails_that_send_only() -> None:
    s = TtsTokenStream()
    t1, _ = s.push("a")
    s.on_tokens_result({"id": 1, "status": "failed", "reason": "connection to elevenlabs failed"})
    assert s.take_completed() == [(t1, TtsSendResult("failed", "connection to elevenlabs failed"))]
    assert not s.paused


def test_result_without_status_means_no_stream_buffer() -> None:
    s = TtsTokenStream()
    t1, _ = s.push("a")
    s.on_tokens_result({"id": 1})
    [(ticket, result)] = s.take_completed()
    assert ticket == t1
    assert isinstance(result, TtsSendResult)
    assert result.status == "failed"
    assert "ttsStream" in (result.reason or "")


def test_failure_of_a_split_send_drops_its_remaining_parts() -> None:
    s = TtsTokenStream(max_chars=4)
    t1, _ = s.push("aaaa bbbb")
    s.push("c")
    out = s.on_tokens_result({"id": 1, "status": "failed", "reason": "boom"})
    assert wire(out) == [tokens(2, "c")]
    assert s.take_completed() == [(t1, TtsSendResult("failed", "boom"))]


def test_stream_closed_fails_pending_with_jambonz_error() -> None:
    s = TtsTokenStream()
    t1, _ = s.push("a")
    s.on_streaming_event(event("stream_closed"))
    [(ticket, error)] = s.take_completed()
    assert ticket == t1
    assert isinstance(error, TtsStreamClosed)
    assert isinstance(error, JambonzError)
    _, out = s.push("again")  # a later stream_open may follow: still usable
    assert wire(out) == [tokens(2, "again")]


def test_close_is_final() -> None:
    s = TtsTokenStream()
    s.push("a")
    s.close()
    assert isinstance(s.take_completed()[0][1], TtsStreamClosed)
    with pytest.raises(TtsStreamClosed):
        s.push("b")
    assert s.flush() == s.clear() == []


def test_probe_resends_held_text_when_no_resume_comes() -> None:
    s = TtsTokenStream()
    s.push("a")
    s.on_tokens_result(full(1))
    assert wire(s.probe()) == [tokens(2, "a")]
    assert s.on_tokens_result(full(2)) == []
    assert s.paused
    assert wire(s.probe()) == [tokens(3, "a")]
    s.on_tokens_result(ok(3))
    assert s.pending == 0


def test_unknown_events_are_ignored() -> None:
    s = TtsTokenStream()
    s.push("a")
    assert s.on_streaming_event({"event_type": "tts_spoken", "text": "a", "bargein": False}) == []
    assert s.on_streaming_event({"event_type": "something_new"}) == []


# --- a scripted jambonz for the asyncio layer --------------------------------


class FakeServer:
    """Applies the feature-server's buffer rules to tts commands (no vendor: it drains on demand)."""

    def __init__(self) -> None:
        self.buffered = 0
        self.full = False
        self.commands: list[Wire] = []
        self.streamer: TtsStreamer | None = None
        self.auto = True
        self.arrived = asyncio.Event()
        self.accepted: list[str] = []
        self.paused = asyncio.Event()

    async def send(self, command: Command) -> None:
        message: Wire = json.loads(encode(command))
        self.commands.append(message)
        self.arrived.set()
        if not self.auto:
            return
        await self.answer(message)

    async def answer(self, message: Wire) -> None:
        assert self.streamer is not None
        data = message.get("data")
        if message["command"] == "tts:clear":
            self.buffered, self.full = 0, False
        if message["command"] != "tts:tokens":
            return
        assert isinstance(data, dict)
        text = data["tokens"]
        assert isinstance(text, str)
        if self.buffered + js_length(text) > 1000:
            if not self.full:
                self.full = True
                self.paused.set()
                await self.streamer.on_streaming_event(event("stream_paused"))
            await self.streamer.on_tokens_result(
                {"id": data["id"], "status": "failed", "reason": "full"}
            )
            return
        self.buffered += js_length(text)
        self.accepted.append(text)
        await self.streamer.on_tokens_result({"id": data["id"], "status": "ok"})

    async def drain(self) -> None:
        assert self.streamer is not None
        self.buffered = 0
        if self.full:
            self.full = False
            await self.streamer.on_streaming_event(event("stream_resumed"))

    def spoken(self) -> str:
        """The text the server buffered, in order (refused commands excluded)."""
        return "".join(self.accepted)


def within(coro: Callable[[], Awaitable[None]], seconds: float = 2.0) -> None:
    async def main() -> None:
        await asyncio.wait_for(coro(), seconds)

    asyncio.run(main())


def test_streamer_ok_path() -> None:
    async def go() -> None:
        server = FakeServer()
        streamer = TtsStreamer(server.send)
        server.streamer = streamer
        assert await streamer.send("Hello") == TtsSendResult("ok")
        await streamer.flush()
        assert server.commands == [tokens(1, "Hello"), FLUSH]

    within(go)


def test_many_concurrent_sends_keep_order_and_all_resolve() -> None:
    async def go() -> None:
        server = FakeServer()
        streamer = TtsStreamer(server.send, resume_probe_interval=None)
        server.streamer = streamer
        parts = [f"w{i} " for i in range(300)]
        sends = [asyncio.ensure_future(streamer.send(p)) for p in parts]

        async def drainer() -> None:
            for _ in range(1000):
                if all(s.done() for s in sends):
                    return
                await asyncio.sleep(0)
                await server.drain()

        await drainer()
        results = await asyncio.gather(*sends)
        assert all(r == TtsSendResult("ok") for r in results)
        assert server.spoken() == "".join(parts)
        ids = [c["data"]["id"] for c in server.commands]  # type: ignore[call-overload,index]
        assert len(ids) == len(set(ids))

    within(go)


def test_full_without_resume_then_clear_does_not_deadlock() -> None:
    async def go() -> None:
        server = FakeServer()
        server.buffered = 900  # the server already holds text the vendor is not consuming
        streamer = TtsStreamer(server.send, resume_probe_interval=None)
        server.streamer = streamer
        pending = asyncio.ensure_future(streamer.send("x" * 200))
        await server.paused.wait()
        later = asyncio.ensure_future(streamer.send("more"))
        await asyncio.sleep(0)
        assert not pending.done()
        await streamer.clear()
        assert (await pending).status == "dropped"
        assert (await later).status == "dropped"
        assert not streamer.paused
        assert await streamer.send("fresh") == TtsSendResult("ok")
        assert server.commands[-2:] == [CLEAR, tokens(2, "fresh")]

    within(go)


def test_probe_recovers_when_resume_event_is_lost() -> None:
    async def go() -> None:
        server = FakeServer()
        server.buffered = 900
        streamer = TtsStreamer(server.send, resume_probe_interval=0.01)
        server.streamer = streamer
        pending = asyncio.ensure_future(streamer.send("x" * 200))
        await server.paused.wait()
        server.buffered = 0  # drained, but the stream_resumed never arrives
        assert await pending == TtsSendResult("ok")

    within(go)


def test_user_interruption_resolves_waiters_as_dropped() -> None:
    async def go() -> None:
        server = FakeServer()
        server.auto = False
        streamer = TtsStreamer(server.send)
        server.streamer = streamer
        first = asyncio.ensure_future(streamer.send("a"))
        await server.arrived.wait()  # "a" in flight; "b" queued behind it
        second = asyncio.ensure_future(streamer.send("b"))
        await asyncio.sleep(0)
        await streamer.on_streaming_event(event("user_interruption"))
        assert (await first).status == "dropped"
        assert (await second).status == "dropped"
        assert server.commands == [tokens(1, "a"), CLEAR]

    within(go)


def test_stream_closed_and_close_raise_in_waiters() -> None:
    async def go() -> None:
        server = FakeServer()
        server.auto = False
        streamer = TtsStreamer(server.send)
        server.streamer = streamer
        first = asyncio.ensure_future(streamer.send("a"))
        await server.arrived.wait()
        await streamer.on_streaming_event(event("stream_closed"))
        with pytest.raises(TtsStreamClosed):
            await first
        second = asyncio.ensure_future(streamer.send("b"))
        await asyncio.sleep(0)
        streamer.close()
        with pytest.raises(TtsStreamClosed):
            await second
        with pytest.raises(TtsStreamClosed):
            await streamer.send("c")

    within(go)


def test_transport_failure_fails_pending_sends() -> None:
    async def go() -> None:
        async def broken(command: Command) -> None:
            raise ConnectionError("socket gone")

        streamer = TtsStreamer(broken)
        with pytest.raises(TtsStreamClosed) as info:
            await streamer.send("a")
        assert isinstance(info.value.__cause__, ConnectionError)

    within(go)


def test_streamer_split_of_a_huge_token_never_deadlocks() -> None:
    async def go() -> None:
        server = FakeServer()
        streamer = TtsStreamer(server.send, resume_probe_interval=None)
        server.streamer = streamer
        text = "y" * 2500
        task = asyncio.ensure_future(streamer.send(text))
        for _ in range(100):
            if task.done():
                break
            await asyncio.sleep(0)
            await server.drain()
        assert await task == TtsSendResult("ok")
        assert server.spoken() == text

    within(go)


def test_malformed_or_unknown_status_results_never_strand_the_stream() -> None:
    s = TtsTokenStream()
    t1, _ = s.push("a")
    assert s.on_tokens_result({"id": [1], "status": "ok"}) == []
    s.on_tokens_result({"id": 1, "status": "weird"})
    assert s.take_completed() == [(t1, TtsSendResult("failed", "failed (status 'weird')"))]


def test_push_many_shares_commands_and_keeps_tickets_in_order() -> None:
    stream = TtsTokenStream()
    tickets, commands = stream.push_many(["Hello ", " ", "world. "])
    assert tickets == [1, 2, 3]
    assert wire(commands) == [tokens(1, "Hello  world. ")]  # the blank is carried along
    assert stream.take_completed()[0][1] == TtsSendResult(
        "skipped", "whitespace only; carried into the next text"
    )


def test_js_length_ascii_fast_path_and_astral_characters() -> None:
    assert js_length("") == 0
    assert js_length("plain ascii") == 11
    assert js_length("é😀") == 3  # one BMP unit + a surrogate pair


def test_send_nowait_in_one_turn_travels_in_one_command() -> None:
    async def go() -> None:
        server = FakeServer()
        streamer = TtsStreamer(server.send)
        server.streamer = streamer
        futures = [streamer.send_nowait(word) for word in ("One ", "two ", "three. ")]
        assert streamer.pending == 3
        results = await asyncio.gather(*futures)
        assert results == [TtsSendResult("ok")] * 3
        assert server.commands == [tokens(1, "One two three. ")]
        later = streamer.send_nowait("Four.")
        assert await later == TtsSendResult("ok")
        assert server.commands[-1] == tokens(2, "Four.")

    within(go)


def test_send_nowait_after_close_raises_and_ignored_failures_stay_quiet() -> None:
    async def go() -> None:
        server = FakeServer()
        server.auto = False
        streamer = TtsStreamer(server.send)
        server.streamer = streamer
        ignored = streamer.send_nowait("never answered")
        await server.arrived.wait()
        streamer.close("the call ended")
        assert ignored.done()
        # Retrieved already: an ignored future must not be logged as never retrieved.
        assert isinstance(ignored.exception(), TtsStreamClosed)
        with pytest.raises(TtsStreamClosed):
            streamer.send_nowait("too late")

    within(go)


def test_clear_drops_texts_queued_in_the_same_turn() -> None:
    async def go() -> None:
        server = FakeServer()
        streamer = TtsStreamer(server.send)
        server.streamer = streamer
        queued = streamer.send_nowait("not yet pushed")
        await streamer.clear()
        assert (await queued).status == "dropped"
        assert server.commands == [CLEAR]

    within(go)
