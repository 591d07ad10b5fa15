"""Typed convenience accessors mixed into generated payload models (copied verbatim from codegen/static).

Why: every speech IVR read ``result.speech.alternatives[0].transcript`` behind two
``None`` checks and an empty-list check. ``[tool.jambonz-codegen.mixins]`` puts these
mixins first in the generated classes' bases; they add read-only properties computed
from the schema's fields, never fields of their own, so validation and the wire form
are unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .callbacks.gather import GatherCallbackSpeech as Speech
    from .callbacks.gather import GatherCallbackSpeechAlternative as Alternative

__all__ = ["GatherAccessors"]


class _HasSpeech(Protocol):
    @property
    def speech(self) -> Speech | None: ...


def _best(speech: Speech | None) -> Alternative | None:
    if speech is None or not speech.alternatives:
        return None
    return speech.alternatives[0]


class GatherAccessors:
    """``transcript`` and ``confidence`` of a gather result (first alternative)."""

    __slots__ = ()

    @property
    def transcript(self: _HasSpeech) -> str | None:
        """What the caller said (the recognizer's best alternative); ``None`` if no speech.

        ``result.transcript`` is ``result.speech.alternatives[0].transcript`` without
        the ``None`` and empty-list checks.
        """
        best = _best(self.speech)
        return None if best is None else best.transcript

    @property
    def confidence(self: _HasSpeech) -> float | None:
        """The best alternative's confidence (0 to 1); ``None`` if not reported."""
        best = _best(self.speech)
        if best is None or best.confidence is None:
            return None
        return float(best.confidence)
