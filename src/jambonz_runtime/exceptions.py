"""Every exception the runtime raises on purpose, under the one ``JambonzError`` root.

One root lets an app write ``except JambonzError`` around anything this SDK does, while
each subclass says exactly which contract was broken::

    JambonzError (jambonz_types)
    ├── InvalidMessage (also ValueError): a frame from jambonz is not a valid envelope;
    │       keeps the raw text and the reason.
    ├── MessageTooLarge (also ValueError): an outbound message is over the server's
    │       24 KiB cap; raised before sending (the server would close with 1009).
    ├── TtsStreamClosed: the TTS token stream closed with text still pending.
    ├── EnvSchemaError (also ValueError): an env-var declaration the jambonz API
    │       server would reject.
    ├── EnvVarsError (also ValueError): ``session:new`` env values miss a required
    │       variable or have the wrong type.
    ├── AckError: an ack for a msgid that is not pending (unknown or already acked).
    ├── HandlerError: an app handler raised; wraps it with the call_sid and msgid.
    ├── SessionClosed: a command on a session whose call has ended.
    │   └── CallEnded: the call ended while a call flow awaited (or before it sent).
    ├── AudioStreamClosed: a send on an audio stream whose socket has closed.
    ├── MarkLimitExceeded (also ValueError): a mark while the media server already
    │       holds its maximum of outstanding marks (it would drop it silently).
    ├── AudioArgumentError (also ValueError): audio the media server would mishandle
    │       (an unsupported sample rate, a playAudio over its text-frame limit, ...).
    ├── FlowUsageError (also RuntimeError): a call flow used wrongly (two chains
    │       awaited at once, a chain awaited outside its flow).
    ├── InvalidPayload (also ValueError): a hook payload a call flow awaited does not
    │       fit its callback model; keeps the raw message.
    ├── ConfigurationError (also ValueError): the app itself is wired wrongly
    │       (duplicate route, a handler whose payload type cannot be read).
    ├── SignatureError (also ValueError): an HTTP webhook's ``Jambonz-Signature`` is
    │       missing, malformed, stale or does not match; ``reason`` says which.
    ├── MissingExtra (also ImportError): an optional feature's dependency is not
    │       installed (``pip install 'jambonz-typed[rest]'``).
    └── RestError: the REST client (``jambonz_runtime.rest``) failed.
        ├── RestConnectionError: no HTTP answer (refused, reset, timed out).
        ├── RestResponseError: a success answer whose body is not what the API sends.
        └── RestStatusError: the API answered with an error status; carries ``status``
            and the server's ``message``.
            ├── RestClientError (4xx)
            │   ├── RestBadRequest (400)
            │   ├── RestAuthError (401, 403)
            │   ├── RestNotFound (404)
            │   ├── RestUnprocessable (422)
            │   └── RestRateLimited (429, carries ``retry_after``)
            └── RestServerError (5xx)
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from jambonz_types import JambonzError

__all__ = [
    "MAX_MESSAGE_BYTES",
    "AckError",
    "AudioArgumentError",
    "AudioStreamClosed",
    "CallEnded",
    "ConfigurationError",
    "EnvSchemaError",
    "EnvVarsError",
    "FlowUsageError",
    "HandlerError",
    "InvalidMessage",
    "InvalidPayload",
    "JambonzError",
    "MarkLimitExceeded",
    "MessageTooLarge",
    "MissingExtra",
    "RestAuthError",
    "RestBadRequest",
    "RestClientError",
    "RestConnectionError",
    "RestError",
    "RestNotFound",
    "RestRateLimited",
    "RestResponseError",
    "RestServerError",
    "RestStatusError",
    "RestUnprocessable",
    "SessionClosed",
    "SessionMoved",
    "SignatureError",
    "SignatureFailure",
    "StoreError",
    "TtsStreamClosed",
]

MAX_MESSAGE_BYTES = 24 * 1024
"""The feature-server's cap on one app -> jambonz frame (``JAMBONES_WS_MAX_PAYLOAD``)."""

_PREVIEW = 200


def preview(raw: str | bytes, limit: int = _PREVIEW) -> str:
    """A short printable excerpt of a raw frame, for log lines and error messages."""
    text = raw if isinstance(raw, str) else raw[: limit * 4].decode("utf-8", "replace")
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(raw)} {'chars' if isinstance(raw, str) else 'bytes'})"


class InvalidMessage(JambonzError, ValueError):
    """A frame from jambonz that is not a valid message envelope.

    Attributes:
        reason: what is wrong, naming the field (``"missing 'type'"``).
        raw: the frame exactly as received (text or bytes).
    """

    def __init__(self, reason: str, raw: str | bytes) -> None:
        super().__init__(f"invalid message from jambonz: {reason}; raw: {preview(raw)}")
        self.reason = reason
        self.raw = raw


class MessageTooLarge(JambonzError, ValueError):
    """An app -> jambonz message is over the server's incoming size cap; it was not sent.

    The jambonz ``ws`` client closes the socket with 1009 on such a frame, which the
    server treats as an unexpected drop: it reconnects, sends ``session:reconnect``, and
    the same oversize message would loop. Split verb arrays or token batches instead.

    Attributes:
        size: the encoded size in UTF-8 bytes.
        limit: the cap it exceeded.
        what: which message (``"ack to verb:hook"``, ``"redirect"``, ...).
    """

    def __init__(self, size: int, limit: int = MAX_MESSAGE_BYTES, what: str = "message") -> None:
        super().__init__(
            f"{what} is {size} bytes of UTF-8 JSON, over the jambonz limit of {limit} bytes "
            "(JAMBONES_WS_MAX_PAYLOAD): the server would close the socket with 1009 and "
            "reconnect in a loop; split the verb array or the tts tokens into smaller messages"
        )
        self.size = size
        self.limit = limit
        self.what = what


class AckError(JambonzError):
    """An ack for a msgid that is not waiting for one (unknown, or acked already)."""


class HandlerError(JambonzError):
    """An app handler raised while handling a message; the original is ``__cause__``."""

    def __init__(self, message_type: str, msgid: str | None, call_sid: str | None) -> None:
        super().__init__(f"handler for {message_type} (msgid={msgid}, call_sid={call_sid}) raised")
        self.message_type = message_type
        self.msgid = msgid
        self.call_sid = call_sid


class SessionClosed(JambonzError):
    """The call behind a session has ended; nothing more can be sent for it."""


class CallEnded(SessionClosed):
    """The call ended while a call flow awaited a verb chain (or before it could send one).

    Raised by ``await chain`` in a :class:`~jambonz_runtime.flow.CallFlow`, so the flow's
    ``finally`` blocks run; the runtime treats it leaving the flow as a normal end.
    """


class FlowUsageError(JambonzError, RuntimeError):
    """A call flow was used in a way it cannot serve (two chains awaited at once, ...)."""


class InvalidPayload(JambonzError, ValueError):
    """A hook payload a call flow awaited does not fit the verb's callback model.

    Attributes:
        model: the callback model it was validated with.
        raw: the message exactly as received.
    """

    def __init__(self, reason: str, model: type[object], raw: str) -> None:
        super().__init__(f"payload does not fit {model.__name__}: {reason}; raw: {preview(raw)}")
        self.model = model
        self.raw = raw


class ConfigurationError(JambonzError, ValueError):
    """The app is wired wrongly (e.g. two handlers for one route)."""


class TtsStreamClosed(JambonzError):
    """The TTS stream closed (``stream_closed`` or session end) with text still pending."""


class EnvSchemaError(JambonzError, ValueError):
    """An env-var declaration the jambonz API server would reject ("Invalid appenv schema")."""


class EnvVarsError(JambonzError, ValueError):
    """``session:new`` ``env_vars`` miss a required variable or hold a value of the wrong type."""


class AudioStreamClosed(JambonzError):
    """The audio socket has closed (either side); nothing more can be sent on it."""


class MarkLimitExceeded(JambonzError, ValueError):
    """A mark was refused: the media server already holds ``limit`` outstanding marks.

    jambonz's media server (mod_audio_fork) keeps at most 30 marks that are neither
    played out nor cleared and silently discards any further one, so the app would wait
    forever for its ``playout`` event. Wait for earlier marks, or ``clear_marks()``.

    Attributes:
        name: the refused mark.
        limit: the server's maximum.
        outstanding: the names still outstanding, oldest first.
    """

    def __init__(self, name: str, limit: int, outstanding: tuple[str, ...]) -> None:
        super().__init__(
            f"mark {name!r} refused: {limit} marks are already outstanding (the media "
            f"server's maximum; it would drop this one silently); outstanding: "
            f"{', '.join(outstanding)}. Wait for their playout events or call clear_marks()"
        )
        self.name = name
        self.limit = limit
        self.outstanding = outstanding


class AudioArgumentError(JambonzError, ValueError):
    """An audio argument the media server would mishandle; nothing was sent.

    The message names the argument and the allowed values (e.g. ``play_audio
    sample_rate: 11025 is not one of 8000, 16000, ...``).
    """


SignatureFailure: TypeAlias = Literal["missing", "malformed", "stale", "mismatch"]
"""Why a webhook signature was refused: no header, unparsable header, timestamp outside
the tolerance, or no ``v1`` value matches the body under any of the secrets."""


class SignatureError(JambonzError, ValueError):
    """An HTTP webhook's ``Jambonz-Signature`` header does not prove it came from jambonz.

    Attributes:
        reason: ``"missing"``, ``"malformed"``, ``"stale"`` or ``"mismatch"``.
    """

    def __init__(self, reason: SignatureFailure, detail: str) -> None:
        super().__init__(f"webhook signature {reason}: {detail}")
        self.reason: SignatureFailure = reason


class MissingExtra(JambonzError, ImportError):
    """An optional feature needs a package that is not installed; the message says which
    extra to install."""


class RestError(JambonzError):
    """The jambonz REST API client failed (base of every REST client error)."""


class RestConnectionError(RestError):
    """The request got no HTTP answer (connection refused or reset, timeout, TLS).

    Attributes:
        method: the HTTP method.
        url: the URL requested.
    """

    def __init__(self, method: str, url: str, detail: str) -> None:
        super().__init__(f"{method} {url}: no answer from the jambonz API ({detail})")
        self.method = method
        self.url = url


class RestResponseError(RestError):
    """A success status whose body is not what the jambonz API documents.

    Attributes:
        status: the HTTP status.
        body: the body as received (text).
    """

    def __init__(self, method: str, url: str, status: int, body: str, detail: str) -> None:
        super().__init__(
            f"{method} {url}: unexpected {status} answer ({detail}); body: {preview(body)}"
        )
        self.status = status
        self.body = body


class RestStatusError(RestError):
    """The jambonz API answered with an error status.

    Attributes:
        status: the HTTP status (400, 404, 422, 480, 500, ...).
        message: the server's explanation (its ``msg``, or the body text, or the reason
            phrase when the body is empty).
        body: the body as received (text).
        method: the HTTP method.
        url: the URL requested.
    """

    def __init__(self, method: str, url: str, status: int, message: str, body: str) -> None:
        super().__init__(f"{method} {url} -> {status}: {message}")
        self.status = status
        self.message = message
        self.body = body
        self.method = method
        self.url = url


class RestClientError(RestStatusError):
    """4xx: the request was refused (base of the 4xx classes below; other 4xx raise it)."""


class RestRateLimited(RestClientError):
    """429: too many requests (raised once the client's retries are used up).

    Attributes:
        retry_after: seconds the server asked to wait (``Retry-After``), if it said.
    """

    retry_after: float | None = None


class RestBadRequest(RestClientError):
    """400: the API refused the request's content (its ``message`` names the problem)."""


class RestAuthError(RestClientError):
    """401 or 403: the API key is wrong, expired, or not allowed for this account."""


class RestNotFound(RestClientError):
    """404: no such call (it may have ended) or no such resource."""


class RestUnprocessable(RestClientError):
    """422: the call is in a state where the request cannot apply (e.g. the call is gone)."""


class RestServerError(RestStatusError):
    """5xx: the jambonz side failed (e.g. no feature server available)."""


class SessionMoved(SessionClosed):
    """Another instance took the call over (``session:reconnect`` landed there).

    Raised when this process tries to send for a call it no longer owns: the session
    store's fencing token moved on, so jambonz now talks to another instance and
    anything sent from here would be a second driver of the same call.
    """


class StoreError(JambonzError):
    """The session store could not be reached or answered something unexpected.

    The runtime never lets this end a call: the call goes on from memory, the error is
    logged once per call until the store answers again.
    """
