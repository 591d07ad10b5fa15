"""Field-name overrides from ``[tool.jambonz-codegen.field-names]`` reach the models."""

from __future__ import annotations

from jambonz_types.verbs import ElevenLabsAuth, ElevenLabsS2S


def test_elevenlabs_key_the_server_reads_is_api_key() -> None:
    verb = ElevenLabsS2S(auth=ElevenLabsAuth(agent_id="agent", api_key="secret"))
    assert verb.to_dict()["auth"] == {"agent_id": "agent", "api_key": "secret"}


def test_inherited_camel_case_key_keeps_its_wire_name() -> None:
    verb = ElevenLabsS2S.from_wire(
        {"verb": "elevenlabs_s2s", "auth": {"agent_id": "a", "apiKey": "x", "api_key": "y"}}
    )
    assert (verb.auth.llm_api_key, verb.auth.api_key) == ("x", "y")
    assert verb.to_dict()["auth"] == {"agent_id": "a", "apiKey": "x", "api_key": "y"}
