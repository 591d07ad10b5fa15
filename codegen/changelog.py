"""The schema change report as printed text and as a ``CHANGELOG.md`` entry.

The changelog entry follows stripe-python's "Update generated code" entries: one bullet
for the bump (with the source's provenance), and one sub-bullet per change, breaking
ones first and marked ⚠, each naming the Python spelling a user greps for and the JSON
location a maintainer looks up.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .changes import ADDED, BREAKING, CHANGED, Change, counts

__all__ = ["CHANGELOG", "changelog_entry", "format_report", "prepend_entry"]

CHANGELOG = "CHANGELOG.md"
_HEAD = "# Changelog\n"
_LABEL = {BREAKING: "⚠ breaking", CHANGED: "changed", ADDED: "added"}
_VERB = {BREAKING: "⚠ Breaking:", CHANGED: "Change:", ADDED: "Add:"}


def _summary(changes: Sequence[Change]) -> str:
    if not changes:
        return "no schema changes"
    parts = [f"{n} {_LABEL[kind]}" for kind, n in counts(list(changes)) if n]
    return f"{len(changes)} change(s): " + ", ".join(parts)


def format_report(old: str, new: str, changes: Sequence[Change]) -> str:
    """The report ``python -m codegen vendor`` prints (``old``/``new``: provenance lines)."""
    lines = [f"Schema change report: {old} -> {new}", f"  {_summary(changes)}"]
    for kind in (BREAKING, CHANGED, ADDED):
        group = [c for c in changes if c.kind == kind]
        if group:
            lines.append(f"{_LABEL[kind]}:")
            lines.extend(f"  {c.python}: {c.what}  [{c.where}]" for c in group)
    return "\n".join(lines)


def changelog_entry(title: str, source: str, changes: Sequence[Change]) -> str:
    """One ``## ...`` section: ``title`` heads it, ``source`` says where the set came from."""
    lines = [f"## {title}", "", f"* Update generated code for {source} ({_summary(changes)})"]
    lines.extend(f"  * {_VERB[c.kind]} `{c.python}`: {c.what} (`{c.where}`)" for c in changes)
    return "\n".join(lines) + "\n"


def prepend_entry(path: Path, entry: str) -> None:
    """Put ``entry`` first under the ``# Changelog`` heading (creating the file if needed)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else _HEAD
    if not text.startswith(_HEAD):
        text = _HEAD + "\n" + text
    rest = text[len(_HEAD) :].lstrip("\n")
    path.write_text(_HEAD + "\n" + entry + ("\n" + rest if rest else ""), encoding="utf-8")
