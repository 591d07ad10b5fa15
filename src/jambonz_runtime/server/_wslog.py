"""The logger handed to websockets' asyncio server: a peer's bad handshake is one line.

Why: websockets < 17 (the newest on Python 3.10) logs every failed opening handshake
(a port scanner, HTTP garbage, a client that hangs up mid-request) at ERROR *with a
traceback* of three chained exceptions, through the logger the server is given; a peer
could fill the log with tracebacks at will. Newer websockets answer such requests and
log one INFO line. This adapter makes both the same: that record becomes one INFO line
naming the reason (bounded), and every other record passes unchanged.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from ..exceptions import preview

__all__ = ["PeerSafeLogger"]

if TYPE_CHECKING:
    _LoggerAdapter = logging.LoggerAdapter[logging.Logger]
else:  # LoggerAdapter is subscriptable at run time only from Python 3.11
    _LoggerAdapter = logging.LoggerAdapter

_HANDSHAKE_FAILED = "opening handshake failed"


class PeerSafeLogger(_LoggerAdapter):
    """Logs websockets' "opening handshake failed" as one INFO line, without traceback."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        """Rewrite the failed-handshake record; log every other one as given."""
        if msg == _HANDSHAKE_FAILED and kwargs.get("exc_info"):
            info = kwargs.pop("exc_info")
            exc = sys.exc_info()[1] if info is True else info
            reason = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else ""
            if isinstance(exc, BaseException) and exc.__cause__ is not None:
                reason += f" ({exc.__cause__})"
            level, msg, args = logging.INFO, "%s: %s", (_HANDSHAKE_FAILED, preview(reason, 120))
        super().log(level, msg, *args, **kwargs)  # type: ignore[arg-type]
