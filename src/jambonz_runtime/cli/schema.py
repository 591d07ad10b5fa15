"""``jambonz-typed schema [VERB]``: which schemas this build speaks, and each verb's needs.

Why: before using a verb a developer wants to know whether their jambonz release runs it
and what it takes. The vendored ``@jambonz/schema`` version and each verb's
``minVersion`` (a custom keyword of those schemas, carried into
``jambonz_types.app.VERB_MIN_VERSIONS`` by codegen) answer the first; ``schema VERB``
lists the verb's wire keys, the Python (builder and model) name of each where it
differs, and their types and allowed values, read from the same generated model the
runtime validates with.
"""

from __future__ import annotations

import argparse
import json
import shutil
from typing import Final

from pydantic import BaseModel, JsonValue

from ._check import describe_annotation, did_you_mean, verb_models
from ._console import CliError, Console

__all__ = ["add_parser", "run", "schema_info", "since_info", "verb_fields"]

_NO_VERSION: Final = "-"


def _summary(model: type[BaseModel]) -> str:
    doc = (model.__doc__ or "").strip()
    first = doc.split(". ")[0].split("\n")[0].rstrip(".")
    return first


def schema_info() -> dict[str, JsonValue]:
    """Schema version and, per verb, its minimum jambonz version, model and summary."""
    from jambonz_types import SCHEMA_VERSION
    from jambonz_types.app import VERB_MIN_VERSIONS

    models = verb_models()
    return {
        "package": "@jambonz/schema",
        "version": SCHEMA_VERSION,
        "verbs": [
            {
                "verb": name,
                "min_jambonz_version": VERB_MIN_VERSIONS.get(name),
                "model": f"{models[name].__module__}.{models[name].__name__}",
                "summary": _summary(models[name]),
            }
            for name in VERB_MIN_VERSIONS
        ],
    }


def verb_fields(verb: str) -> list[dict[str, JsonValue]]:
    """The wire keys of one verb: required or not, and what each accepts."""
    model = verb_models()[verb]
    out: list[dict[str, JsonValue]] = []
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        wire = alias or info.alias or name
        values, kinds, anything = describe_annotation(info.annotation)
        out.append(
            {
                "key": wire,
                "python": name,
                # The model defaults ``verb`` for Python callers; in an array it is required.
                "required": info.is_required() or wire == "verb",
                "allowed": list(values),
                "expected": [*kinds, "any JSON value"] if anything else list(kinds),
            }
        )
    return out


def _print_table(console: Console) -> None:
    style = console.style
    info = schema_info()
    verbs = info["verbs"]
    assert isinstance(verbs, list)
    console.print(
        f"{style(str(info['package']), 'bold')} {style(str(info['version']), 'bold')} "
        "(vendored; every model and check of this build comes from it)"
    )
    console.print(
        f"{len(verbs)} verbs; 'since' is the oldest jambonz release that runs the verb, "
        "from each schema's minVersion:"
    )
    console.print()
    width = shutil.get_terminal_size((100, 24)).columns
    missing: list[str] = []
    header = f"  {'verb':<16} {'since':<8} summary"
    console.print(style(header, "dim"))
    for entry in verbs:
        assert isinstance(entry, dict)
        version = entry["min_jambonz_version"]
        if version is None:
            missing.append(str(entry["verb"]))
        line = f"  {entry['verb']!s:<16} {version or _NO_VERSION:<8} "
        summary = str(entry["summary"])
        room = max(width - len(line) - 1, 20)
        if len(summary) > room:
            summary = summary[: room - 3] + "..."
        console.print(line + style(summary, "dim"))
    if missing:
        console.print()
        console.print(
            f"{_NO_VERSION}: the schema of {', '.join(missing)} declares no minVersion, "
            "so the minimum jambonz version is not known here."
        )
    console.print()
    console.print("Run 'jambonz-typed schema VERB' for a verb's keys and allowed values.")


def _print_verb(verb: str, console: Console) -> None:
    from jambonz_types.app import VERB_MIN_VERSIONS

    style = console.style
    model = verb_models()[verb]
    since = VERB_MIN_VERSIONS.get(verb)
    console.print(
        f"{style(verb, 'bold')}: jambonz >= {since}"
        if since
        else f"{style(verb, 'bold')}: minimum jambonz version not declared by the schema"
    )
    console.print(f"model: {model.__module__}.{model.__name__}")
    summary = (model.__doc__ or "").strip()
    if summary:
        console.print(style(summary, "dim"))
    console.print()
    console.print(style(f"  {'wire key':<24} {'Python name':<24} {'':8}  accepts", "dim"))
    for field in verb_fields(verb):
        allowed = field["allowed"]
        expected = field["expected"]
        assert isinstance(allowed, list)
        assert isinstance(expected, list)
        parts = [json.dumps(v) for v in allowed] + [str(e) for e in expected]
        req = style("required", "yellow") if field["required"] else style("optional", "dim")
        python = field["python"] if field["python"] != field["key"] else ""
        console.print(f"  {field['key']!s:<24} {python!s:<24} {req}  {' | '.join(parts)}")


def since_info(jambonz_version: str) -> dict[str, JsonValue]:
    """What is newer than ``jambonz_version``: verbs and verb keys with their minVersion."""
    from jambonz_types import SCHEMA_VERSION
    from jambonz_types._versions import new_since

    return {
        "version": SCHEMA_VERSION,
        "since": jambonz_version,
        "new": [
            {"name": name, "kind": "key" if "." in name else "verb", "min_jambonz_version": v}
            for name, v in new_since(jambonz_version)
        ],
    }


def _print_since(jambonz_version: str, console: Console) -> None:
    style = console.style
    new = since_info(jambonz_version)["new"]
    assert isinstance(new, list)
    if not new:
        console.print(
            f"Nothing in this build's schemas needs a jambonz newer than {jambonz_version}."
        )
        return
    console.print(
        f"{len(new)} verb(s) and key(s) need a jambonz newer than {jambonz_version} "
        "(the schemas' minVersion):"
    )
    console.print()
    console.print(style(f"  {'verb or verb.key':<32} since", "dim"))
    for entry in new:
        assert isinstance(entry, dict)
        console.print(f"  {entry['name']!s:<32} {entry['min_jambonz_version']}")


def run(args: argparse.Namespace, console: Console) -> int:
    """Print the schema version and verb table, one verb's keys, or what is new."""
    verb: str | None = args.verb
    since: str | None = args.since
    if since is not None:
        from jambonz_types._versions import parse_version

        if verb is not None:
            raise CliError("give either VERB or --since, not both")
        try:
            parse_version(since)
        except ValueError as exc:
            raise CliError(f"--since: {exc}") from None
        if args.json:
            console.print(json.dumps(since_info(since), indent=2))
        else:
            _print_since(since, console)
        return 0
    if verb is not None:
        from jambonz_types.app import VERB_NAMES

        if verb not in VERB_NAMES:
            close = did_you_mean(verb, VERB_NAMES)
            hint = f'; did you mean "{close}"?' if close else " (run 'jambonz-typed schema')"
            raise CliError(f'unknown verb "{verb}"{hint}')
    if args.json:
        data = schema_info()
        if verb is not None:
            keys: list[JsonValue] = list(verb_fields(verb))
            data = {"version": data["version"], "verb": verb, "keys": keys}
        console.print(json.dumps(data, indent=2))
    elif verb is not None:
        _print_verb(verb, console)
    else:
        _print_table(console)
    return 0


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register ``schema`` on the top-level parser."""
    parser = commands.add_parser(
        "schema",
        parents=parents,
        help="show the vendored schema version and each verb's minimum jambonz version",
        description=(
            "Print the @jambonz/schema version this build was generated from and every "
            "verb with the oldest jambonz release that runs it (the schemas' minVersion). "
            "With VERB: that verb's wire keys, whether each is required, and what it accepts."
        ),
    )
    parser.add_argument("verb", nargs="?", metavar="VERB", help="one verb to describe")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--since",
        metavar="X.Y.Z",
        help="list the verbs and verb keys that need a jambonz newer than X.Y.Z",
    )
    parser.set_defaults(func=run)
