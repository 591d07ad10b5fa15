"""Issue 21 items 8, 10 and 11: what ``help()``, signatures and errors show a newcomer."""

from __future__ import annotations

import inspect
import pydoc

import pytest
from pydantic import ValidationError
from typing_extensions import assert_type

from jambonz_types import JambonzError, ModelValidationError, Verbs
from jambonz_types.callbacks import GatherCallback
from jambonz_types.callbacks.gather import GatherCallbackSpeech as Speech
from jambonz_types.callbacks.gather import GatherCallbackSpeechAlternative as Alternative
from jambonz_types.components import Target
from jambonz_types.verbs import Say


def test_help_of_a_payload_model_shows_no_pydantic_internals() -> None:
    text = pydoc.render_doc(GatherCallback, renderer=pydoc.plaintext)  # type: ignore[attr-defined]  # untyped in typeshed
    listed = [line.strip() for line in text.splitlines() if line.strip().startswith("|  __")]
    assert not [name for name in listed if name.startswith("__pydantic")]
    assert "__pydantic_fields__" not in dir(GatherCallback)
    assert "parse_obj" not in dir(GatherCallback)  # pydantic v1 leftovers
    assert "transcript" in dir(GatherCallback)
    assert "model_validate" in dir(GatherCallback)  # pydantic's real API stays


def test_runtime_signature_uses_python_names() -> None:
    signature = inspect.signature(Target)
    assert "sip_uri" in signature.parameters
    assert "sipUri" not in signature.parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in signature.parameters.values())
    assert str(signature.parameters["sip_uri"]) == "sip_uri: str | None = None"
    assert str(signature.parameters["type"]) == "type: Literal['phone', 'sip', 'user', 'teams']"
    assert "verb" not in inspect.signature(Say).parameters
    assert "extra_data" not in str(inspect.signature(Say))


def test_direct_construction_raises_the_packages_error() -> None:
    with pytest.raises(ModelValidationError) as info:
        Target(type="pstn")  # type: ignore[arg-type]
    message = str(info.value)
    assert message == (
        "invalid Target: 1 validation error(s)\n"
        "  type: Input should be 'phone', 'sip', 'user' or 'teams' (given 'pstn')"
    )
    assert "errors.pydantic.dev" not in message
    assert isinstance(info.value, JambonzError)
    assert isinstance(info.value, ValidationError)  # pydantic's API still works
    assert info.value.errors()[0]["type"] == "literal_error"
    assert info.value.errors()[0]["loc"] == ("type",)


def test_schema_rule_errors_keep_their_kind() -> None:
    with pytest.raises(ModelValidationError) as info:
        Say(text=None)
    assert "null is not allowed here" in str(info.value)


def test_validation_from_the_wire_is_unchanged() -> None:
    # only direct construction goes through the new constructor
    say = Say.from_wire({"verb": "say", "text": "x", "early_media": True})
    assert say.early_media is None
    assert Verbs().say(text="Hi").to_wire() == [{"verb": "say", "text": "Hi"}]


def test_gather_result_has_typed_transcript_and_confidence() -> None:
    heard = GatherCallback(
        reason="speechDetected",
        speech=Speech(alternatives=[Alternative(transcript="book a table", confidence=1)]),
    )
    assert_type(heard.transcript, str | None)
    assert_type(heard.confidence, float | None)
    assert heard.transcript == "book a table"
    assert heard.confidence == 1.0
    assert isinstance(heard.confidence, float)
    assert GatherCallback(reason="timeout").transcript is None
    assert GatherCallback(speech=Speech(alternatives=[])).confidence is None
    assert "transcript" not in heard.to_dict()  # accessors are not fields
