"""Hook payloads jambonz posts that no schema describes (copied verbatim from codegen/static).

The schemas type some hooks as plain hooks and say nothing about what arrives there.
The feature server posts an ``llm:tool-call`` to a speech-to-speech verb's ``toolHook``,
``llm:event`` messages to its ``eventHook`` and ``dial:confirm`` (the dialed leg's call
info) to dial's ``confirmHook``; these are their payload models.
``[tool.jambonz-codegen.hook-payloads]`` names them for those hooks, so
``openai_s2s(tool_hook=...)`` takes a ``HookRef[LlmToolCallCallback]`` and a handler
written for the tool call is accepted where it belongs (and nowhere else).
``jambonz_runtime`` re-exports them.
"""

from __future__ import annotations

import json

from pydantic import JsonValue

from ._base import JambonzCallback
from .callbacks.base import BaseCallback

__all__ = ["DialConfirmCallback", "LlmEventCallback", "LlmToolCallCallback"]


class DialConfirmCallback(BaseCallback):
    """``dial:confirm``: call info of the dialed (B) leg, sent to the dial's confirmHook."""


class LlmToolCallCallback(JambonzCallback):
    """``llm:tool-call``: a tool the LLM wants run; answer with ``llm:tool-output``."""

    tool_call_id: str | None = None
    """Echo this in the ``llm:tool-output`` command (top-level ``tool_call_id``)."""
    name: str | None = None
    """The tool's name."""
    args: JsonValue = None
    """The tool's arguments, exactly as the vendor sent them (never snake-cased)."""

    @property
    def arguments(self) -> dict[str, JsonValue]:
        """The arguments as an object: what a tool handler wants, without the checks.

        ``args`` as sent is a JSON object for most vendors but a JSON *string* of one
        for some (OpenAI's ``arguments``); both give the object here. Anything else
        (absent, an array, a string that is not an object) gives ``{}``; ``args`` keeps
        the raw value.
        """
        value = self.args
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return {}
        return dict(value) if isinstance(value, dict) else {}


class LlmEventCallback(JambonzCallback):
    """``llm:event``: a vendor event from a speech-to-speech LLM verb (shape is the vendor's)."""

    type: str | None = None
    """The vendor's event type, when it has one (OpenAI: ``response.done`` etc.)."""
