"""Per-call logging: every record of a call carries its ``call_sid``.

Why its own module, at the bottom of the runtime: sessions, call flows, the server's
dispatcher, audio sockets and the webhook app all log per call, and none of them should
have to import another to do so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING

__all__ = ["CallLogger", "call_logger", "show_logs"]

_log = logging.getLogger("jambonz_runtime")


if TYPE_CHECKING:
    _LoggerAdapter = logging.LoggerAdapter[logging.Logger]
else:  # LoggerAdapter is subscriptable at run time only from Python 3.11
    _LoggerAdapter = logging.LoggerAdapter


class CallLogger(_LoggerAdapter):
    """Adds ``call_sid`` to every record (``record.call_sid``) and to the message text."""

    def process(
        self, msg: object, kwargs: MutableMapping[str, object]
    ) -> tuple[object, MutableMapping[str, object]]:
        """Attach the call sid; see :class:`logging.LoggerAdapter`."""
        call_sid = (self.extra or {}).get("call_sid") or "-"
        extra = kwargs.get("extra")
        merged: dict[str, object] = dict(extra) if isinstance(extra, Mapping) else {}
        merged.setdefault("call_sid", call_sid)
        kwargs["extra"] = merged
        return f"[{call_sid}] {msg}", kwargs


def call_logger(call_sid: str | None, base: logging.Logger | None = None) -> CallLogger:
    """A logger whose records carry ``call_sid``."""
    return CallLogger(base or _log, {"call_sid": call_sid or "-"})


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def show_logs(level: int = logging.INFO) -> bool:
    """Make the runtime's INFO lines visible when the program configured no logging.

    Why: a server that prints nothing looks dead, and Python's default (no handler,
    root at WARNING) hides the "serving on ..." line and ``session.log.info(...)``.
    Like uvicorn and aiohttp, attach a stderr handler to the ``jambonz_runtime`` logger,
    but only when neither the root logger nor that one has a handler: an app that set
    up logging keeps exactly its setup. Returns whether a handler was added.
    """
    runtime = logging.getLogger("jambonz_runtime")
    if logging.getLogger().handlers or runtime.handlers:
        return False
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    runtime.addHandler(handler)
    if runtime.level == logging.NOTSET or runtime.level > level:
        runtime.setLevel(level)
    return True
