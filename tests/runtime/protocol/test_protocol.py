"""The sans-I/O core: strings in, strings out (no sockets, no event loop)."""

from __future__ import annotations

import json

import pytest

from jambonz_runtime.exceptions import AckError, MessageTooLarge
from jambonz_runtime.protocol import (
    ACK_REQUIRED,
    HOOK_TYPES,
    MAX_OUTBOUND_BYTES,
    DuplicateMsgid,
    Event,
    InboundMessage,
    InvalidReceived,
    JambonzProtocol,
    MessageReceived,
    UnexpectedKeys,
    UnknownReceived,
    parse_inbound,
)
from jambonz_types.callbacks import SessionNewCallback


def frame(type: str, msgid: str | None = "m1", **extra: object) -> str:
    obj: dict[str, object] = {"type": type, "call_sid": "c1", "data": {}}
    if msgid is not None:
        obj["msgid"] = msgid
    obj.update(extra)
    return json.dumps(obj)


def received(events: list[Event]) -> InboundMessage:
    assert len(events) == 1, events
    assert isinstance(events[0], MessageReceived), events
    return events[0].message


def test_ack_types_match_protocol_doc() -> None:
    assert ACK_REQUIRED == {
        "session:new",
        "session:reconnect",
        "session:redirect",
        "session:adulting",
        "verb:hook",
        "dial:confirm",
    }
    assert HOOK_TYPES == {
        "verb:hook",
        "dial:confirm",
        "session:redirect",
        "llm:event",
        "llm:tool-call",
    }


def test_04_session_new_is_pending_until_acked_with_its_verbs() -> None:
    proto = JambonzProtocol()
    msg = received(proto.receive_text(frame("session:new", "abc")))
    assert msg.type == "session:new"
    assert msg.needs_ack
    assert proto.pending == ("abc",)
    assert proto.call_sid == "c1"
    out = proto.ack("abc", [{"verb": "say", "text": "Hi"}])
    assert json.loads(out) == {
        "type": "ack",
        "msgid": "abc",
        "data": [{"verb": "say", "text": "Hi"}],
    }
    assert len(proto.pending) == 0


def test_each_msgid_acked_exactly_once() -> None:
    proto = JambonzProtocol()
    proto.receive_text(frame("verb:hook", "h1", hook="/x"))
    proto.ack("h1")
    with pytest.raises(AckError, match="h1"):
        proto.ack("h1")
    with pytest.raises(AckError, match="never"):
        proto.ack("never")


def test_08_concurrent_hooks_acked_out_of_order_each_by_its_msgid() -> None:
    proto = JambonzProtocol()
    proto.receive_text(frame("verb:hook", "first", hook="/a"))
    proto.receive_text(frame("verb:hook", "second", hook="/partial"))
    assert proto.pending == ("first", "second")
    assert json.loads(proto.ack("second"))["msgid"] == "second"
    assert json.loads(proto.ack("first", [{"verb": "hangup"}]))["msgid"] == "first"


@pytest.mark.parametrize(
    "kind",
    [
        "call:status",
        "verb:status",
        "jambonz:error",
        "llm:event",
        "llm:tool-call",
        "tts:streaming-event",
        "tts:tokens-result",
    ],
)
def test_09_notifications_need_no_ack(kind: str) -> None:
    proto = JambonzProtocol()
    msg = received(proto.receive_text(frame(kind)))
    assert not msg.needs_ack
    assert len(proto.pending) == 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"msgid": "m", "data": {}}', "missing 'type'"),
        ('{"type": 7, "data": {}}', "'type' must be a string"),
        (
            '{"type": "verb:hook", "hook": "/x", "data": {}}',
            "verb:hook needs an ack but has no 'msgid'",
        ),
        (
            '{"type": "call:status", "data": [1]}',
            "'data' of call:status must be a JSON object, got list",
        ),
        ('{"type": "call:status", "data": "x"}', "got str"),
        ('{"type": "verb:hook", "msgid": 5, "data": {}}', "'msgid' must be a string"),
        (b"\xff\xfe\x00", "binary frame is not UTF-8"),
        (b"\x00\x01garbage", "not JSON"),
    ],
)
def test_15_16_invalid_frames_are_reported_with_raw_text(raw: str | bytes, reason: str) -> None:
    proto = JambonzProtocol()
    events = proto.receive_text(raw)
    assert len(events) == 1
    assert isinstance(events[0], InvalidReceived)
    assert reason in events[0].error.reason
    assert events[0].error.raw == raw
    assert len(proto.pending) == 0


def test_15_unknown_type_is_reported_not_answered() -> None:
    proto = JambonzProtocol()
    (event,) = proto.receive_text(frame("future:thing", "u1"))
    assert isinstance(event, UnknownReceived)
    assert event.message.type == "future:thing"
    assert len(proto.pending) == 0


def test_16_binary_frame_with_json_is_processed_like_text() -> None:
    proto = JambonzProtocol()
    msg = received(proto.receive_text(frame("verb:hook", "b1", hook="/x").encode()))
    assert msg.type == "verb:hook"
    assert proto.pending == ("b1",)


def test_36_hook_and_b3_optional_extra_keys_kept_and_reported() -> None:
    proto = JambonzProtocol()
    events = proto.receive_text(frame("verb:hook", "e1", hook="/g", b3="abc-1", newkey=1))
    assert isinstance(events[0], UnexpectedKeys)
    assert events[0].keys == ("newkey",)
    assert isinstance(events[1], MessageReceived)
    msg = events[1].message
    assert (msg.hook, msg.b3, msg.extra) == ("/g", "abc-1", {"newkey": 1})
    plain = received(proto.receive_text(frame("call:status")))
    assert plain.hook is None
    assert plain.b3 is None
    assert plain.extra == {}


def test_24_envelope_without_call_sid() -> None:
    msg = parse_inbound('{"type": "session:adulting", "msgid": "a", "data": {"call_sid": "c2"}}')
    assert isinstance(msg, InboundMessage)
    assert msg.call_sid is None


def test_missing_data_is_an_empty_object() -> None:
    msg = parse_inbound('{"type": "call:status"}')
    assert isinstance(msg, InboundMessage)
    assert msg.data == {}


def test_duplicate_pending_msgid_reported_and_acked_once() -> None:
    proto = JambonzProtocol()
    proto.receive_text(frame("verb:hook", "d1", hook="/x"))
    (event,) = proto.receive_text(frame("verb:hook", "d1", hook="/x"))
    assert isinstance(event, DuplicateMsgid)
    proto.ack("d1")
    assert len(proto.pending) == 0


def test_17_oversize_ack_raises_before_sending_and_stays_pending() -> None:
    proto = JambonzProtocol()
    proto.receive_text(frame("verb:hook", "big", hook="/x"))
    verbs = [{"verb": "say", "text": "x" * 1000} for _ in range(25)]
    with pytest.raises(MessageTooLarge, match="over the jambonz limit of 24576 bytes"):
        proto.ack("big", verbs)
    assert proto.pending == ("big",)
    assert len(proto.ack("big", verbs[:20]).encode()) <= MAX_OUTBOUND_BYTES


def test_size_cap_counts_utf8_bytes() -> None:
    proto = JambonzProtocol()
    # 7,000 chars but 3 bytes each: over 24 KiB in UTF-8.
    with pytest.raises(MessageTooLarge):
        proto.encode(
            {
                "type": "command",
                "command": "redirect",
                "data": [{"verb": "say", "text": "€" * 9000}],
            }
        )
    assert (
        json.loads(proto.encode({"type": "command", "command": "tts:flush"}))["command"]
        == "tts:flush"
    )


def test_abandon_forgets_pending() -> None:
    proto = JambonzProtocol()
    proto.receive_text(frame("verb:hook", "p1", hook="/x"))
    assert [m.msgid for m in proto.abandon()] == ["p1"]
    assert len(proto.pending) == 0


def test_35_untouched_subtrees_survive_payload_validation() -> None:
    data = {
        "call_sid": "c1",
        "customerData": {"myKey": {"innerCamel": 1}},
        "env_vars": {"API_KEY": "k"},
        "sip": {"headers": {"X-CID": "abc"}},
    }
    msg = parse_inbound(
        json.dumps({"type": "session:new", "msgid": "s", "call_sid": "c1", "data": data})
    )
    assert isinstance(msg, InboundMessage)
    call = msg.payload()
    assert isinstance(call, SessionNewCallback)
    assert call.customer_data == {"myKey": {"innerCamel": 1}}
    assert call.env_vars == {"API_KEY": "k"}
    assert call.sip is not None
    assert call.sip.headers == {"X-CID": "abc"}


def test_receive_message_gives_an_ordinary_message_itself_and_events_otherwise() -> None:
    """The dispatcher's path: a plain message without event objects, the rest as events."""
    proto = JambonzProtocol()
    plain = proto.receive_message(frame("verb:hook", "r1", hook="/x"))
    assert isinstance(plain, InboundMessage)
    assert plain.msgid == "r1"
    assert proto.pending == ("r1",)
    duplicate = proto.receive_message(frame("verb:hook", "r1", hook="/x", extra=1))
    assert isinstance(duplicate, list)
    assert [type(e) for e in duplicate] == [UnexpectedKeys, DuplicateMsgid]
    extra = proto.receive_message(frame("call:status", None, later="x"))
    assert isinstance(extra, list)
    assert [type(e) for e in extra] == [UnexpectedKeys, MessageReceived]
    invalid = proto.receive_message("[]")
    assert isinstance(invalid, list)
    assert [type(e) for e in invalid] == [InvalidReceived]
    unknown = proto.receive_message(frame("future:thing"))
    assert isinstance(unknown, list)
    assert [type(e) for e in unknown] == [UnknownReceived]
    assert proto.pending == ("r1",)
