"""Property tests of the sans-I/O core (issue 16): any text in, no exception out; one ack per msgid.

Hypothesis generates arbitrary text, arbitrary JSON and jambonz-shaped envelopes with
colliding msgids, wrong types in every field and oversized strings; the protocol must
report each as an event (never raise), keep every error message short, and never
produce two acks for one msgid, whatever order acks are attempted in.
"""

from __future__ import annotations

import json
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jambonz_runtime._json import loads
from jambonz_runtime.exceptions import AckError, InvalidMessage
from jambonz_runtime.protocol import JambonzProtocol, parse_inbound
from jambonz_runtime.protocol._machine import (
    DuplicateMsgid,
    InvalidReceived,
    MessageReceived,
)
from jambonz_runtime.protocol._messages import ACK_REQUIRED, KNOWN_TYPES

SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
field_values = (
    json_values
    | st.text(max_size=200)
    | st.just("x" * 30_000)
    | st.sampled_from(["", " ", "a b", "\x00", "\u202e", "m1", "m2", "c1"])
)
envelopes = st.fixed_dictionaries(
    {
        "type": st.sampled_from(sorted(KNOWN_TYPES)) | field_values,
        "msgid": st.sampled_from(["m1", "m2", "m3"]) | field_values,
    },
    optional={
        "call_sid": field_values,
        "hook": field_values,
        "data": st.dictionaries(st.text(max_size=10), json_values, max_size=5) | json_values,
        "b3": field_values,
        "extra": json_values,
    },
)
frames = (
    st.text(max_size=300)
    | st.binary(max_size=300)
    | json_values.map(json.dumps)
    | envelopes.map(json.dumps)
    | envelopes.map(lambda e: json.dumps(e)[:-3])  # truncated
    | st.integers(1, 5000).map(lambda n: "[" * n + "]" * n)
)


@SETTINGS
@given(frames)
def test_parse_either_returns_or_raises_a_short_invalid_message(frame: str | bytes) -> None:
    error: InvalidMessage | None = None
    try:
        parse_inbound(frame)
    except InvalidMessage as exc:  # the only exception allowed out
        error = exc
    assert error is None or len(str(error)) <= 512


@SETTINGS
@given(
    st.lists(frames, max_size=30), st.lists(st.sampled_from(["m1", "m2", "m3", "x"]), max_size=20)
)
def test_any_frames_never_raise_and_each_msgid_is_acked_at_most_once(
    batch: list[str | bytes], ack_order: list[str]
) -> None:
    proto = JambonzProtocol()
    received: set[str] = set()
    for frame in batch:
        for event in proto.receive_text(frame):  # must not raise
            if isinstance(event, MessageReceived) and event.message.needs_ack:
                assert event.message.msgid is not None
                assert event.message.type in ACK_REQUIRED
                received.add(event.message.msgid)
            if isinstance(event, InvalidReceived):
                assert len(str(event.error)) <= 512
            if isinstance(event, DuplicateMsgid):
                assert event.message.msgid in received
    assert set(proto.pending) == received
    acked: list[str] = []
    for msgid in [*ack_order, *received]:
        try:
            text, _ = proto.ack_first_fitting(msgid, ([{"verb": "say", "text": "x" * 30_000}],))
        except AckError:
            assert msgid not in proto.pending
            continue
        assert text is not None
        assert json.loads(text)["msgid"] == msgid
        acked.append(msgid)
    assert sorted(acked) == sorted(received)  # every pending one once, none twice
    assert proto.pending == ()


@SETTINGS
@given(
    envelopes
    | st.fixed_dictionaries(
        {
            "type": st.sampled_from(sorted(KNOWN_TYPES)),
            "msgid": st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=130),
        },
        optional={
            "call_sid": st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=130),
            "hook": st.text(max_size=40) | st.just("/h" * 2049),
            "b3": st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=514),
            "data": st.dictionaries(st.text(max_size=5), json_values, max_size=3),
        },
    )
)
def test_one_pass_envelope_agrees_with_the_careful_parser(envelope: dict[str, object]) -> None:
    """The one-pass envelope check accepts only what the careful path accepts, unchanged."""
    from jambonz_runtime.protocol import _messages

    text = json.dumps(envelope)
    try:  # the parser parse_inbound uses (NaN / Infinity are not JSON)
        obj = loads(text)
    except ValueError:
        return
    assert isinstance(obj, dict)
    fast = _messages._plain_envelope(obj, text)
    if fast is None:
        return
    with patch.object(_messages, "_plain_envelope", return_value=None):
        careful = parse_inbound(text)
    assert careful == fast
    assert isinstance(careful, _messages.InboundMessage)
    assert careful.raw == fast.raw
    assert careful.extra == fast.extra == {}
