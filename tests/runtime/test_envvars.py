"""Env-var declarations produce exactly the flat shape the jambonz API server accepts."""

from __future__ import annotations

import re

import pytest

from jambonz_runtime.envvars import EnvSchemaError, EnvVar, EnvVarsError, env_schema, read_env
from jambonz_types import JambonzError

VARS = {
    "OPENAI_MODEL": EnvVar(
        type="string",
        description="Model name",
        required=True,
        default="gpt-4o",
        enum=["gpt-4o", "gpt-4o-mini"],
    ),
    "API_KEY": EnvVar(type="string", description="Key", obscure=True),
    "MAX_TURNS": EnvVar(type="number", description="Turn limit", default=10),
    "DEBUG": EnvVar(type="boolean", description="Verbose logs"),
}

# The API server's own rules (jambonz-api-server lib/utils/appenv_schemaSchema.json, protocol.md §6).
ALLOWED = {"type", "description", "required", "default", "enum", "obscure"}


def test_schema_is_flat_and_exact() -> None:
    assert env_schema(VARS) == {
        "OPENAI_MODEL": {
            "type": "string",
            "description": "Model name",
            "required": True,
            "default": "gpt-4o",
            "enum": ["gpt-4o", "gpt-4o-mini"],
        },
        "API_KEY": {"type": "string", "description": "Key", "obscure": True},
        "MAX_TURNS": {"type": "number", "description": "Turn limit", "default": 10},
        "DEBUG": {"type": "boolean", "description": "Verbose logs"},
    }


def test_schema_obeys_the_api_server_rules() -> None:
    schema = env_schema(VARS)
    assert schema
    for key, entry in schema.items():
        assert re.fullmatch(r"[A-Za-z0-9_]+", key)
        assert isinstance(entry, dict)
        assert set(entry) <= ALLOWED
        assert entry["type"] in ("string", "number", "boolean")
        assert isinstance(entry["description"], str)
        assert not isinstance(entry.get("default"), (dict, list))
        assert isinstance(entry.get("enum", []), list)


@pytest.mark.parametrize("key", ["OPENAI-MODEL", "with space", "", "é"])
def test_bad_key_is_named(key: str) -> None:
    with pytest.raises(EnvSchemaError, match=re.escape(repr(key))):
        env_schema({key: EnvVar(type="string", description="x")})


def test_empty_schema_is_refused() -> None:
    with pytest.raises(EnvSchemaError, match="at least one"):
        env_schema({})


def test_errors_are_jambonz_errors() -> None:
    assert issubclass(EnvSchemaError, JambonzError)
    assert issubclass(EnvVarsError, JambonzError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "text", "description": "x"}, "type 'text' is not allowed"),
        ({"type": "string", "description": ""}, "description must be"),
        ({"type": "number", "description": "x", "default": "10"}, "default '10' is not a number"),
        ({"type": "number", "description": "x", "default": True}, "not a number"),
        ({"type": "string", "description": "x", "enum": []}, "enum must be"),
        ({"type": "string", "description": "x", "enum": ["a", 1]}, r"enum\[1\] = 1"),
        ({"type": "string", "description": "x", "enum": ["a"], "default": "b"}, "not one of enum"),
    ],
)
def test_bad_declarations_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(EnvSchemaError, match=message):
        EnvVar(**kwargs)  # type: ignore[arg-type]


def test_read_env_types_values_and_applies_defaults() -> None:
    values = read_env(
        VARS,
        {"OPENAI_MODEL": "gpt-4o-mini", "API_KEY": "sk-x", "DEBUG": "true", "OTHER": 1},
    )
    assert values == {
        "OPENAI_MODEL": "gpt-4o-mini",
        "API_KEY": "sk-x",
        "MAX_TURNS": 10,
        "DEBUG": True,
    }


def test_read_env_converts_numbers_given_as_strings() -> None:
    assert read_env(VARS, {"MAX_TURNS": "12"})["MAX_TURNS"] == 12
    assert read_env(VARS, {"MAX_TURNS": "1.5"})["MAX_TURNS"] == 1.5
    assert read_env(VARS, {"MAX_TURNS": 3})["MAX_TURNS"] == 3


def test_read_env_required_without_default_is_an_error() -> None:
    needs = {"TOKEN": EnvVar(type="string", description="t", required=True)}
    with pytest.raises(EnvVarsError, match="TOKEN: required"):
        read_env(needs, None)
    with pytest.raises(EnvVarsError, match="TOKEN: required"):
        read_env(needs, {"TOKEN": ""})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAX_TURNS": "lots"}, "MAX_TURNS: value 'lots' is not a number"),
        ({"DEBUG": "yes"}, "DEBUG: value 'yes' is not a boolean"),
        ({"OPENAI_MODEL": "gpt-3"}, "OPENAI_MODEL: value 'gpt-3' is not one of"),
        ({"API_KEY": 5}, "API_KEY: value 5 is not a string"),
    ],
)
def test_read_env_wrong_values_name_the_key(env: dict[str, object], message: str) -> None:
    with pytest.raises(EnvVarsError, match=re.escape(message)):
        read_env(VARS, env)  # type: ignore[arg-type]
