"""Typed nested prompts: gather's ``say`` and ``play`` take a model or a raw object.

The schema declares both as free-form objects ("the same properties as the say verb,
but no fields are required"), so the server accepts any object there and so must we.
Typing them as plain ``dict`` would lose autocompletion for the most common nested
prompt, so the annotation accepts a :class:`Say` / :class:`Play` model *or* a raw
object:

* a raw object (what arrives from the wire) is tried first and kept as it is, so a
  received verb array round-trips byte for byte;
* a model is kept as the model and written without its ``verb`` key, which belongs to
  top-level verbs only (the server builds the nested task from ``{"say": <object>}``).
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import Field, JsonValue, SerializerFunctionWrapHandler, WrapSerializer

from .verbs.play import Play
from .verbs.say import Say

__all__ = ["NestedPlay", "NestedSay"]


def _without_verb(value: object, handler: SerializerFunctionWrapHandler) -> object:
    data = handler(value)
    if isinstance(value, (Say, Play)) and isinstance(data, dict):
        data.pop("verb", None)
    return data


NestedSay: TypeAlias = Annotated[
    dict[str, JsonValue] | Say,
    Field(union_mode="left_to_right"),
    WrapSerializer(_without_verb),
]
"""Gather's nested ``say``: a :class:`Say` (written without ``verb``) or a raw object."""

NestedPlay: TypeAlias = Annotated[
    dict[str, JsonValue] | Play,
    Field(union_mode="left_to_right"),
    WrapSerializer(_without_verb),
]
"""Gather's nested ``play``: a :class:`Play` (written without ``verb``) or a raw object."""
