"""Output helpers shared by the commands: colour only on a terminal, one error type.

Why: every command prints to a stream that may be a terminal, a pipe or a test's
``StringIO``. ANSI colour is used only when that stream is a terminal and ``NO_COLOR``
(https://no-color.org) is not set, so piped output and CI logs stay plain text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final, TextIO

from ..exceptions import JambonzError

__all__ = ["CliError", "Console", "Style"]

_CODES: Final = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}


class CliError(JambonzError):
    """A problem the user can fix (bad argument, missing file, unimportable app).

    ``main`` prints it as one line, without a traceback unless ``--debug``.
    """


@dataclass(frozen=True)
class Style:
    """Wraps text in ANSI colour codes, or leaves it alone when disabled."""

    enabled: bool

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        """Colour if ``stream`` is a terminal and ``NO_COLOR`` is unset or empty."""
        isatty = getattr(stream, "isatty", None)
        tty = bool(isatty()) if callable(isatty) else False
        return cls(tty and not os.environ.get("NO_COLOR"))

    def __call__(self, text: str, *styles: str) -> str:
        """``text`` in the named styles (``"red"``, ``"bold"``, ...)."""
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


@dataclass
class Console:
    """Where a command writes, with the style of each stream."""

    out: TextIO
    err: TextIO
    debug: bool = False

    @property
    def style(self) -> Style:
        """The style for :attr:`out`."""
        return Style.for_stream(self.out)

    @property
    def err_style(self) -> Style:
        """The style for :attr:`err` (it may be a terminal when :attr:`out` is not)."""
        return Style.for_stream(self.err)

    def print(self, text: str = "") -> None:
        """One line to :attr:`out`."""
        self.out.write(text + "\n")

    def error(self, text: str) -> None:
        """One line to :attr:`err`, flushed (it may interleave with :attr:`out`)."""
        self.out.flush()
        self.err.write(text + "\n")
        self.err.flush()
