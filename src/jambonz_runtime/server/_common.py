"""What the two control-socket transports share: the subprotocol and the server's settings.

Why a module of its own: :mod:`._server` (websockets' asyncio server, and the owner of
the settings) starts :mod:`._direct` (the lean sans-I/O transport); the direct transport
needs only the settings and the routing, described here as a protocol, so it never
imports the server module back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, Literal, Protocol

import websockets
from typing_extensions import Never
from websockets.typing import Subprotocol

if TYPE_CHECKING:
    import socket

    from websockets.asyncio.server import ServerConnection
    from websockets.http11 import Request, Response

    from ..app import App
    from ._dispatch import Connection

__all__ = ["OPTIONS_SUPPORTED", "SUBPROTOCOL", "ServerSettings"]

SUBPROTOCOL: Final[Subprotocol] = Subprotocol("ws.jambonz.org")
"""The only subprotocol jambonz offers on its control socket."""

OPTIONS_SUPPORTED: Final[bool] = int(websockets.version.version.split(".")[0]) >= 17
"""Whether HTTP ``OPTIONS`` env-var discovery can be served on the app port.

websockets < 17 (the newest release for Python 3.10) parses only ``GET`` requests and
answers anything else with an error before the app sees it; use Python >= 3.11 (and so
websockets >= 17) when the jambonz portal should discover the app's env vars."""


class ServerSettings(Protocol):
    """What a transport reads from :class:`~jambonz_runtime.server.JambonzServer`."""

    @property
    def host(self) -> str: ...

    @property
    def _port(self) -> int: ...

    @property
    def max_message_size(self) -> int: ...

    @property
    def max_outbound_bytes(self) -> int: ...

    @property
    def open_timeout(self) -> float: ...

    @property
    def ping_interval(self) -> float | None: ...

    @property
    def compression(self) -> Literal["deflate"] | None: ...

    @property
    def reuse_port(self) -> bool: ...

    @property
    def sock(self) -> socket.socket | None: ...

    def _connection(
        self,
        app: App[Never],
        path: str,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        request_path: str,
        send_now: Callable[[str], bool] | None = None,
    ) -> Connection:
        """A new control connection, counted by the server until :meth:`_forget`.

        ``send_now``: the transport's synchronous send, if it has one (see
        :class:`~jambonz_runtime.server._dispatch.Connection`).
        """
        ...

    def _forget(self, conn: Connection) -> None:
        """The connection is gone (its handlers done)."""
        ...

    def route(self, request_path: str) -> tuple[App[Never], str] | None:
        """The app and session path serving ``request_path``, or ``None``."""
        ...

    def _plain_route(self, request_path: str) -> tuple[App[Never], str] | None:
        """The route of a plain upgrade without credentials, if nothing else applies."""
        ...

    def _process_request(
        self, connection: ServerConnection | None, request: Request
    ) -> Response | None:
        """Answer a request before the upgrade (auth, OPTIONS, ...), or ``None``."""
        ...
