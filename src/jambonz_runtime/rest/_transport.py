"""HTTP transport of the generated REST resources: one sync and one async flavour, same rules.

The generated resource methods (``_generated/sync.py``, ``_generated/aio.py``) only say
*what* to send; this module decides *how*: URL building, bearer auth, JSON encoding,
timeouts, bounded retries with backoff, and the mapping of error statuses to typed
exceptions carrying the server's body.

Retry policy (:class:`RetryPolicy`): 429, 502, 503 and 504 are retried up to
``max_retries`` times, waiting ``Retry-After`` when the server sends one (capped at
``max_wait``) or else ``backoff * 2**attempt`` (capped too). A non-idempotent request
(POST: create a call, send an SMS) is never retried unless ``retry_non_idempotent`` is
set: a 503 from a proxy does not prove the server did nothing, and a second call placed
is worse than an error.
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Final, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, JsonValue, TypeAdapter, ValidationError

from ..exceptions import (
    ConfigurationError,
    MissingExtra,
    RestAuthError,
    RestBadRequest,
    RestClientError,
    RestConnectionError,
    RestNotFound,
    RestRateLimited,
    RestResponseError,
    RestServerError,
    RestStatusError,
    RestUnprocessable,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncTransport", "Response", "RetryPolicy", "SyncTransport"]

_log = logging.getLogger("jambonz_runtime.rest")
_M = TypeVar("_M", bound=BaseModel)
_USER_AGENT: Final = "jambonz-typed"
RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
_STATUS_ERRORS: Final[dict[int, type[RestStatusError]]] = {
    400: RestBadRequest,
    401: RestAuthError,
    403: RestAuthError,
    404: RestNotFound,
    422: RestUnprocessable,
    429: RestRateLimited,
}
_JSON: TypeAdapter[JsonValue] = TypeAdapter(JsonValue)

Body = BaseModel | Sequence[BaseModel] | Sequence[str] | None
Query = Mapping[str, str | int | float | bool | None]


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry (see the module docstring)."""

    max_retries: int = 3
    """Retries after the first attempt (0 disables retrying)."""
    backoff: float = 0.5
    """First wait in seconds without ``Retry-After``; doubles per attempt."""
    max_wait: float = 30.0
    """Upper bound of any one wait, ``Retry-After`` included."""
    retry_non_idempotent: bool = False
    """Also retry POST requests (may repeat a side effect)."""

    def wait(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        parsed = parse_retry_after(retry_after)
        base = parsed if parsed is not None else self.backoff * (2**attempt)
        return max(0.0, min(base, self.max_wait))


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; ``None`` if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class Response:
    """A 2xx answer as the generated code reads it."""

    method: str
    url: str
    status: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def _import_httpx() -> ModuleType:
    try:
        return importlib.import_module("httpx")
    except ModuleNotFoundError as exc:
        raise MissingExtra(
            "the REST client needs httpx: pip install 'jambonz-typed[rest]'"
        ) from exc


def server_message(body: str) -> str:
    """The explanation in an error body: ``{"msg"}``, ``{"message"}``, ``{"errors"}`` or text."""
    try:
        data: object = json.loads(body)
    except ValueError:
        return body.strip()[:500]
    if isinstance(data, dict):
        for key in ("msg", "message"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            parts = [e.get("msg", e) if isinstance(e, dict) else e for e in errors]
            return "; ".join(str(p) for p in parts)
    return body.strip()[:500]


def status_error(method: str, url: str, status: int, body: str, reason: str) -> RestStatusError:
    """The typed exception for an error status (subclass by status, then by class)."""
    message = server_message(body) or reason or f"HTTP {status}"
    kind = _STATUS_ERRORS.get(status) or (
        RestServerError if status >= 500 else RestClientError if status >= 400 else RestStatusError
    )
    return kind(method, url, status, message, body)


def _raise_status(answer: httpx.Response, method: str, url: str) -> RestStatusError:
    err = status_error(method, url, answer.status_code, answer.text, answer.reason_phrase)
    if isinstance(err, RestRateLimited):
        err.retry_after = parse_retry_after(answer.headers.get("Retry-After"))
    return err


def _encode(body: Body) -> bytes | None:
    if body is None:
        return None
    data: JsonValue
    if isinstance(body, BaseModel):
        data = body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    else:
        data = [
            b.model_dump(mode="json", by_alias=True, exclude_unset=True)
            if isinstance(b, BaseModel)
            else b
            for b in body
        ]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _query(query: Query) -> dict[str, str]:
    out = {}
    for key, value in query.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


class _Base:
    """What both transports share: configuration, URLs, parsing (no I/O)."""

    def __init__(
        self, *, base_url: str, account_sid: str | None, api_key: str, retry: RetryPolicy
    ) -> None:
        root = base_url.rstrip("/")
        if not root.startswith(("http://", "https://")):
            raise ConfigurationError(f"base_url must be an http(s):// URL, got {base_url!r}")
        self.root: str = root if root.endswith("/v1") else f"{root}/v1"
        self.account_sid: str | None = account_sid
        self.retry: RetryPolicy = retry
        self._httpx: ModuleType = _import_httpx()
        self._headers: dict[str, str] = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        }

    def account(self, sid: str | None) -> str:
        """The account sid a path needs: the argument, else the client's."""
        sid = sid or self.account_sid
        if not sid:
            raise ConfigurationError(
                "this operation needs an account sid: pass account_sid=... or set "
                "JAMBONZ_ACCOUNT_SID / the client's account_sid"
            )
        return sid

    def url(self, template: str, path: Mapping[str, str]) -> str:
        """The full URL; an empty path parameter is refused (it would name another route)."""
        for name, value in path.items():
            if not str(value):
                raise ConfigurationError(f"{template}: {name} must not be empty")
            template = template.replace("{" + name + "}", quote(str(value), safe=""))
        return self.root + template

    def prepare(
        self, method: str, template: str, path: Mapping[str, str], body: Body, accept: str
    ) -> tuple[str, bytes | None, dict[str, str]]:
        """URL, encoded body and headers of one request."""
        url, content = self.url(template, path), _encode(body)
        headers = {**self._headers, "Accept": accept}
        if content is not None:
            headers["Content-Type"] = "application/json"
        return url, content, headers

    def outcome(
        self, answer: httpx.Response, method: str, url: str, idempotent: bool, attempt: int
    ) -> Response | float:
        """The :class:`Response` of a 2xx answer, or seconds to wait before retrying;
        raises the typed error of a final error status."""
        status = answer.status_code
        _log.debug("%s %s -> %d", method, url, status)
        if (
            status in RETRY_STATUSES
            and attempt < self.retry.max_retries
            and (idempotent or self.retry.retry_non_idempotent)
        ):
            wait = self.retry.wait(attempt, answer.headers.get("Retry-After"))
            _log.info("%s %s -> %d, retrying in %.2f s", method, url, status, wait)
            return wait
        if not 200 <= status < 300:
            raise _raise_status(answer, method, url)
        return Response(method, url, status, answer.content)

    def no_answer(self, exc: Exception, method: str, url: str) -> RestConnectionError:
        """The error for a request that got no HTTP answer."""
        if isinstance(exc, self._httpx.TimeoutException):
            return RestConnectionError(method, url, f"timed out: {exc!r}")
        return RestConnectionError(method, url, f"{type(exc).__name__}: {exc}")

    # -- parsing the answer ----------------------------------------------------------

    def _validation(self, response: Response, what: str, exc: Exception) -> RestResponseError:
        return RestResponseError(
            response.method, response.url, response.status, response.text, f"not {what}: {exc}"
        )

    def model(self, cls: type[_M], response: Response) -> _M:
        """The body as ``cls`` (:class:`RestResponseError` if it is not one)."""
        try:
            return cls.model_validate_json(response.content)
        except ValidationError as exc:
            raise self._validation(response, f"a {cls.__name__}", exc) from exc

    def optional_model(self, cls: type[_M], response: Response) -> _M | None:
        """``None`` for an empty answer (202/204), else the body as ``cls``."""
        if not response.content.strip():
            return None
        return self.model(cls, response)

    def models(self, cls: type[_M], response: Response) -> list[_M]:
        """The body as a list of ``cls``."""
        try:
            return TypeAdapter(list[cls]).validate_json(response.content)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise self._validation(response, f"a list of {cls.__name__}", exc) from exc

    def json(self, response: Response) -> JsonValue:
        """The body as free-form JSON (``None`` when empty)."""
        if not response.content.strip():
            return None
        try:
            return _JSON.validate_json(response.content)
        except ValidationError as exc:
            raise self._validation(response, "JSON", exc) from exc

    def expect_empty(self, response: Response) -> None:
        """An operation documented without a body: whatever came is ignored."""


class SyncTransport(_Base):
    """Blocking transport (``httpx.Client``) of :class:`~jambonz_runtime.rest.JambonzClient`."""

    def __init__(
        self,
        *,
        base_url: str,
        account_sid: str | None,
        api_key: str,
        timeout: float,
        retry: RetryPolicy,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(base_url=base_url, account_sid=account_sid, api_key=api_key, retry=retry)
        self._owned: bool = http_client is None
        self.http: httpx.Client = http_client or self._httpx.Client(
            timeout=timeout, follow_redirects=False
        )

    def close(self) -> None:
        if self._owned:
            self.http.close()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def request(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, str],
        query: Query,
        body: Body,
        idempotent: bool,
        accept: str = "application/json",
    ) -> Response:
        """Send; retry per :class:`RetryPolicy`; a 2xx :class:`Response` or an exception."""
        url, content, headers = self.prepare(method, template, path, body, accept)
        for attempt in range(self.retry.max_retries + 1):
            try:
                answer = self.http.request(
                    method, url, content=content, params=_query(query), headers=headers
                )
            except self._httpx.HTTPError as exc:
                raise self.no_answer(exc, method, url) from exc
            result = self.outcome(answer, method, url, idempotent, attempt)
            if isinstance(result, Response):
                return result
            self.sleep(result)
        raise AssertionError("unreachable: the last attempt never retries")  # pragma: no cover


class AsyncTransport(_Base):
    """Asyncio transport (``httpx.AsyncClient``) of :class:`~jambonz_runtime.rest.AsyncJambonzClient`."""

    def __init__(
        self,
        *,
        base_url: str,
        account_sid: str | None,
        api_key: str,
        timeout: float,
        retry: RetryPolicy,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url=base_url, account_sid=account_sid, api_key=api_key, retry=retry)
        self._owned: bool = http_client is None
        self.http: httpx.AsyncClient = http_client or self._httpx.AsyncClient(
            timeout=timeout, follow_redirects=False
        )

    async def aclose(self) -> None:
        if self._owned:
            await self.http.aclose()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def request(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, str],
        query: Query,
        body: Body,
        idempotent: bool,
        accept: str = "application/json",
    ) -> Response:
        """Send; retry per :class:`RetryPolicy`; a 2xx :class:`Response` or an exception."""
        url, content, headers = self.prepare(method, template, path, body, accept)
        for attempt in range(self.retry.max_retries + 1):
            try:
                answer = await self.http.request(
                    method, url, content=content, params=_query(query), headers=headers
                )
            except self._httpx.HTTPError as exc:
                raise self.no_answer(exc, method, url) from exc
            result = self.outcome(answer, method, url, idempotent, attempt)
            if isinstance(result, Response):
                return result
            await self.sleep(result)
        raise AssertionError("unreachable: the last attempt never retries")  # pragma: no cover
