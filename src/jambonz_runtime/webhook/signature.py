"""Sign and verify jambonz HTTP webhook signatures (``Jambonz-Signature``), standalone.

Why: jambonz signs every HTTP webhook with the account's webhook secret, and an app that
does not check it will run verbs for anyone who can reach its URL. The feature-server
(``lib/utils/base-requestor.js``) sends::

    Jambonz-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

where ``body`` is the exact JSON it posts. This module checks that against the raw body
bytes (never a re-serialised copy: key order and spacing would differ) with a
constant-time compare, accepts several ``v1`` values and several secrets (rotation),
and refuses timestamps outside a tolerance (jambonz enforces none; 300 s is the usual
default) so a captured request cannot be replayed later. It needs no web framework:
:func:`verify_signature` takes the header value and the body, so it fits any server
(:class:`~jambonz_runtime.webhook.WebhookApp` uses it).

GET webhooks cannot be verified: jambonz signs the JSON payload but does not send it on
a GET, so nothing the app receives matches the signature. Use POST hooks with a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from typing import Final

from ..exceptions import ConfigurationError, SignatureError, SignatureFailure

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "SignatureError",
    "SignatureFailure",
    "compute_signature",
    "is_valid_signature",
    "parse_signature_header",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "Jambonz-Signature"
"""The header jambonz puts its signature in."""

DEFAULT_TOLERANCE: Final = 300.0
"""Seconds a signature's timestamp may differ from now (either way) by default."""

_SCHEME: Final = "v1"


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def compute_signature(body: bytes | str, secret: str, timestamp: int) -> str:
    """The ``v1`` value jambonz computes: hex HMAC-SHA256 of ``"<timestamp>." + body``.

    Args:
        body: the request body exactly as sent (``str`` is encoded as UTF-8).
        secret: the account's webhook secret.
        timestamp: unix seconds (the header's ``t``).

    Raises:
        ConfigurationError: ``secret`` is empty.
    """
    if not secret:
        raise ConfigurationError("the webhook secret must not be empty")
    message = str(timestamp).encode("ascii") + b"." + _bytes(body)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(body: bytes | str, secret: str, *, timestamp: int | None = None) -> str:
    """A ``Jambonz-Signature`` header value for ``body``, as jambonz would send it.

    For tests and for relaying webhooks; ``timestamp`` defaults to now.

    Raises:
        ConfigurationError: ``secret`` is empty.
    """
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},{_SCHEME}={compute_signature(body, secret, t)}"


def parse_signature_header(header: str) -> tuple[int, list[str]]:
    """Split a header value into its timestamp and its ``v1`` signatures.

    Items are ``key=value`` separated by commas (spaces allowed); keys other than ``t``
    and ``v1`` (future schemes) are ignored.

    Raises:
        SignatureError: ``"malformed"``: no or several ``t``, a non-integer ``t``, no
            ``v1``, or an item without ``=``.
    """
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", f"item {item.strip()!r} is not key=value")
        if key == "t":
            timestamps.append(value.strip())
        elif key == _SCHEME:
            signatures.append(value.strip().lower())
    if len(timestamps) != 1:
        raise SignatureError("malformed", f"expected one t=, found {len(timestamps)}")
    if not timestamps[0].isascii() or not timestamps[0].isdigit():
        raise SignatureError("malformed", f"t={timestamps[0]!r} is not unix seconds")
    if not signatures:
        raise SignatureError("malformed", "no v1= signature")
    return int(timestamps[0]), signatures


def verify_signature(
    header: str | None,
    body: bytes | str,
    secret: str | Sequence[str],
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a ``Jambonz-Signature`` header against the raw body; return its timestamp.

    Valid when any ``v1`` value equals the HMAC of ``"<t>." + body`` under any of the
    secrets (several secrets: key rotation), compared in constant time, and ``t`` is
    within ``tolerance`` seconds of ``now``.

    Args:
        header: the header value (``None`` if the request had none).
        body: the raw request body.
        secret: the account's webhook secret, or several.
        tolerance: seconds ``t`` may differ from now, either way; ``None`` disables the
            check (replays are then accepted).
        now: the current unix time (default: the clock).

    Raises:
        SignatureError: ``reason`` is ``"missing"``, ``"malformed"``, ``"mismatch"``
            (checked before the time) or ``"stale"``.
        ConfigurationError: no secret, or an empty one.
    """
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets or not all(secrets):
        raise ConfigurationError("give at least one non-empty webhook secret")
    if header is None or not header.strip():
        raise SignatureError("missing", f"no {SIGNATURE_HEADER} header")
    timestamp, candidates = parse_signature_header(header)
    wanted = [compute_signature(body, s, timestamp).encode("ascii") for s in secrets]
    matched = False
    for candidate in candidates:
        given = candidate.encode("utf-8", "surrogateescape")
        for expected in wanted:
            # Every pair is compared (no early exit) so timing says nothing about which.
            matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise SignatureError(
            "mismatch", f"none of {len(candidates)} v1 value(s) matches the body (t={timestamp})"
        )
    if tolerance is not None:
        skew = (time.time() if now is None else now) - timestamp
        if abs(skew) > tolerance:
            raise SignatureError(
                "stale", f"t={timestamp} is {skew:+.0f} s from now (tolerance {tolerance:g} s)"
            )
    return timestamp


def is_valid_signature(
    header: str | None,
    body: bytes | str,
    secret: str | Sequence[str],
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """:func:`verify_signature` as a boolean (``False`` for every refusal).

    Raises:
        ConfigurationError: no secret, or an empty one.
    """
    try:
        verify_signature(header, body, secret, tolerance=tolerance, now=now)
    except SignatureError:
        return False
    return True
