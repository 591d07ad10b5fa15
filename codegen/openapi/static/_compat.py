"""Hand-written types the generated API models use (copied verbatim from codegen/openapi/static).

* :class:`ApiModel`: base of every API model. Unknown keys are kept (the server adds
  columns over time and nothing it returns may be lost) and ``null`` is accepted where
  the server sends SQL NULLs; the wire form is the spec's snake_case keys.
* :data:`IntBool`: a boolean the server stores in a MySQL ``BOOLEAN`` (``TINYINT(1)``)
  column and returns as ``0``/``1``. Accepts ``true``/``false`` and ``0``/``1`` (nothing
  else: not ``"yes"``, not ``2``); the Python value is always a ``bool``.
* :data:`VerbList`, :data:`Whisper`: the verb-shaped parts of the live call-control
  body, typed with the verb models instead of the spec's free-form objects.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, StrictBool

from .._base import JambonzCallback
from ..app import Verb
from ..verbs.play import Play
from ..verbs.say import Say

__all__ = ["ApiModel", "IntBool", "VerbList", "Whisper"]


class ApiModel(JambonzCallback):
    """Base of the REST API models: extra keys kept, ``null`` tolerated."""


def _int_bool(value: object) -> object:
    if type(value) is int and value in (0, 1):
        return bool(value)
    return value


IntBool = Annotated[StrictBool, BeforeValidator(_int_bool)]
"""``bool`` on the Python side; ``0``/``1`` accepted from the server."""

VerbList = list[Verb]
"""Verbs to run on a call leg (``parent_call`` / ``child_call``)."""

Whisper = Say | Play | list[Say | Play]
"""What ``whisper`` accepts: one say/play verb or a list of them."""
