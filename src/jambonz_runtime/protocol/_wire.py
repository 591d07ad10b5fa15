"""The one encoder of app -> jambonz frames: compact JSON, checked against the 24 KiB cap.

Acks (built by the sans-I/O protocol from wire-form verbs) and commands (typed models in
``_commands``) both end here, so the size rule is enforced in exactly one place, before
anything reaches a socket. Kept free of the verb models so the protocol core stays cheap
to import; the encoder is pydantic-core's (already loaded with pydantic).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue
from pydantic_core import to_json

from ..exceptions import MAX_MESSAGE_BYTES, MessageTooLarge

__all__ = ["MAX_MESSAGE_BYTES", "check_size", "encode_wire"]


def check_size(text: str, *, limit: int = MAX_MESSAGE_BYTES, what: str = "message") -> None:
    """Raise :class:`MessageTooLarge` if ``text`` is over ``limit`` bytes of UTF-8.

    The cap is in bytes on the wire, not characters.
    """
    # Cheap first: a str never encodes to fewer bytes than it has characters, nor to
    # more than four per character.
    if len(text) * 4 <= limit:
        return
    size = len(text.encode("utf-8"))
    if size > limit:
        raise MessageTooLarge(size, limit, what)


def encode_wire(
    message: Mapping[str, JsonValue], *, limit: int = MAX_MESSAGE_BYTES, what: str | None = None
) -> str:
    """Compact JSON of one wire-form message; raises :class:`MessageTooLarge` over ``limit``.

    ``what`` names the message in the error (default: its ``command`` or ``type``).
    """
    # pydantic-core's encoder: the same compact JSON as ``json.dumps(separators=(",",
    # ":"), ensure_ascii=False)``, several times faster, and it gives the UTF-8 size the
    # cap is about for free.
    data = to_json(message)
    if len(data) > limit:
        if what is None:
            what = str(message.get("command") or message.get("type") or "message")
        raise MessageTooLarge(len(data), limit, what)
    return data.decode("utf-8")
