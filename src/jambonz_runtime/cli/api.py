"""``jambonz-typed api RESOURCE ACTION [NAME=VALUE...]``: the jambonz REST API from a shell.

Why: the everyday provisioning chores (list the applications, point a phone number at
another application, look at recent calls) should not need a script. Every operation of
the generated :class:`~jambonz_runtime.rest.JambonzClient` is reachable, found by
introspecting it, so the command can never drift from the client:

* ``NAME=VALUE`` sets a parameter of the method (``phone_number_sid=...``) or, for
  any other name, a field of the request body; values are JSON when they parse as
  JSON (``5``, ``true``, ``{"url": ...}``), text otherwise; ``--body JSON|@FILE`` gives
  the whole body;
* a paged listing (``recent_calls list``) walks the pages up to ``--limit`` items;
* output is a table, or the API's JSON with ``--json``; binary answers (a pcap) go to
  ``--output FILE``;
* settings are the client's: ``JAMBONZ_API_URL``, ``JAMBONZ_ACCOUNT_SID``,
  ``JAMBONZ_API_KEY``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import shutil
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel, JsonValue, TypeAdapter, ValidationError

from ..exceptions import ConfigurationError, MissingExtra, RestError
from ._check import did_you_mean
from ._console import CliError, Console

__all__ = ["add_parser", "operations", "run"]

_MAX_COLUMNS = 6
_SKIP = {"body"}


def operations() -> dict[str, dict[str, Callable[..., object]]]:
    """``resource -> action -> unbound method`` of the generated sync resources."""
    from ..rest._generated import sync

    api_hints = typing.get_type_hints(sync.SyncApi)
    out: dict[str, dict[str, Callable[..., object]]] = {}
    for attr, cls in sorted(api_hints.items()):
        actions: dict[str, Callable[..., object]] = {}
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                actions[name] = fn
        out[attr.replace("_", "-")] = actions
    return out


def _value(text: str) -> JsonValue:
    try:
        parsed: JsonValue = json.loads(text)
    except ValueError:
        return text
    return parsed


def _body_text(text: str) -> dict[str, JsonValue]:
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--body {text}: {exc.strerror}") from exc
    try:
        data: JsonValue = json.loads(text)
    except ValueError as exc:
        raise CliError(f"--body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CliError("--body must be a JSON object")
    return data


def _call_arguments(
    fn: Callable[..., object], pairs: list[str], body: str | None
) -> dict[str, object]:
    hints = typing.get_type_hints(fn)
    params = {n for n in inspect.signature(fn).parameters if n != "self"}
    kwargs: dict[str, object] = {}
    fields: dict[str, JsonValue] = _body_text(body) if body else {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise CliError(f"expected NAME=VALUE, got {pair!r}")
        if name in params and name not in _SKIP:
            try:
                kwargs[name] = TypeAdapter(hints[name]).validate_python(_value(raw))
            except ValidationError as exc:
                raise CliError(f"{name}: {exc.errors()[0]['msg']}") from exc
        else:
            fields[name] = _value(raw)
    if "body" in params:
        model = typing.get_args(hints["body"]) or (hints["body"],)
        cls = next(c for c in model if isinstance(c, type))
        if fields or inspect.signature(fn).parameters["body"].default is inspect.Parameter.empty:
            try:
                kwargs["body"] = TypeAdapter(cls).validate_python(fields)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "body"
                raise CliError(f"body {where}: {first['msg']}") from exc
    elif fields:
        raise CliError(f"unknown parameter(s): {', '.join(sorted(fields))}")
    return kwargs


def _plain(value: object) -> JsonValue:
    if isinstance(value, BaseModel):
        dumped: JsonValue = value.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return TypeAdapter(JsonValue).validate_python(value)


def _cell(value: JsonValue) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _table(rows: list[JsonValue], console: Console) -> None:
    dicts = [r for r in rows if isinstance(r, dict)]
    if not dicts:
        for row in rows:
            console.print(_cell(row))
        return
    columns: list[str] = []
    for row in dicts:
        for key, value in row.items():
            if key not in columns and not isinstance(value, (dict, list)):
                columns.append(key)
    columns = columns[:_MAX_COLUMNS]
    widths = {c: max(len(c), *(len(_cell(r.get(c, ""))) for r in dicts)) for c in columns}
    room = shutil.get_terminal_size((160, 24)).columns
    widths = {c: min(w, max(12, room // max(len(columns), 1) - 2)) for c, w in widths.items()}

    def line(cells: dict[str, str]) -> str:
        parts = []
        for c in columns:
            text = cells.get(c, "")
            if len(text) > widths[c]:
                text = text[: widths[c] - 3] + "..."
            parts.append(f"{text:<{widths[c]}}")
        return "  ".join(parts).rstrip()

    console.print(console.style(line({c: c for c in columns}), "dim"))
    for row in dicts:
        console.print(line({c: _cell(row[c]) for c in columns if c in row}))
    console.print(console.style(f"({len(dicts)} row{'s' if len(dicts) != 1 else ''})", "dim"))


def _show(result: JsonValue, console: Console) -> None:
    if result is None:
        console.print("done")
    elif isinstance(result, list):
        _table(result, console)
    elif isinstance(result, dict):
        width = max((len(k) for k in result), default=0)
        for key, value in result.items():
            console.print(f"{key:<{width}}  {_cell(value)}")
    else:
        console.print(_cell(result))


def _list_overview(ops: dict[str, dict[str, Callable[..., object]]], console: Console) -> None:
    console.print(
        "resources and their actions (jambonz-typed api RESOURCE ACTION [NAME=VALUE...]):"
    )
    for resource, actions in ops.items():
        console.print(f"  {resource:<26} {' '.join(sorted(actions))}")


def _usage(resource: str, action: str, fn: Callable[..., object], console: Console) -> None:
    doc = inspect.getdoc(fn) or ""
    console.print(f"jambonz-typed api {resource} {action}: {doc.splitlines()[0] if doc else ''}")
    for name, param in inspect.signature(fn).parameters.items():
        if name != "self":
            need = "required" if param.default is inspect.Parameter.empty else "optional"
            console.print(f"  {name:<28} {need}  {param.annotation}")


def run(args: argparse.Namespace, console: Console) -> int:
    """Call one operation and print its answer."""
    ops = operations()
    if args.resource is None:
        _list_overview(ops, console)
        return 0
    resource = args.resource.replace("_", "-")
    if resource not in ops:
        close = did_you_mean(resource, list(ops))
        raise CliError(
            f"unknown resource {resource!r}" + (f'; did you mean "{close}"?' if close else "")
        )
    actions = ops[resource]
    if args.action is None or args.action == "help":
        console.print(f"{resource}: {' '.join(sorted(actions))}")
        return 0
    if args.action not in actions:
        close = did_you_mean(args.action, list(actions))
        hint = f'; did you mean "{close}"?' if close else f" (actions: {' '.join(sorted(actions))})"
        raise CliError(f"unknown action {args.action!r} of {resource}{hint}")
    fn = actions[args.action]
    if args.describe:
        _usage(resource, args.action, fn, console)
        return 0
    pairs: list[str] = list(args.params)
    paged = f"iter_{args.action}" in actions and not any(p.startswith("page=") for p in pairs)
    if paged:
        fn = actions[f"iter_{args.action}"]
    kwargs = _call_arguments(fn, pairs, args.body)
    from ..rest import JambonzClient

    try:
        with JambonzClient() as client:
            bound = getattr(getattr(client, resource.replace("-", "_")), fn.__name__)
            result = bound(**kwargs)
            if paged:
                assert isinstance(result, Iterator)
                items = []
                for item in result:
                    items.append(item)
                    if len(items) >= args.limit:
                        break
                result = items
    except (ConfigurationError, MissingExtra, RestError) as exc:
        raise CliError(str(exc)) from exc
    if isinstance(result, bytes):
        if args.output is None:
            raise CliError("the answer is binary: write it with --output FILE")
        Path(args.output).write_bytes(result)
        console.print(f"wrote {len(result)} bytes to {args.output}")
        return 0
    plain = _plain(result)
    if args.json:
        console.print(json.dumps(plain, indent=2))
    else:
        _show(plain, console)
    return 0


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register ``api`` on the top-level parser."""
    parser = commands.add_parser(
        "api",
        parents=parents,
        help="call the jambonz REST API (list applications, update a phone number, ...)",
        description=(
            "Call one operation of the jambonz REST API with the typed client. Settings "
            "from JAMBONZ_API_URL, JAMBONZ_ACCOUNT_SID and JAMBONZ_API_KEY. Without "
            "RESOURCE: every resource and its actions."
        ),
        epilog=(
            "examples: jambonz-typed api applications list | "
            "jambonz-typed api phone-numbers update phone_number_sid=PN application_sid=APP | "
            "jambonz-typed api recent-calls list --limit 20"
        ),
    )
    parser.add_argument("resource", nargs="?", help="e.g. applications, phone-numbers")
    parser.add_argument("action", nargs="?", help="e.g. list, get, create, update, delete")
    parser.add_argument("params", nargs="*", metavar="NAME=VALUE", help="parameters / body fields")
    parser.add_argument("--body", help="the request body as JSON, or @FILE")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    parser.add_argument("--limit", type=int, default=50, help="items of a paged listing (50)")
    parser.add_argument("--output", help="file for a binary answer (pcap, audio)")
    parser.add_argument(
        "--describe", action="store_true", help="show the action's parameters instead of calling"
    )
    parser.set_defaults(func=run)
