"""``open_store``: a session store from a URL, as the ``serve --store`` option takes it."""

from __future__ import annotations

from urllib.parse import urlsplit

from ..exceptions import ConfigurationError
from ._base import SessionStore
from ._memory import MemoryStore
from ._redis import RedisStore

__all__ = ["open_store"]


def open_store(url: str) -> SessionStore:
    """``redis://``/``rediss://``/``unix://`` URLs give a :class:`RedisStore`; ``memory://``
    a :class:`MemoryStore`.

    Raises:
        ConfigurationError: another scheme.
        MissingExtra: a Redis URL without the ``redis`` package installed.
    """
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss", "unix"):
        return RedisStore(url)
    if scheme == "memory":
        return MemoryStore()
    raise ConfigurationError(
        f"unknown session store URL {url!r}: use redis://host:port/db or memory://"
    )
