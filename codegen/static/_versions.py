"""Check verbs against the jambonz release an app runs on (the schemas' ``minVersion``).

Why: the schemas describe the newest jambonz; an app deployed on an older server that
uses a newer verb (``agent`` needs 10.1.0) or property fails on a live call, with an
error in the server's log the developer may never see. Declaring the version
(``Verbs(jambonz_version="0.9.6")``, ``check_jambonz_version(...)``, or
``jambonz-typed validate --jambonz-version``) turns that into an error at build time
that names the verb or property, the version it needs and the declared one.

The tables come from the generated :mod:`jambonz_types.versions` (plain data), so a
check imports no model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from . import versions as _tables
from ._errors import JambonzError

__all__ = [
    "JambonzVersionError",
    "check_jambonz_version",
    "key_version_problem",
    "new_since",
    "parse_version",
    "verb_version_problem",
    "verb_version_problems",
    "version_problems",
]

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?$")


class JambonzVersionError(JambonzError):
    """A verb or verb property needs a newer jambonz than the one the app declared.

    The message has one line per problem; :attr:`problems` holds them as a tuple.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


def parse_version(text: str) -> tuple[int, int, int]:
    """``"0.9.6"`` -> ``(0, 9, 6)``; a pre-release or build suffix is ignored.

    Raises:
        ValueError: ``text`` is not a version like ``0.9.6`` or ``10.1``.
    """
    match = _VERSION.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a jambonz version like 0.9.6")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def _too_new(what: str, need: str | None, jambonz_version: str) -> str | None:
    if need is None or parse_version(need) <= parse_version(jambonz_version):
        return None
    return f"{what} needs jambonz >= {need}, but jambonz {jambonz_version} is declared"


def verb_version_problem(verb: str, jambonz_version: str) -> str | None:
    """Why ``jambonz_version`` cannot run ``verb``, or ``None`` when it can."""
    return _too_new(f"verb {verb!r}", _tables.VERB_MIN_VERSIONS.get(verb), jambonz_version)


def key_version_problem(verb: str, key: str, jambonz_version: str) -> str | None:
    """Why ``jambonz_version`` does not read wire ``key`` of ``verb``, or ``None``."""
    need = _tables.PROPERTY_MIN_VERSIONS.get(verb, {}).get(key)
    return _too_new(f"{verb}.{key}", need, jambonz_version)


def verb_version_problems(verb: str, keys: Iterable[str], jambonz_version: str) -> list[str]:
    """What of one verb (its name and the wire keys it sets) ``jambonz_version`` lacks."""
    found = [verb_version_problem(verb, jambonz_version)]
    found += [key_version_problem(verb, key, jambonz_version) for key in keys]
    return [p for p in found if p is not None]


def version_problems(verbs: Iterable[Mapping[str, object]], jambonz_version: str) -> list[str]:
    """Every problem of a wire verb array (``Verbs.to_wire()``), prefixed with its index."""
    problems: list[str] = []
    for i, verb in enumerate(verbs):
        name = verb.get("verb")
        if isinstance(name, str):
            keys = [k for k in verb if k != "verb"]
            problems.extend(f"{i}: {p}" for p in verb_version_problems(name, keys, jambonz_version))
    return problems


def check_jambonz_version(verbs: Iterable[Mapping[str, object]], jambonz_version: str) -> None:
    """Raise if a verb array uses a verb or property ``jambonz_version`` does not have.

    ``verbs`` is the wire form (``Verbs.to_wire()``, or a decoded JSON array).

    Raises:
        JambonzVersionError: one line per verb or property, naming the version it needs
            and the declared one.
        ValueError: ``jambonz_version`` is not a version like ``0.9.6``.
    """
    problems = version_problems(verbs, jambonz_version)
    if problems:
        raise JambonzVersionError(problems)


def new_since(jambonz_version: str) -> list[tuple[str, str]]:
    """``(verb or verb.key, minVersion)`` of everything newer than ``jambonz_version``.

    Sorted by version, then name: what an app on that release cannot use yet.
    """
    have = parse_version(jambonz_version)
    found = [
        (name, need)
        for name, need in _tables.VERB_MIN_VERSIONS.items()
        if need is not None and parse_version(need) > have
    ]
    found += [
        (f"{verb}.{key}", need)
        for verb, props in _tables.PROPERTY_MIN_VERSIONS.items()
        for key, need in props.items()
        if parse_version(need) > have
    ]
    return sorted(found, key=lambda item: (parse_version(item[1]), item[0]))
