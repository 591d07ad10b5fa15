"""Typed declaration of an app's environment variables, and reading them back.

Why: the jambonz portal asks an app which environment variables it takes with an HTTP
``OPTIONS`` request to the call_hook URL, and the API server accepts only one flat
shape (jambonz-api-server ``lib/utils/appenv_schemaSchema.json``; ``docs/protocol.md``
§6): at least one key, keys ``[A-Za-z0-9_]+``, each value an object with ``type``
(``string``/``number``/``boolean``) and ``description``, optionally ``required``,
``default`` (a scalar), ``enum`` (an array) and ``obscure``, nothing else. Anything
else makes the portal report "Invalid appenv schema" (the official Python SDK wraps the
object in ``{"env": …}`` and fails exactly so). The values configured in the portal
then arrive in ``session:new`` ``data.env_vars``; :func:`read_env` checks and types them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import JsonValue

from .exceptions import EnvSchemaError, EnvVarsError

__all__ = ["EnvSchemaError", "EnvValue", "EnvVar", "EnvVarsError", "env_schema", "read_env"]

EnvType = Literal["string", "number", "boolean"]
EnvValue = str | int | float | bool
"""A typed environment variable value."""

_KEY = re.compile(r"^[A-Za-z0-9_]+$")


def _matches(kind: EnvType, value: object) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


@dataclass(frozen=True)
class EnvVar:
    """One environment variable an app declares (keyword-only).

    Args:
        type: ``"string"``, ``"number"`` or ``"boolean"``.
        description: shown in the jambonz portal (required by the API server).
        required: the portal refuses to save the app without a value.
        default: a scalar of ``type``, pre-filled in the portal.
        enum: the allowed values (the portal offers a choice).
        obscure: the portal masks the value (API keys, secrets).
    """

    type: EnvType
    description: str
    required: bool = False
    default: EnvValue | None = None
    enum: Sequence[EnvValue] | None = field(default=None)
    obscure: bool = False

    def __post_init__(self) -> None:
        # Checked again with the key's name in env_schema(); here for early feedback.
        _check_var("<EnvVar>", self)

    def to_schema(self) -> dict[str, JsonValue]:
        """This variable's entry in the OPTIONS schema (only the keys that were given)."""
        entry: dict[str, JsonValue] = {"type": self.type, "description": self.description}
        if self.required:
            entry["required"] = True
        if self.default is not None:
            entry["default"] = self.default
        if self.enum is not None:
            entry["enum"] = list(self.enum)
        if self.obscure:
            entry["obscure"] = True
        return entry


def _check_var(key: str, var: EnvVar) -> None:
    if var.type not in ("string", "number", "boolean"):
        raise EnvSchemaError(
            f"env var {key}: type {var.type!r} is not allowed (allowed: 'string', 'number', "
            "'boolean')"
        )
    description: object = var.description  # checked at run time too: callers may not use mypy
    if not isinstance(description, str) or not description:
        raise EnvSchemaError(f"env var {key}: description must be a non-empty string")
    if var.default is not None and not _matches(var.type, var.default):
        raise EnvSchemaError(f"env var {key}: default {var.default!r} is not a {var.type} value")
    if var.enum is not None:
        if isinstance(var.enum, str) or not var.enum:
            raise EnvSchemaError(f"env var {key}: enum must be a non-empty list of values")
        for index, option in enumerate(var.enum):
            if not _matches(var.type, option):
                raise EnvSchemaError(
                    f"env var {key}: enum[{index}] = {option!r} is not a {var.type} value"
                )
        if var.default is not None and var.default not in var.enum:
            raise EnvSchemaError(
                f"env var {key}: default {var.default!r} is not one of enum {list(var.enum)!r}"
            )


def env_schema(variables: Mapping[str, EnvVar]) -> dict[str, JsonValue]:
    """The flat OPTIONS body the jambonz API server accepts for these variables.

    Raises:
        EnvSchemaError: no variables, a key outside ``[A-Za-z0-9_]+``, or a bad
            declaration; the message names the key.
    """
    if not variables:
        raise EnvSchemaError("an env-var schema needs at least one variable")
    schema: dict[str, JsonValue] = {}
    for key, var in variables.items():
        name: object = key
        if not isinstance(name, str) or not _KEY.match(name):
            raise EnvSchemaError(
                f"env var name {key!r} is not allowed: use only letters, digits and '_' "
                "([A-Za-z0-9_]+)"
            )
        if not isinstance(var, EnvVar):
            raise EnvSchemaError(f"env var {key}: expected an EnvVar, got {type(var).__name__}")
        _check_var(key, var)
        schema[key] = var.to_schema()
    return schema


def _coerce(key: str, kind: EnvType, value: JsonValue) -> EnvValue:
    # Values saved through the portal may come back as strings ("42", "true").
    if _matches(kind, value):
        assert isinstance(value, (str, int, float, bool))
        return value
    if isinstance(value, str):
        text = value.strip()
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "number":
            try:
                return int(text)
            except ValueError:
                try:
                    return float(text)
                except ValueError:
                    pass
    raise EnvVarsError(f"env var {key}: value {value!r} is not a {kind}")


def read_env(
    variables: Mapping[str, EnvVar], env_vars: Mapping[str, JsonValue] | None
) -> dict[str, EnvValue]:
    """Typed values of the declared variables from ``session:new`` ``data.env_vars``.

    A missing variable takes its ``default``; without one it is left out, or, if
    ``required``, raises. Numbers and booleans given as strings are converted.
    Undeclared keys are ignored.

    Raises:
        EnvVarsError: a required variable is missing, a value has the wrong type, or is
            not one of ``enum``; the message names the key.
    """
    given = env_vars or {}
    values: dict[str, EnvValue] = {}
    for key, var in variables.items():
        raw = given.get(key)
        if raw is None or raw == "":
            if var.default is not None:
                values[key] = var.default
            elif var.required:
                raise EnvVarsError(f"env var {key}: required but not set for this application")
            continue
        value = _coerce(key, var.type, raw)
        if var.enum is not None and value not in var.enum:
            raise EnvVarsError(f"env var {key}: value {value!r} is not one of {list(var.enum)!r}")
        values[key] = value
    return values
