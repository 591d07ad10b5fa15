"""The ``jambonz-typed`` command (also ``python -m jambonz_runtime``).

Why it ships with the runtime: checking a verb array, starting a project and trying a
call flow are the first three things a developer does, and none of them should need a
jambonz account. Commands (one module each):

* ``validate FILE...``: verb arrays checked as the jambonz server does (:mod:`.validate`);
* ``new NAME``: a project that passes its tests and mypy --strict (:mod:`.new`);
* ``call MODULE:APP``: a simulated phone call in text (:mod:`.call`);
* ``schema [VERB]``: the vendored schema version and each verb's needs (:mod:`.schema`);
* ``serve MODULE:APP``: production serving, ``--workers N``, ``--store`` (:mod:`.serve`);
* ``api RESOURCE ACTION``: the jambonz REST API through the typed client (:mod:`.api`).

Only the standard library's argparse; errors are one line on stderr (``--debug`` adds
the traceback); colour only on a terminal without ``NO_COLOR``.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import Final

from ._console import CliError, Console

__all__ = ["build_parser", "main"]

PROG: Final = "jambonz-typed"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    from . import api, call, new, schema, serve, validate

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks (and debug logs) on errors",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Command line of jambonz-typed: check verb arrays, start a typed app project, "
            "call an app through the built-in jambonz simulator, inspect the schemas, "
            "call the REST API."
        ),
        epilog=f"'{PROG} COMMAND --help' describes each command.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks (and debug logs) on errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (validate, new, call, schema, serve, api):
        module.add_parser(commands, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 failure, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    console = Console(sys.stdout, sys.stderr, debug=debug)
    try:
        status: int = args.func(args, console)
    except CliError as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        console.error(f"{PROG}: error: {exc}")
        return 1
    except KeyboardInterrupt:
        console.error(f"{PROG}: interrupted")
        return 130
    except BrokenPipeError:
        return 1  # output piped into e.g. head, which stopped reading
    except Exception as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
            return 1
        console.error(
            f"{PROG}: error: {type(exc).__name__}: {exc} (run with --debug for the traceback)"
        )
        return 1
    return status
