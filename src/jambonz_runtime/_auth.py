"""HTTP Basic auth as jambonz sends it: per application, checked in constant time.

Why its own module: the websocket server (upgrade requests) and the webhook app (hook
requests) check the same header against the same declaration, and neither should carry
a copy. jambonz keeps a username and password per application (its call hook's
credentials; relative action hooks reuse them), so an :class:`~jambonz_runtime.App`
declares them for all its paths or per path (``App(basic_auth=...)``), and a server-wide
pair remains for paths that declare none.

The check never raises and never short-circuits: a header that is not Basic, not
base64, not UTF-8 or without a colon is simply "no", and every declared pair is
compared (``hmac.compare_digest`` on username *and* password) whatever matched first,
so the time taken says nothing about which part was wrong.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping, Sequence
from typing import Final, TypeAlias

__all__ = [
    "WWW_AUTHENTICATE",
    "BasicAuthSpec",
    "Credentials",
    "check_basic",
    "credentials_for",
    "validate_spec",
]

Credentials: TypeAlias = tuple[str, str]
"""``(username, password)``."""

BasicAuthSpec: TypeAlias = Credentials | Mapping[str, Credentials] | None
"""What an app declares: one pair for all its paths, a pair per path, or nothing."""

WWW_AUTHENTICATE: Final = 'Basic realm="jambonz", charset="UTF-8"'
"""The challenge sent with every 401 (RFC 7617)."""

_MAX_HEADER: Final = 4096


def _norm(path: str) -> str:
    return path.partition("?")[0].rstrip("/") or "/"


def validate_spec(spec: BasicAuthSpec) -> dict[str, Credentials] | Credentials | None:
    """Check a declaration (the error names the bad entry); returns it normalised.

    Raises:
        ValueError: a pair that is not two strings, an empty username, or a username
            holding ``:`` (RFC 7617: it could never be sent).
    """
    if spec is None:
        return None
    if isinstance(spec, tuple):
        return _pair(spec, "basic_auth")
    return {_norm(path): _pair(pair, f"basic_auth[{path!r}]") for path, pair in spec.items()}


def _pair(pair: object, where: str) -> Credentials:
    if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
        raise ValueError(f"{where}: give (username, password) as two strings")
    user, password = pair
    if not user or ":" in user:
        raise ValueError(f"{where}: the username must be non-empty and hold no ':'")
    return user, password


def credentials_for(
    spec: Credentials | Mapping[str, Credentials] | None, path: str, *, hook: bool = False
) -> tuple[Credentials, ...]:
    """The pairs a request to ``path`` may present (empty: no auth required here).

    One pair: it, for every path. Per path: the pair declared for ``path``; a path
    without one is open, unless ``hook`` (an HTTP action or status hook, which jambonz
    sends with the credentials of the call hook it came from), which then accepts any
    pair the app declared.
    """
    if spec is None:
        return ()
    if isinstance(spec, tuple):
        return (spec,)
    own = spec.get(_norm(path))
    if own is not None:
        return (own,)
    return tuple(spec.values()) if hook else ()


def check_basic(header: str | None, allowed: Sequence[Credentials]) -> bool:
    """Whether an ``Authorization`` header carries one of ``allowed`` (never raises)."""
    if header is None or len(header) > _MAX_HEADER or header[:6].lower() != "basic ":
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # ValueError: non-ASCII; UnicodeDecodeError is one
        return False
    user, sep, password = decoded.partition(":")
    ok = False
    for want_user, want_password in allowed:
        same_user = hmac.compare_digest(user.encode(), want_user.encode())
        same_password = hmac.compare_digest(password.encode(), want_password.encode())
        ok |= bool(sep) and same_user and same_password
    return ok
