"""Hand-written types the generated API models use (copied verbatim from codegen/openapi/static).

* :class:`ApiModel`: base of every API model. Unknown keys are kept (the server adds
  columns over time and nothing it returns may be lost) and ``null`` is accepted where
  the server sends SQL NULLs; the wire form is the spec's snake_case keys.
* :data:`IntBool`: a boolean the server stores in a MySQL ``BOOLEAN`` (``TINYINT(1)``)
  column and returns as ``0``/``1``. Accepts ``true``/``false`` and ``0``/``1`` (nothing
  else: not ``"yes"``, not ``2``); the Python value is always a ``bool``.
* :data:`VerbList`, :data:`Whisper`: the verb-shaped parts of the live call-control
  body, typed with the verb models instead of the spec's free-form objects.
* :class:`CallControlModel`: base of the live call-control body. The feature-server
  (``CallSession.updateCall``) acts on the *first* action key it finds and silently
  ignores the rest, so a body with two actions is refused here instead of half-applied.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, StrictBool, model_validator
from typing_extensions import Self

from .._base import JambonzCallback
from ..app import Verb
from ..verbs.play import Play
from ..verbs.say import Say

__all__ = ["ApiModel", "CallControlModel", "IntBool", "VerbList", "Whisper"]


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


_ACTIONS: tuple[tuple[str, ...], ...] = (
    ("call_status",),
    ("call_hook", "child_call_hook", "call_status_hook", "parent_call", "child_call"),
    ("listen_status", "stream_status"),
    ("transcribe_status",),
    ("mute_status",),
    ("conf_hold_status", "wait_hook"),
    ("conf_mute_status",),
    ("sip_request",),
    ("dtmf",),
    ("record",),
    ("tag",),
    ("conferenceParticipantAction",),
    ("dub",),
    ("boostAudioSignal",),
    ("media_path",),
    ("llm_tool_output", "tool_call_id"),
    ("llm_update",),
)
"""The actions of CallSession.updateCall, each with the keys that go with it (whisper,
which may follow any of them, is not one)."""


class CallControlModel(ApiModel):
    """Base of the live call-control body: at most one action (plus ``whisper``)."""

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        data = self.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
        given = [group[0] for group in _ACTIONS if any(key in data for key in group)]
        if len(given) > 1:
            raise ValueError(
                f"one action per update, got {', '.join(given)}: the feature-server would "
                f"act on {given[0]} and silently ignore the rest"
            )
        if "call_status_hook" in data and "call_hook" not in data:
            raise ValueError("call_status_hook can be updated only together with call_hook")
        if not given and "whisper" not in data:
            raise ValueError("no action: set one of the call-control keys (or whisper)")
        return self
