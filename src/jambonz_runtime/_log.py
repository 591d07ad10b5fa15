"""Per-call logging: every record of a call carries its ``call_sid``.

Why its own module, at the bottom of the runtime: sessions, call flows, the server's
dispatcher, audio sockets and the webhook app all log per call, and none of them should
have to import another to do so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING

__all__ = ["CallLogger", "call_logger"]

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
