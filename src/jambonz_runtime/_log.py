"""Per-call logging: every record of a call carries its ``call_sid``.

Why its own module, at the bottom of the runtime: sessions, call flows, the server's
dispatcher, audio sockets and the webhook app all log per call, and none of them should
have to import another to do so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING

__all__ = ["DEFAULT_FORMAT", "CallLogger", "call_logger", "show_logs_by_default"]

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


DEFAULT_FORMAT = "%(levelname)s:%(name)s: %(message)s"
"""The format of the handler :func:`show_logs_by_default` adds."""


def show_logs_by_default(level: int = logging.INFO) -> bool:
    """Make the runtime's INFO logs visible when the app has configured no logging.

    Why: Python's root logger defaults to WARNING with no handler, so a startup line or
    ``session.log.info(...)`` under uvicorn showed nothing at all, and a newcomer could
    not tell the app was running. Like uvicorn and aiohttp, the runtime then adds one
    stderr handler to its own ``jambonz_runtime`` logger (INFO unless a level was set).
    As soon as any handler exists on that logger or above it (``logging.basicConfig``,
    ``dictConfig``, pytest's capture), nothing is changed: the app's setup wins.

    Returns:
        whether the handler was added.
    """
    if _log.hasHandlers():
        return False
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(DEFAULT_FORMAT))
    _log.addHandler(handler)
    if _log.level == logging.NOTSET:
        _log.setLevel(level)
    return True
