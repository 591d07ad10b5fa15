"""The webhook app's startup line: what it serves, logged once, visible by default.

Why its own module: ``_app`` handles requests; this only describes the configuration
(paths, signature checking) once, at ASGI ``lifespan.startup`` or, with a server that
sends no lifespan events, at the first request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from .._log import show_logs

__all__ = ["announce", "startup_line"]

_log = logging.getLogger("jambonz_runtime.webhook")


def startup_line(
    call_hooks: Iterable[str],
    action_hooks: Iterable[str],
    status_path: str | None,
    *,
    signed: bool,
    basic_auth: bool,
) -> str:
    """One line: the call hook paths, the action hooks, the status path, the security."""
    parts = [f"call hooks {', '.join(sorted(call_hooks)) or '(none)'}"]
    hooks = sorted(action_hooks)
    if hooks:
        parts.append(f"action hooks {', '.join(hooks)}")
    if status_path is not None:
        parts.append(f"call status {status_path}")
    security = "Jambonz-Signature checked" if signed else "signatures NOT checked"
    if basic_auth:
        security += ", basic auth"
    return f"jambonz-typed webhook app ready: {'; '.join(parts)} ({security})"


def announce(line: str) -> None:
    """Log ``line`` at INFO (adding a stderr handler if the app set up no logging)."""
    show_logs()
    _log.info("%s", line)
