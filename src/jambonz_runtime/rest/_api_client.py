"""``JambonzClient`` and ``AsyncJambonzClient``: the whole REST API, generated, sync and async.

Both get their resources (``client.applications``, ``client.phone_numbers``,
``client.calls``, ...: one method per operation of the api-server's OpenAPI spec plus
the overrides) from ``_generated/`` and differ only in their transport. Settings come
from the arguments or the environment:

* ``JAMBONZ_API_URL``: e.g. ``https://api.jambonz.cloud`` (``/v1`` is added);
* ``JAMBONZ_ACCOUNT_SID``: the account operations default to (``account_sid=...``);
* ``JAMBONZ_API_KEY``: the bearer token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from typing_extensions import Self

from ..exceptions import ConfigurationError
from ._generated.aio import AsyncApi
from ._generated.sync import SyncApi
from ._transport import AsyncTransport, RetryPolicy, SyncTransport, _Base

if TYPE_CHECKING:
    import httpx

__all__ = ["ENV_ACCOUNT_SID", "ENV_API_KEY", "ENV_API_URL", "AsyncJambonzClient", "JambonzClient"]

ENV_API_URL = "JAMBONZ_API_URL"
ENV_ACCOUNT_SID = "JAMBONZ_ACCOUNT_SID"
ENV_API_KEY = "JAMBONZ_API_KEY"
DEFAULT_TIMEOUT = 10.0


def _settings(
    base_url: str | None, account_sid: str | None, api_key: str | None, env: Mapping[str, str]
) -> tuple[str, str | None, str]:
    url = base_url or env.get(ENV_API_URL)
    key = api_key or env.get(ENV_API_KEY)
    missing = [name for name, value in ((ENV_API_URL, url), (ENV_API_KEY, key)) if not value]
    if missing or url is None or key is None:
        raise ConfigurationError(
            f"the jambonz REST client needs {' and '.join(missing)}: pass "
            "base_url=/api_key= or set the environment variable(s)"
        )
    return url, account_sid or env.get(ENV_ACCOUNT_SID) or None, key


class _Settings:
    """What both clients show of their settings (never the API key)."""

    _transport: _Base

    @property
    def account_sid(self) -> str | None:
        """The default account of account-scoped operations."""
        return self._transport.account_sid

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._transport.root!r}, "
            f"account_sid={self.account_sid!r})"
        )


class JambonzClient(SyncApi, _Settings):
    """Blocking client of the whole jambonz REST API.

    Args:
        base_url: API root (``https://api.jambonz.cloud``); default ``$JAMBONZ_API_URL``.
        account_sid: account that account-scoped operations use unless given one;
            default ``$JAMBONZ_ACCOUNT_SID``.
        api_key: bearer API key; default ``$JAMBONZ_API_KEY``.
        timeout: seconds for connect, read and write of each attempt.
        retry: the :class:`RetryPolicy` (429/502/503/504, ``Retry-After``, bounded).
        http_client: an ``httpx.Client`` to use instead of a new one (not closed by us).
        env: where to read the variables (default ``os.environ``).

    Raises:
        ConfigurationError: no URL or no API key.
        MissingExtra: httpx is not installed (``pip install 'jambonz-typed[rest]'``).
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        account_sid: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        url, sid, key = _settings(
            base_url, account_sid, api_key, os.environ if env is None else env
        )
        self._transport: SyncTransport = SyncTransport(
            base_url=url,
            account_sid=sid,
            api_key=key,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            http_client=http_client,
        )
        super().__init__(self._transport)

    def close(self) -> None:
        """Close the HTTP connection pool (if the client created it)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncJambonzClient(AsyncApi, _Settings):
    """Asyncio client of the whole jambonz REST API (same arguments as :class:`JambonzClient`,
    ``http_client`` an ``httpx.AsyncClient``)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        account_sid: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        url, sid, key = _settings(
            base_url, account_sid, api_key, os.environ if env is None else env
        )
        self._transport: AsyncTransport = AsyncTransport(
            base_url=url,
            account_sid=sid,
            api_key=key,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            http_client=http_client,
        )
        super().__init__(self._transport)

    async def aclose(self) -> None:
        """Close the HTTP connection pool (if the client created it)."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
