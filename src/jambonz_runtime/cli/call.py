"""``jambonz-typed call MODULE:APP``: a phone call to your app, in text, in seconds.

Why: trying a call flow should not need a jambonz account, a phone number or a phone.
The simulator places an inbound call to the app over a loopback websocket, exactly as
jambonz would connect; this command prints what the caller hears (say text, played
URLs), where the call is dialed, each hook jambonz sends back with its typed payload and
every ``call:status``, and asks you for speech or digits whenever a ``gather`` listens.
``--script answers.txt`` replays answers from a file for demos and tests. The behaviour
lives in :mod:`._callsim`; this module loads the app and prints.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from pydantic import JsonValue

from ..app import App
from ._callsim import (
    DIAL_OUTCOMES,
    AppProblem,
    CallerAnswer,
    CallerDid,
    CallEvent,
    CallFinished,
    CallStarted,
    CommandReceived,
    Dialed,
    DialOutcome,
    Digits,
    HangUp,
    Heard,
    HookSent,
    Listening,
    Note,
    Paused,
    ScriptCaller,
    Silence,
    Skipped,
    Spoken,
    StatusSent,
    ToolCalled,
    ToolRequest,
    VerbsReceived,
    parse_answer,
    parse_tool_call,
    run_call,
)
from ._console import CliError, Console

__all__ = ["EventPrinter", "TerminalCaller", "add_parser", "load_app", "pick_path", "run"]

_MAX_PROMPTS: Final = 3
_MAX_TOOL_CALLS: Final = 20


def load_app(spec: str) -> App[Any]:
    """Import ``module:attr`` (or ``path/to/file.py:attr``; ``attr`` defaults to ``app``).

    ``attr`` may be an :class:`App` or a function that returns one (a factory). The
    current directory (and its ``src`` folder) is importable, as with ``python -m``.

    Raises:
        CliError: the module cannot be imported or holds no such app.
    """
    target, sep, attr = spec.partition(":")
    attr = attr if sep else "app"
    if not target or not attr:
        raise CliError(f"{spec!r}: expected MODULE:APP, e.g. myapp.main:app")
    # Like ``python -m``: the current directory is importable, and so is ./src of a
    # src-layout project that is not installed yet.
    for folder in (Path.cwd() / "src", Path.cwd()):
        if folder.is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    try:
        if target.endswith(".py"):
            module = _import_file(Path(target))
        else:
            module = importlib.import_module(target)
    except CliError:
        raise
    except ModuleNotFoundError as exc:
        if exc.name and target.split(".")[0] == exc.name.split(".")[0]:
            raise CliError(
                f"cannot import {target!r}: {exc} (run from the project directory or set "
                "PYTHONPATH)"
            ) from exc
        raise CliError(f"importing {target!r} failed: {exc}") from exc
    except Exception as exc:  # the user's module raised while importing: say what, not where
        raise CliError(f"importing {target!r} failed: {type(exc).__name__}: {exc}") from exc
    obj: object = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise CliError(f"{target!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not isinstance(obj, App) and callable(obj):
        try:
            obj = obj()
        except Exception as exc:
            raise CliError(f"{spec}() raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(obj, App):
        raise CliError(f"{spec} is a {type(obj).__name__}, not a jambonz_runtime.App")
    return obj


def _import_file(path: Path) -> object:
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    name = f"_jambonz_call_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CliError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def pick_path(app: App[Any], path: str | None) -> str:
    """The websocket path to call: ``path`` if the app answers it, else its only path
    (or ``/`` among several)."""
    paths = app.paths
    if path is not None:
        if path not in paths:
            raise CliError(f"the app answers no session at {path!r}; its paths: {', '.join(paths)}")
        return path
    if len(paths) == 1:
        return paths[0]
    if "/" in paths:
        return "/"
    if not paths:
        raise CliError("the app has no @app.on_session(...) handler, so nothing answers a call")
    raise CliError(f"the app answers several paths, choose one with --path: {', '.join(paths)}")


class TerminalCaller:
    """The caller is you, typing at the terminal."""

    def __init__(self, console: Console, default_dial: DialOutcome) -> None:
        self.console = console
        self.default_dial = default_dial

    async def _line(self, prompt: str) -> str | None:
        """One line typed at the prompt; ``None`` at end of input (Ctrl-D)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str | None] = loop.create_future()

        def deliver(line: str | None) -> None:
            if not done.done():
                done.set_result(line)

        def read() -> None:
            try:
                line: str | None = input(prompt)
            except (EOFError, OSError):
                line = None
            loop.call_soon_threadsafe(deliver, line)

        # input() blocks: read in a daemon thread so the app keeps being served and
        # Ctrl-C exits at once instead of waiting for a line that never comes.
        threading.Thread(target=read, name="jambonz-call-input", daemon=True).start()
        return await done

    async def answer(self, listening: Listening) -> CallerAnswer:
        """Ask until the answer fits the gather (a few times); end of input hangs up."""
        kinds = " or ".join("keys" if k == "digits" else "words" for k in listening.inputs)
        prompt = f"caller ({kinds}; empty = silence; 'hangup' or Ctrl-D hangs up)> "
        for _ in range(_MAX_PROMPTS):
            line = await self._line(self.console.style(prompt, "yellow"))
            if line is None:
                return HangUp()
            answer = parse_answer(line, listening.inputs)
            if isinstance(answer, Digits) and "digits" not in listening.inputs:
                self.console.print("  this gather does not listen for keys")
            elif isinstance(answer, Spoken) and "speech" not in listening.inputs:
                self.console.print("  this gather does not listen for speech")
            else:
                return answer
        return Silence()

    async def dial_outcome(self, dialed: Sequence[str]) -> DialOutcome:
        """The ``--dial`` outcome (no question asked)."""
        return self.default_dial

    async def tool_calls(self, verb: str) -> list[ToolRequest]:
        """Ask for the tool calls the LLM makes, one ``NAME {json args}`` per line."""
        self.console.print(f"  {verb}: the LLM may call the app's tools now")
        prompt = self.console.style("tool (NAME {json args}; empty = none)> ", "yellow")
        calls: list[ToolRequest] = []
        for _ in range(_MAX_TOOL_CALLS):
            line = await self._line(prompt)
            if not line or not line.strip():
                break
            try:
                calls.append(parse_tool_call(line))
            except ValueError as exc:
                self.console.print(f"  {exc}")
        return calls


class EventPrinter:
    """Turns simulation events into the lines of the transcript."""

    def __init__(self, console: Console, *, verbose: bool = False, echo_input: bool = True):
        self.console = console
        self.verbose = verbose
        self.echo_input = echo_input
        """Print what the caller did (off when they just typed it at the prompt)."""

    def __call__(self, event: CallEvent) -> None:
        """Print one event."""
        s = self.console.style
        out = self.console.print
        if isinstance(event, CallStarted):
            out(
                s(f"calling {event.path} ", "bold")
                + f"from {event.from_} to {event.to} (call_sid {event.call_sid})"
            )
            out(
                s(
                    f"  jambonz simulator -> {event.url}{event.path}, subprotocol ws.jambonz.org",
                    "dim",
                )
            )
        elif isinstance(event, VerbsReceived):
            names = ", ".join(event.verbs) or "no verbs"
            out(s(f"  app -> [{names}] (answering {event.answering})", "dim"))
            if self.verbose:
                out(s("    " + json.dumps(event.data, ensure_ascii=False), "dim"))
        elif isinstance(event, Heard):
            if event.kind == "say" and event.streamed:
                text = f"caller hears (streamed): {event.text}"
            elif event.kind == "say":
                text = f'caller hears: "{event.text}"'
                if event.alternatives:
                    others = " | ".join(f'"{t}"' for t in event.alternatives)
                    text = f"caller hears one of: {others}"
            else:
                text = f"caller hears audio: {event.text}"
            out(s(text, "green"))
        elif isinstance(event, Paused):
            out(s(f"  ... {event.seconds:g} s of silence", "dim"))
        elif isinstance(event, Listening):
            kinds = " and ".join(event.inputs)
            extra = f", {event.num_digits} digit(s)" if event.num_digits else ""
            hook = f" -> {event.hook}" if event.hook else " (no actionHook)"
            out(s(f"  gather: jambonz listens for {kinds}{extra}{hook}", "magenta"))
        elif isinstance(event, CallerDid):
            if self.echo_input:
                out(s(_describe_answer(event.answer), "yellow"))
        elif isinstance(event, Dialed):
            out(s(f"dial: {', '.join(event.targets)} -> {event.outcome}", "blue"))
        elif isinstance(event, HookSent):
            payload = event.payload.to_json()
            out(
                s(f"  {event.type} {event.hook} ", "magenta")
                + s(f"{type(event.payload).__name__} {payload}", "dim")
            )
        elif isinstance(event, StatusSent):
            status = event.payload.call_status
            out(s(f"call:status {status}", "cyan"))
        elif isinstance(event, Skipped):
            out(s(f"  {event.verb}: {event.detail} (not simulated, next verb)", "dim"))
        elif isinstance(event, Note):
            out(s(f"  note: {event.text}", "dim"))
        elif isinstance(event, CommandReceived):
            data = json.dumps(event.data, ensure_ascii=False)
            out(s(f"  app command {event.command}: {data[:200]}", "magenta"))
        elif isinstance(event, ToolCalled):
            args = json.dumps(event.args, ensure_ascii=False)
            out(
                s(f"  llm:tool-call {event.hook} ", "magenta")
                + s(f"{event.name} {args} ({event.tool_call_id})", "dim")
            )
        elif isinstance(event, AppProblem):
            out(s(f"app error: {event.text}", "red", "bold"))
        elif isinstance(event, CallFinished):
            colour = "cyan" if event.ok else "red"
            out(s(f"call ended: {event.reason}", colour, "bold"))


def _describe_answer(answer: CallerAnswer) -> str:
    if isinstance(answer, Digits):
        return f"caller presses: {answer.digits}"
    if isinstance(answer, Spoken):
        return f'caller says: "{answer.text}"'
    if isinstance(answer, Silence):
        return "caller stays silent"
    return "caller hangs up"


class _AppLogHandler(logging.Handler):
    """Shows the app's and runtime's log records as short lines (tracebacks with --debug)."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.DEBUG if console.debug else logging.WARNING)
        self.console = console
        self.errors = 0
        """Records at ERROR or above: a handler that raised, a protocol violation, an
        unsent command, or the app's own ``log.error``; any of them fails the call."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.errors += 1
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message += f": {type(exc).__name__}: {exc}"
            if self.console.debug:
                message = self.format(record)
            else:
                message += " (--debug shows the traceback)"
        colour = "red" if record.levelno >= logging.ERROR else "yellow"
        self.console.error(
            self.console.err_style(f"[{record.levelname.lower()}] {message}", colour)
        )


def _env_vars(pairs: Sequence[str] | None) -> dict[str, JsonValue]:
    """``NAME=VALUE`` pairs; a VALUE that is JSON (``3``, ``true``) is decoded."""
    out: dict[str, JsonValue] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CliError(f"--env {pair!r}: expected NAME=VALUE")
        try:
            decoded: JsonValue = json.loads(value)
        except ValueError:
            decoded = value
        out[name] = decoded if isinstance(decoded, (int, float, bool)) else value
    return out


def run(args: argparse.Namespace, console: Console) -> int:
    """Place the call; 0 when it ran to its end cleanly, 1 when the app misbehaved.

    Misbehaved: the call could not finish (a bad answer, a timeout), or anything was
    logged at ERROR during it (a handler raised, a protocol violation, ...).
    """
    app = load_app(args.app)
    path = pick_path(app, args.path)
    script: str | None = args.script
    interactive = script is None and sys.stdin.isatty()
    caller: ScriptCaller | TerminalCaller
    if interactive:
        caller = TerminalCaller(console, args.dial)
    else:
        # A script file, or answers piped into stdin: read them all up front.
        try:
            if script is None or script == "-":
                lines = sys.stdin.read().splitlines()
            else:
                lines = Path(script).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise CliError(f"cannot read script {script}: {exc.strerror or exc}") from exc
        caller = ScriptCaller(lines, default_dial=args.dial)
    printer = EventPrinter(console, verbose=args.verbose, echo_input=not interactive)

    handler = _AppLogHandler(console)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    if console.debug:
        root.setLevel(logging.DEBUG)
    try:
        ended = asyncio.run(
            run_call(
                app,
                caller,
                printer,
                path=path,
                from_=args.from_,
                to=args.to,
                timeout=args.timeout,
                max_verbs=args.max_verbs,
                env_vars=_env_vars(args.env),
            )
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    if handler.errors:
        # A scripted call in CI must fail when the app is broken, even if the call went
        # on (the runtime answers a failing handler with the app's error_reply).
        console.error(
            console.err_style(
                f"the app logged {handler.errors} error(s) during the call: exit status 1",
                "red",
            )
        )
        return 1
    return 0 if ended.ok else 1


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register ``call`` on the top-level parser."""
    parser = commands.add_parser(
        "call",
        parents=parents,
        help="place a simulated phone call to an app, in text",
        description=(
            "Place an inbound call to MODULE:APP through the built-in jambonz simulator "
            "(loopback websocket; no jambonz account, no phone) and print what the caller "
            "hears, every hook jambonz sends back with its typed payload and every "
            "call:status. When a gather listens you type digits or words (empty line: "
            "silence; 'hangup' or Ctrl-D: hang up)."
        ),
        epilog=(
            "script format (--script): one line per gather: keys like 1 or 12# are pressed, "
            "other text is spoken ('digits: 12', 'speech: yes' to be explicit), 'silence' "
            "times out, 'hangup' hangs up; 'dial: busy' (completed, no-answer, failed) where "
            "a dial runs decides its outcome; 'tool: NAME {json args}' lines where an llm "
            "(or *_s2s) verb runs are tool calls the LLM makes, each to be answered by the "
            "app with an llm:tool-output command; blank lines and lines starting with '# ' are "
            "skipped. When the script runs out the caller hangs up. Exit status 1 when the "
            "call could not finish or anything was logged at ERROR (a handler raised, a "
            "protocol violation), so a scripted call in CI fails when the app is broken."
        ),
    )
    parser.add_argument(
        "app",
        metavar="MODULE:APP",
        help="the app: module:attribute or file.py:attribute (attribute defaults to 'app'; "
        "an App or a function returning one)",
    )
    parser.add_argument("--path", help="websocket path to call (default: the app's only path)")
    parser.add_argument("--from", dest="from_", default="+15551230000", help="caller number")
    parser.add_argument("--to", default="+15559870000", help="called number")
    parser.add_argument(
        "--script", metavar="FILE", help="read the caller's answers from FILE (- for stdin)"
    )
    parser.add_argument(
        "--dial",
        choices=DIAL_OUTCOMES,
        default="completed",
        help="how dial verbs end unless the script says otherwise (default: completed)",
    )
    parser.add_argument(
        "--env",
        action="append",
        metavar="NAME=VALUE",
        help="an application env var, sent in session:new as jambonz does (repeatable)",
    )
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for each app answer"
    )
    parser.add_argument(
        "--max-verbs", type=int, default=200, help="stop after this many verbs (loop guard)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also print each verb array as JSON"
    )
    parser.set_defaults(func=run)
