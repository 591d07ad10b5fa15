"""Hostile envelopes in the sans-I/O core: refused at parse time, never raised (issue 16).

Items 1 and 2: a msgid too long to ever be acked, and peer strings that would be
stamped on log lines (call_sid, type, hook) are refused by ``parse_inbound`` with a
bounded error; the ack fallback of :class:`JambonzProtocol` never raises
``MessageTooLarge``; ``NaN`` / ``Infinity`` are not JSON.
"""

from __future__ import annotations

import json

import pytest

from jambonz_runtime.exceptions import InvalidMessage, MessageTooLarge, preview
from jambonz_runtime.protocol import JambonzProtocol, parse_inbound
from jambonz_runtime.protocol._machine import InvalidReceived, MessageReceived
from jambonz_runtime.protocol._messages import ENVELOPE_LIMITS


def frame(**fields: object) -> str:
    envelope: dict[str, object] = {
        "type": "verb:hook",
        "msgid": "abc",
        "call_sid": "c1",
        "hook": "/h",
        "data": {},
    }
    envelope.update(fields)
    return json.dumps(envelope)


def test_msgid_over_the_outbound_cap_is_refused_at_parse() -> None:
    with pytest.raises(InvalidMessage) as info:
        parse_inbound(frame(msgid="m" * 30_000))
    assert "'msgid' is 30000 characters" in info.value.reason
    assert len(str(info.value)) < 512


@pytest.mark.parametrize("key", ["msgid", "call_sid", "type", "hook", "b3"])
def test_every_envelope_string_is_bounded(key: str) -> None:
    limit = ENVELOPE_LIMITS[key]
    ok = parse_inbound(frame(**{key: "x" * 3 if key == "type" else "x" * limit}))
    assert ok is not None
    with pytest.raises(InvalidMessage) as info:
        parse_inbound(frame(**{key: "x" * (limit + 1)}))
    assert f"'{key}' is {limit + 1} characters" in info.value.reason
    assert len(str(info.value)) < 512


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("msgid", "a b"),
        ("msgid", "a\nb"),
        ("call_sid", "\u202e-sid"),
        ("type", "verb:\x00hook"),
        ("type", "t\u00e9"),
        ("hook", "/menu\r\nX-Injected: 1"),
    ],
)
def test_envelope_strings_with_characters_jambonz_never_sends_are_refused(
    key: str, value: str
) -> None:
    with pytest.raises(InvalidMessage, match=key):
        parse_inbound(frame(**{key: value}))


def test_hook_may_hold_any_printable_character() -> None:
    message = parse_inbound(frame(hook="/men\u00fc?lang=\u65e5\u672c"))
    assert message.call_sid == "c1"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(literal: str) -> None:
    text = frame().replace('"data": {}', f'"data": {{"confidence": {literal}}}')
    with pytest.raises(InvalidMessage, match="not JSON"):
        parse_inbound(text)


def test_deep_nesting_is_invalid_not_a_recursion_error() -> None:
    with pytest.raises(InvalidMessage, match="nested too deep"):
        parse_inbound("[" * 100_000 + "]" * 100_000)


def test_ack_fallback_never_raises_even_when_nothing_fits() -> None:
    proto = JambonzProtocol(max_outbound_bytes=40)
    (event,) = proto.receive_text(frame(msgid="m" * 30))
    assert isinstance(event, MessageReceived)
    big = [{"verb": "say", "text": "x" * 100}]
    text, errors = proto.ack_first_fitting("m" * 30, (big, big))
    assert text is None  # not even [] fits a 40-byte cap with this msgid
    assert len(errors) == 3
    assert all(isinstance(e, MessageTooLarge) for e in errors)
    assert proto.pending == ()  # given up: it can never be answered


def test_ack_fallback_picks_the_first_answer_that_fits() -> None:
    proto = JambonzProtocol(max_outbound_bytes=200)
    proto.receive_text(frame())
    big = [{"verb": "say", "text": "x" * 500}]
    small = [{"verb": "hangup"}]
    text, errors = proto.ack_first_fitting("abc", (big, small))
    assert text is not None
    assert json.loads(text)["data"] == small
    assert len(errors) == 1


def test_overlong_msgid_frame_is_reported_not_pending() -> None:
    proto = JambonzProtocol()
    (event,) = proto.receive_text(frame(msgid="m" * 30_000))
    assert isinstance(event, InvalidReceived)
    assert proto.pending == ()


@pytest.mark.parametrize(
    "raw",
    ["\x00" * 10_000, "\U000e0000" * 10_000, b"\xff" * 10_000, "line\n" * 1_000],
)
def test_preview_is_short_single_line_ascii(raw: str | bytes) -> None:
    shown = preview(raw)
    assert len(shown) <= 200
    assert shown.isascii()
    assert "\n" not in shown


@pytest.mark.parametrize("args", ["[" * 100_000, '{"a": NaN}', "not json", "[1]"])
def test_tool_call_arguments_of_a_hostile_string_are_empty(args: str) -> None:
    from jambonz_runtime.protocol._messages import LlmToolCallCallback

    assert LlmToolCallCallback.model_validate({"args": args}).arguments == {}


def test_rest_error_body_nested_too_deep_is_shown_as_text() -> None:
    from jambonz_runtime.rest._transport import server_message

    assert server_message("[" * 100_000) == ("[" * 500)
