"""``jambonz-typed validate FILE...``: check verb arrays the way the jambonz server does.

Why a command: a verb array written by hand, by a template or by an LLM should be
checked before a call fails on it. The verdict is the generated models' (the same
checks the runtime applies, in agreement with the server's ajv); each problem is printed
as ``file:line:column: severity: path: message`` with the offending value, what is
allowed and a "did you mean" for misspelled verbs and keys, so editors and CI logs can
point at it. ``--json`` prints one JSON report instead. See :mod:`._check` for why
misspelled optional keys are warnings, not errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import JsonValue

from ._check import Problem, check_text, json_path, json_pointer
from ._console import CliError, Console, Style
from ._jsonpos import Positions

__all__ = ["FileReport", "add_parser", "check_file", "report_json", "run", "version_problems"]

STDIN: Final = "-"
_LIST_LIMIT: Final = 40


@dataclass(frozen=True)
class FileReport:
    """The problems of one input, with their positions when the input was JSON."""

    name: str
    problems: list[Problem]
    positions: Positions | None
    verbs: int | None
    """Number of entries in the array (``None`` when it is not an array)."""

    @property
    def errors(self) -> int:
        """How many problems make the server reject the array."""
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        """How many problems the server accepts but that look like mistakes."""
        return sum(p.severity == "warning" for p in self.problems)

    def where(self, problem: Problem) -> tuple[int, int] | None:
        """1-based line and column of a problem, if known."""
        if problem.at is not None:
            return problem.at
        if self.positions is None:
            return None
        return self.positions.of(problem.path, key=problem.at_key)


def version_problems(doc: JsonValue, jambonz_version: str) -> list[Problem]:
    """Verbs and keys of a verb array that ``jambonz_version`` does not have yet."""
    from jambonz_types._versions import key_version_problem, verb_version_problem

    problems: list[Problem] = []
    for i, entry in enumerate(doc if isinstance(doc, list) else []):
        verb = entry.get("verb") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(verb, str):
            continue
        message = verb_version_problem(verb, jambonz_version)
        if message is not None:
            problems.append(Problem("error", "too_new", (i, "verb"), message, verb=verb))
        for key in entry:
            message = key_version_problem(verb, key, jambonz_version)
            if message is not None:
                problems.append(
                    Problem("error", "too_new", (i, key), message, verb=verb, at_key=True)
                )
    return problems


def check_file(name: str, text: str, jambonz_version: str | None = None) -> FileReport:
    """Check the JSON ``text`` read from ``name`` (against ``jambonz_version`` if given)."""
    problems, positions = check_text(text)
    verbs: int | None = None
    if positions is not None:
        doc: JsonValue = json.loads(text)
        verbs = len(doc) if isinstance(doc, list) else None
        if jambonz_version is not None:
            problems += version_problems(doc, jambonz_version)

    def order(problem: Problem) -> tuple[int, int]:
        found = positions.of(problem.path, key=problem.at_key) if positions else None
        return found or (0, 0)

    return FileReport(name, sorted(problems, key=order), positions, verbs)


def _read(name: str) -> tuple[str | None, str]:
    """(text or None, display name / error message)."""
    if name == STDIN:
        return sys.stdin.read(), "<stdin>"
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8-sig"), name
    except IsADirectoryError:
        return None, "is a directory"
    except FileNotFoundError:
        return None, "no such file"
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        return None, exc.strerror or str(exc)


def _value(value: JsonValue) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed(problem: Problem) -> str | None:
    parts = [_value(v) for v in problem.allowed] + list(problem.expected)
    if not parts:
        return None
    if problem.code in ("unknown_verb", "unknown_key"):
        if problem.suggestion is not None:
            return None  # the "did you mean" says it; the whole list is noise here
        label = "verbs" if problem.code == "unknown_verb" else "known keys"
        shown = ", ".join(str(v) for v in problem.allowed[:_LIST_LIMIT])
        more = len(problem.allowed) - _LIST_LIMIT
        return f"{label}: {shown}" + (f", ... ({more} more)" if more > 0 else "")
    label = "allowed" if problem.allowed else "expected"
    return f"{label}: {', '.join(parts)}"


def _print_text(report: FileReport, console: Console) -> None:
    style = console.style
    for problem in report.problems:
        where = report.where(problem)
        place = f"{report.name}:{where[0]}:{where[1]}" if where else report.name
        colour = "red" if problem.severity == "error" else "yellow"
        path = ""
        if problem.code not in ("invalid_json", "unreadable"):
            path = json_path(problem.path)
            if problem.verb is not None:
                path += f" ({problem.verb})"
            path = style(path, "cyan") + ": "
        console.print(
            f"{style(place, 'bold')}: {style(problem.severity, colour, 'bold')}: "
            f"{path}{problem.message}"
        )
        detail = _allowed(problem)
        if detail is not None:
            console.print(f"    {style(detail, 'dim')}")
    if not report.errors:
        count = f"{report.verbs} verb{'s' if report.verbs != 1 else ''}"
        tail = (
            f", {report.warnings} warning{'s' if report.warnings != 1 else ''}"
            if report.warnings
            else ""
        )
        console.print(f"{style(report.name, 'bold')}: {style('valid', 'green')} ({count}){tail}")


def _problem_json(report: FileReport, problem: Problem) -> dict[str, JsonValue]:
    where = report.where(problem)
    out: dict[str, JsonValue] = {
        "severity": problem.severity,
        "code": problem.code,
        "message": problem.message,
        "path": json_path(problem.path),
        "pointer": json_pointer(problem.path),
        "line": where[0] if where else None,
        "column": where[1] if where else None,
        "verb": problem.verb,
    }
    if problem.has_value:
        out["value"] = problem.value
    out["allowed"] = list(problem.allowed)
    out["expected"] = list(problem.expected)
    out["suggestion"] = problem.suggestion
    return out


def report_json(reports: list[FileReport], *, strict: bool = False) -> dict[str, JsonValue]:
    """The ``--json`` document: one entry per file, every problem with its position."""
    from jambonz_types import SCHEMA_VERSION

    errors = sum(r.errors for r in reports)
    warnings = sum(r.warnings for r in reports)
    return {
        "schema": f"@jambonz/schema {SCHEMA_VERSION}",
        "valid": errors == 0 and not (strict and warnings),
        "errors": errors,
        "warnings": warnings,
        "files": [
            {
                "file": r.name,
                "valid": r.errors == 0,
                "verbs": r.verbs,
                "problems": [_problem_json(r, p) for p in r.problems],
            }
            for r in reports
        ],
    }


def _unreadable(name: str, why: str) -> FileReport:
    return FileReport(name, [Problem("error", "unreadable", (), f"cannot read: {why}")], None, None)


def run(args: argparse.Namespace, console: Console) -> int:
    """Check every input; print the reports; 1 if any has errors (or warnings, strict)."""
    names: list[str] = list(args.files) or [STDIN]
    strict: bool = args.strict
    version: str | None = args.jambonz_version
    if version is not None:
        from jambonz_types._versions import parse_version

        try:
            parse_version(version)
        except ValueError as exc:
            raise CliError(f"--jambonz-version: {exc}") from None
    if names == [STDIN] and not args.files and sys.stdin.isatty():
        raise CliError("give JSON files to check, or pipe a verb array into stdin (FILE -)")
    reports: list[FileReport] = []
    for name in names:
        text, label = _read(name)
        if text is None:
            reports.append(_unreadable(name, label))
        else:
            reports.append(check_file(label, text, version))
    if args.json:
        console.print(json.dumps(report_json(reports, strict=strict), indent=2))
    else:
        for report in reports:
            _print_text(report, console)
        if len(reports) > 1:
            _summary(reports, console.style, console)
    errors = sum(r.errors for r in reports)
    warnings = sum(r.warnings for r in reports)
    return 1 if errors or (strict and warnings) else 0


def _summary(reports: list[FileReport], style: Style, console: Console) -> None:
    bad = sum(1 for r in reports if r.errors)
    errors = sum(r.errors for r in reports)
    warnings = sum(r.warnings for r in reports)
    line = f"{len(reports)} files: {len(reports) - bad} valid, {bad} invalid"
    line += f" ({errors} error{'s' if errors != 1 else ''}, "
    line += f"{warnings} warning{'s' if warnings != 1 else ''})"
    console.print(style(line, "red" if bad else "green"))


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register ``validate`` on the top-level parser."""
    parser = commands.add_parser(
        "validate",
        parents=parents,
        help="check JSON verb arrays against the jambonz schemas",
        description=(
            "Check JSON verb arrays (files, or stdin with -) as the jambonz server would. "
            "Each problem is printed as file:line:column: severity: JSON path: message, "
            "with the offending value, what is allowed and a 'did you mean' for "
            "misspelled verbs and keys. Unknown keys are accepted by jambonz (its schemas "
            "allow extra keys) and so are warnings, never errors, unless the schema forbids "
            "them there."
        ),
        epilog="exit status: 0 when every file is valid, 1 otherwise (--strict: warnings too)",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="JSON file; - reads stdin")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON report (for editors and CI)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 on warnings too (likely typos in keys)"
    )
    parser.add_argument(
        "--jambonz-version",
        metavar="X.Y.Z",
        help="the jambonz release the arrays are for: a verb or key it lacks (the schemas' "
        "minVersion) is an error",
    )
    parser.set_defaults(func=run)
