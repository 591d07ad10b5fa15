"""``RestClient``: async, typed client of the jambonz REST API (calls, live control, SMS).

Why: every websocket app needs the REST API to place outbound calls, and an HTTP
webhook app has no socket, so mid-call control (redirect, whisper, mute, hangup, ...) goes
through ``PUT /Calls/{call_sid}``. Bodies are the typed models of ``_models``; answers are
validated into typed models; every failure is a :class:`~jambonz_runtime.exceptions.RestError`
that says what happened (``RestNotFound`` with the server's message, ...).

Transport is httpx, an optional extra (``pip install 'jambonz-typed[rest]'``) so the core
keeps its two run-time dependencies; it is imported when a client is created, and a
missing install raises :class:`~jambonz_runtime.exceptions.MissingExtra` naming the
extra. Authentication is the account's API key as a bearer token (the API server's
``passport-http-bearer``). Nothing is retried: creating a call is not idempotent.
"""

from __future__ import annotations

import builtins
import json
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Final, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, JsonValue, TypeAdapter, ValidationError
from typing_extensions import Self

from jambonz_types.verbs import Dub, Play, Say

from ..exceptions import (
    ConfigurationError,
    RestConnectionError,
    RestResponseError,
)
from ._models import (
    CallInfo,
    CallStatus,
    CallUpdate,
    ConferenceParticipantAction,
    CreateCallRequest,
    CreatedCall,
    CreatedMessage,
    CreateMessageRequest,
    Dtmf,
    HookLike,
    ListCallsFilter,
    ParticipantAction,
    RecordAction,
    RecordRequest,
    SipRequest,
    SipRequestResult,
)
from ._transport import _import_httpx, status_error

if TYPE_CHECKING:
    import httpx

__all__ = ["Calls", "Messages", "RestClient"]

_log = logging.getLogger("jambonz_runtime.rest")

_USER_AGENT: Final = "jambonz-typed"
_R = TypeVar("_R", bound=BaseModel)
_CALL_LIST: TypeAdapter[builtins.list[CallInfo]] = TypeAdapter(builtins.list[CallInfo])


def _api_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    if not root.startswith(("http://", "https://")):
        raise ConfigurationError(f"base_url must be an http(s):// URL, got {base_url!r}")
    return root if root.endswith("/v1") else f"{root}/v1"


class RestClient:
    """Async client of one jambonz account's REST API; an async context manager.

    ::

        async with RestClient(base_url="https://jambonz.cloud/api", account_sid=sid,
                              api_key=key) as client:
            created = await client.calls.create(CreateCallRequest(
                from_="+15085550100", to=Target(type="phone", number="+15085550111"),
                call_hook="https://app.example.com/outbound"))
            await client.calls.whisper(created.sid, Say(text="Hello"))
            await client.calls.hangup(created.sid)

    Args:
        base_url: the API root, with or without the trailing ``/v1`` (the
            ``api_base_url`` of a call payload works as is).
        account_sid: the account whose calls this client controls.
        api_key: an account (or service provider) API key, sent as a bearer token.
        timeout: seconds per request.
        http_client: an ``httpx.AsyncClient`` to use (its own settings apply; it is not
            closed by :meth:`aclose`); default: one of the client's own.

    Raises:
        MissingExtra: httpx is not installed.
        ConfigurationError: ``base_url`` is not an http(s) URL, or an empty sid or key.
    """

    def __init__(
        self,
        *,
        base_url: str,
        account_sid: str,
        api_key: str,
        timeout: float = 10.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        httpx_module = _import_httpx()
        if not account_sid or not api_key:
            raise ConfigurationError("account_sid and api_key must not be empty")
        self.base_url: str = _api_root(base_url)
        """The API root used, ending in ``/v1``."""
        self.account_sid = account_sid
        """The account this client acts for."""
        self._api_key = api_key
        self._owns_http = http_client is None
        self._http: httpx.AsyncClient = (
            http_client
            if http_client is not None
            else httpx_module.AsyncClient(timeout=timeout, follow_redirects=False)
        )
        self._timeout_error: type[Exception] = httpx_module.TimeoutException
        self._http_error: type[Exception] = httpx_module.HTTPError
        self.calls: Calls = Calls(self)
        """``/Calls``: create, list, get, delete, and live call control."""
        self.messages: Messages = Messages(self)
        """``/Messages``: send SMS."""

    def __repr__(self) -> str:  # never shows the API key
        return f"<RestClient {self.base_url} account {self.account_sid}>"

    async def aclose(self) -> None:
        """Close the HTTP connections (only those of a client this object created)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _url(self, path: str) -> str:
        return f"{self.base_url}/Accounts/{quote(self.account_sid, safe='')}{path}"

    async def _request(
        self,
        method: Literal["GET", "POST", "PUT", "DELETE"],
        path: str,
        *,
        body: Mapping[str, JsonValue] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """Send one request; return the status and body text of a 2xx answer.

        Raises:
            RestConnectionError: no HTTP answer.
            RestStatusError: a non-2xx answer (the subclass by status).
        """
        url = self._url(path)
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        }
        content: bytes | None = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = await self._http.request(
                method, url, content=content, params=dict(params or {}), headers=headers
            )
        except self._timeout_error as exc:
            raise RestConnectionError(method, url, f"timed out: {exc!r}") from exc
        except self._http_error as exc:
            raise RestConnectionError(method, url, f"{type(exc).__name__}: {exc}") from exc
        status, text = response.status_code, response.text
        _log.debug("%s %s -> %d", method, url, status)
        if not 200 <= status < 300:
            raise status_error(method, url, status, text, response.reason_phrase)
        return status, text

    def _parse(self, method: str, path: str, status: int, text: str, model: type[_R]) -> _R:
        try:
            return model.model_validate_json(text, by_alias=True)
        except ValidationError as exc:
            raise RestResponseError(
                method, self._url(path), status, text, f"not a {model.__name__}: {exc}"
            ) from exc


class Calls:
    """``/Accounts/{account_sid}/Calls``: calls of the account and live call control.

    The control methods are named like the websocket ``Session`` commands, so call logic
    reads the same over either transport; each sends one :class:`CallUpdate`.
    """

    def __init__(self, client: RestClient) -> None:
        self._client = client

    async def create(
        self, request: CreateCallRequest, *, extra_body: Mapping[str, JsonValue] | None = None
    ) -> CreatedCall:
        """Place an outbound call; returns its call sid (the call runs ``call_hook``).

        Args:
            request: the call.
            extra_body: more JSON keys to send (server features this SDK does not model).

        Raises:
            RestError: see :class:`RestClient`.
        """
        body = {**request.to_wire(), **(extra_body or {})}
        status, text = await self._client._request("POST", "/Calls", body=body)
        return self._client._parse("POST", "/Calls", status, text, CreatedCall)

    async def list(
        self,
        *,
        direction: Literal["inbound", "outbound"] | None = None,
        from_: str | None = None,
        to: str | None = None,
        call_status: CallStatus | None = None,
    ) -> builtins.list[CallInfo]:
        """The account's live calls, optionally filtered.

        Raises:
            RestError: see :class:`RestClient`.
        """
        query = ListCallsFilter.model_validate(
            {"direction": direction, "from": from_, "to": to, "callStatus": call_status}
        ).to_wire()
        status, text = await self._client._request(
            "GET", "/Calls", params={k: str(v) for k, v in query.items()}
        )
        try:
            return _CALL_LIST.validate_json(text, by_alias=True)
        except ValidationError as exc:
            raise RestResponseError(
                "GET", self._client._url("/Calls"), status, text, f"not a list of calls: {exc}"
            ) from exc

    async def get(self, call_sid: str) -> CallInfo:
        """One live call.

        Raises:
            RestNotFound: no such call (it may have ended).
            RestError: see :class:`RestClient`.
        """
        path = _call_path(call_sid)
        status, text = await self._client._request("GET", path)
        return self._client._parse("GET", path, status, text, CallInfo)

    async def delete(self, call_sid: str) -> None:
        """Delete the API's record of a call (does **not** hang up: use :meth:`hangup`).

        Raises:
            RestNotFound: no such call.
            RestError: see :class:`RestClient`.
        """
        await self._client._request("DELETE", _call_path(call_sid))

    async def update(
        self,
        call_sid: str,
        update: CallUpdate,
        *,
        extra_body: Mapping[str, JsonValue] | None = None,
    ) -> SipRequestResult | None:
        """Apply one live-call-control action; the result of a ``sip_request``, else ``None``.

        The API server answers 202 at once and the feature server acts asynchronously
        (an action that does not fit the call's state is only logged there).

        Raises:
            RestUnprocessable: the call is gone or in a state the action cannot apply to.
            RestNotFound: no such call.
            RestError: see :class:`RestClient`.
        """
        path = _call_path(call_sid)
        body = {**update.to_wire(), **(extra_body or {})}
        status, text = await self._client._request("PUT", path, body=body)
        if update.sip_request is not None and status == 200:
            return self._client._parse("PUT", path, status, text, SipRequestResult)
        return None

    # -- live call control, one action each ----------------------------------------------

    async def redirect(
        self,
        call_sid: str,
        call_hook: HookLike | None = None,
        *,
        child_call_hook: HookLike | None = None,
        call_status_hook: HookLike | None = None,
    ) -> None:
        """Replace the call's verbs with those its ``call_hook`` answers (absolute URL).

        ``child_call_hook`` does the same for the dialed leg of a connected ``dial``.
        (Over REST the new verbs always come from a hook; a websocket ``Session`` can
        also send verbs directly.)
        """
        await self.update(
            call_sid,
            CallUpdate.model_validate(
                {
                    k: v
                    for k, v in {
                        "call_hook": call_hook,
                        "child_call_hook": child_call_hook,
                        "call_status_hook": call_status_hook,
                    }.items()
                    if v is not None
                }
            ),
        )

    async def hangup(self, call_sid: str) -> None:
        """Hang up an answered call (``call_status: completed``)."""
        await self.update(call_sid, CallUpdate(call_status="completed"))

    async def cancel(self, call_sid: str) -> None:
        """Cancel a call not answered yet (``call_status: no-answer``)."""
        await self.update(call_sid, CallUpdate(call_status="no-answer"))

    async def whisper(self, call_sid: str, verbs: Say | Play | Sequence[Say | Play]) -> None:
        """Play ``say``/``play`` verbs to this party during a ``dial`` or ``listen``."""
        listed = [verbs] if isinstance(verbs, (Say, Play)) else builtins.list(verbs)
        await self.update(call_sid, CallUpdate(whisper=listed))

    async def mute(self, call_sid: str) -> None:
        """Mute the call during a ``dial`` or ``conference``."""
        await self.update(call_sid, CallUpdate(mute_status="mute"))

    async def unmute(self, call_sid: str) -> None:
        """Unmute the call."""
        await self.update(call_sid, CallUpdate(mute_status="unmute"))

    async def listen_status(self, call_sid: str, status: Literal["pause", "resume"]) -> None:
        """Pause or resume the audio of a ``listen``/``stream``."""
        await self.update(call_sid, CallUpdate(listen_status=status))

    async def transcribe_status(self, call_sid: str, status: Literal["pause", "resume"]) -> None:
        """Pause or resume a ``transcribe``."""
        await self.update(call_sid, CallUpdate(transcribe_status=status))

    async def tag(self, call_sid: str, data: Mapping[str, JsonValue]) -> None:
        """Replace the call's customer data (``customerData`` in later payloads)."""
        await self.update(call_sid, CallUpdate(tag=dict(data)))

    async def send_dtmf(self, call_sid: str, digit: str, *, duration: int | None = None) -> None:
        """Send DTMF as SIP INFO (``duration`` in ms, server default 250)."""
        dtmf = Dtmf(digit=digit) if duration is None else Dtmf(digit=digit, duration=duration)
        await self.update(call_sid, CallUpdate(dtmf=dtmf))

    async def sip_request(
        self,
        call_sid: str,
        *,
        method: str,
        content_type: str,
        content: str,
        headers: Mapping[str, str] | None = None,
    ) -> SipRequestResult | None:
        """Send an in-dialog SIP request; the far end's response (``None`` if none came)."""
        request = SipRequest(
            method=method,
            content_type=content_type,
            content=content,
            headers=dict(headers) if headers is not None else None,
        )
        return await self.update(call_sid, CallUpdate(sip_request=request))

    async def record(
        self,
        call_sid: str,
        action: RecordAction,
        *,
        type: Literal["siprec", "cloud"] | None = None,
        siprec_server_url: str | None = None,
        recording_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Start, stop, pause or resume SIPREC or cloud recording."""
        given: dict[str, object] = {"action": action}
        for key, value in (
            ("type", type),
            ("siprec_server_url", siprec_server_url),
            ("recording_id", recording_id),
            ("headers", dict(headers) if headers is not None else None),
        ):
            if value is not None:
                given[key] = value
        await self.update(call_sid, CallUpdate(record=RecordRequest.model_validate(given)))

    async def conference_mute(self, call_sid: str, status: Literal["mute", "unmute"]) -> None:
        """Mute or unmute every non-moderator of the call's conference."""
        await self.update(call_sid, CallUpdate(conf_mute_status=status))

    async def conference_hold(
        self, call_sid: str, status: Literal["hold", "unhold"], *, wait_hook: str | None = None
    ) -> None:
        """Hold or unhold this conference member (``wait_hook``: verbs while held)."""
        update = (
            CallUpdate(conf_hold_status=status)
            if wait_hook is None
            else CallUpdate(conf_hold_status=status, wait_hook=wait_hook)
        )
        await self.update(call_sid, update)

    async def conference_participant_action(
        self,
        call_sid: str,
        action: ParticipantAction,
        *,
        tag: str | None = None,
        wait_hook: str | None = None,
    ) -> None:
        """Tag, coach, mute or hold this conference member (``tag`` for tag/coach)."""
        given: dict[str, object] = {"action": action}
        if tag is not None:
            given["tag"] = tag
        if wait_hook is not None:
            given["wait_hook"] = wait_hook
        participant = ConferenceParticipantAction.model_validate(given)
        await self.update(call_sid, CallUpdate(conference_participant_action=participant))

    async def dub(self, call_sid: str, dub: Dub) -> None:
        """Add, change or remove a dub track (the ``dub`` verb's fields)."""
        await self.update(call_sid, CallUpdate(dub=dub))

    async def boost_audio_signal(self, call_sid: str, gain: str | int | float) -> None:
        """Change the call's audio gain (``"+6 dB"``, ``-3``)."""
        await self.update(call_sid, CallUpdate(boost_audio_signal=gain))

    async def media_path(
        self, call_sid: str, path: Literal["no-media", "partial-media", "full-media"]
    ) -> None:
        """Move the media path of a ``dial``."""
        await self.update(call_sid, CallUpdate(media_path=path))


class Messages:
    """``/Accounts/{account_sid}/Messages``: SMS."""

    def __init__(self, client: RestClient) -> None:
        self._client = client

    async def create(
        self, request: CreateMessageRequest, *, extra_body: Mapping[str, JsonValue] | None = None
    ) -> CreatedMessage:
        """Send a message; returns its sid and the carrier's answer.

        Raises:
            RestError: see :class:`RestClient`.
        """
        body = {**request.to_wire(), **(extra_body or {})}
        status, text = await self._client._request("POST", "/Messages", body=body)
        return self._client._parse("POST", "/Messages", status, text, CreatedMessage)


def _call_path(call_sid: str) -> str:
    if not call_sid:
        raise ConfigurationError("call_sid must not be empty")
    return f"/Calls/{quote(call_sid, safe='')}"
