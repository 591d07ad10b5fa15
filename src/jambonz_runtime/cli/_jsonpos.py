"""Line and column of every value (and object key) in a JSON text, by JSON path.

Why: ``json.loads`` forgets where things were, but an editor or a CI log wants
``file:line:column`` for each problem ``validate`` reports. This is a small scanner
run only on text that ``json.loads`` has already accepted, so it need not diagnose
anything; on any surprise it gives up and the report simply has no positions.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Final

__all__ = ["Positions", "Segment", "locate"]

Segment = str | int
"""One step of a JSON path: an object key or an array index."""

_NUMBER: Final = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_STRING_STOP: Final = re.compile(r'["\\]')
_SPACE: Final = re.compile(r"[ \t\n\r]*")
_LITERALS: Final = ("true", "false", "null")


@dataclass
class Positions:
    """Offsets found by :func:`locate`, turned into 1-based (line, column) on demand."""

    text: str
    values: dict[tuple[Segment, ...], int] = field(default_factory=dict)
    """JSON path -> offset where the value starts."""
    keys: dict[tuple[Segment, ...], int] = field(default_factory=dict)
    """JSON path of a member -> offset of its key (the opening quote)."""
    _lines: list[int] = field(default_factory=list, repr=False)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        if not self._lines:
            self._lines = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        line = bisect.bisect_right(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1

    def of(self, path: tuple[Segment, ...], *, key: bool = False) -> tuple[int, int] | None:
        """Where ``path`` is (its key if ``key`` and it is an object member), if known.

        A path that does not exist (a missing key) falls back to its nearest existing
        parent, which is where the key would have to be added.
        """
        if key and path in self.keys:
            return self.line_col(self.keys[path])
        while path not in self.values:
            if not path:
                return None
            path = path[:-1]
        return self.line_col(self.values[path])


class _Scanner:
    def __init__(self, text: str, found: Positions) -> None:
        self.text = text
        self.found = found

    def skip(self, i: int) -> int:
        match = _SPACE.match(self.text, i)
        return match.end() if match else i

    def value(self, i: int, path: tuple[Segment, ...]) -> int:
        i = self.skip(i)
        self.found.values[path] = i
        c = self.text[i]
        if c == "{":
            return self.members(i + 1, path)
        if c == "[":
            return self.items(i + 1, path)
        if c == '"':
            return self.string_end(i)
        for literal in _LITERALS:
            if self.text.startswith(literal, i):
                return i + len(literal)
        match = _NUMBER.match(self.text, i)
        if match is None:
            raise ValueError(f"unexpected {c!r} at {i}")
        return match.end()

    def string_end(self, i: int) -> int:
        """Offset just past the string literal that opens at ``i``."""
        i += 1
        while True:
            match = _STRING_STOP.search(self.text, i)
            if match is None:
                raise ValueError("unterminated string")
            if match.group() == '"':
                return match.end()
            i = match.end() + 1  # skip the escaped character

    def members(self, i: int, path: tuple[Segment, ...]) -> int:
        i = self.skip(i)
        if self.text[i] == "}":
            return i + 1
        while True:
            i = self.skip(i)
            start = i
            i = self.string_end(i)
            key = json.loads(self.text[start:i])
            member = (*path, key)
            self.found.keys[member] = start
            i = self.skip(i)  # then ':'
            i = self.value(i + 1, member)
            i = self.skip(i)
            if self.text[i] == "}":
                return i + 1
            i += 1  # ','

    def items(self, i: int, path: tuple[Segment, ...]) -> int:
        i = self.skip(i)
        if self.text[i] == "]":
            return i + 1
        index = 0
        while True:
            i = self.value(i, (*path, index))
            i = self.skip(i)
            if self.text[i] == "]":
                return i + 1
            i += 1
            index += 1


def locate(text: str) -> Positions:
    """Positions of every value and key in ``text`` (valid JSON); empty if it cannot tell.

    Duplicate keys keep the last occurrence, as ``json.loads`` does.
    """
    found = Positions(text)
    try:
        # A leading BOM is not JSON; json.loads rejects it too, but be safe.
        _Scanner(text, found).value(1 if text.startswith("\ufeff") else 0, ())
    except (ValueError, IndexError, RecursionError):
        return Positions(text)
    return found
