"""``"type": "integer"`` as ajv reads it: an integral float is an integer, and stays one.

JavaScript has one number type, so the jambonz server (ajv) accepts ``1024.0`` where the
schema says ``integer``. Outbound we accept exactly that (and write the ``int``);
inbound, a payload must never be dropped for it.
"""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from jambonz_types import Verbs, VerbValidationError
from jambonz_types.callbacks import DialCallback


def test_builder_accepts_integral_float_and_writes_an_int() -> None:
    wire = Verbs().llm(vendor="openai", llm_options={}, response_timeout_ms=1024.0).to_wire()  # type: ignore[arg-type]
    assert wire[0]["responseTimeoutMs"] == 1024
    assert type(wire[0]["responseTimeoutMs"]) is int


@pytest.mark.parametrize("bad", [1024.5, "1024", True, float("inf")])
def test_builder_rejects_what_ajv_rejects(bad: object) -> None:
    with pytest.raises(
        VerbValidationError, match="responseTimeoutMs: Input should be a valid integer"
    ):
        Verbs().llm(vendor="openai", llm_options={}, response_timeout_ms=bad)  # type: ignore[arg-type]


def test_wire_json_with_integral_float_round_trips_as_int() -> None:
    text = '[{"verb":"llm","vendor":"openai","llmOptions":{},"responseTimeoutMs":250.0}]'
    verbs = Verbs.from_json(text)
    assert json.loads(verbs.to_json())[0]["responseTimeoutMs"] == 250
    assert '"responseTimeoutMs":250,' in verbs.to_json()


def test_callback_with_integral_float_is_kept() -> None:
    payload = DialCallback.from_wire({"call_sid": "c1", "sip_status": 200.0})
    assert payload.sip_status == 200
    assert type(payload.sip_status) is int
    with pytest.raises(ValidationError):
        DialCallback.from_wire({"call_sid": "c1", "sip_status": 200.5})


def test_number_fields_keep_their_float() -> None:
    # "type": "number" is not touched: 1.0 stays 1.0 on the wire, 2 stays 2.
    assert Verbs().gather(timeout=1.0, num_digits=2).to_wire() == [
        {"verb": "gather", "timeout": 1.0, "numDigits": 2}
    ]
    assert type(Verbs().gather(timeout=1.0).to_wire()[0]["timeout"]) is float
