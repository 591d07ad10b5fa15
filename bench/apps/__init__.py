"""The same echo and TTS apps written against each SDK under test (one module each)."""

from __future__ import annotations

__all__: list[str] = []
