"""``WebhookResponse``: the generated verb builder, plus the HTTP answer it makes.

Why: an HTTP webhook answers with a JSON array of verbs (``Content-Type:
application/json``; jambonz parses the body as verbs only with that content type). The
typed builder :class:`jambonz_types.Verbs` already has one checked method per verb; this
subclass shares all of them and adds the body and headers, so an app served by some
other web framework can answer with the same typed verbs::

    resp = WebhookResponse().say(text="Hi").hangup()
    return Response(resp.body(), headers=resp.headers())   # Starlette, aiohttp, ...
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar, Final

from pydantic import JsonValue

from jambonz_types import Verbs

__all__ = ["MEDIA_TYPE", "WebhookResponse", "encode_verbs"]

MEDIA_TYPE: Final = "application/json"
"""The content type jambonz needs to read a webhook answer as verbs."""


def encode_verbs(verbs: Sequence[dict[str, JsonValue]]) -> bytes:
    """Compact UTF-8 JSON of a wire verb array (the webhook answer body)."""
    return json.dumps(list(verbs), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class WebhookResponse(Verbs):
    """A verb array to answer a webhook with: every ``Verbs`` method, plus HTTP.

    ``status_code`` is 200 (jambonz accepts 200, 202 and 204; only a 200 with a JSON
    body carries verbs).
    """

    __slots__ = ()

    status_code: ClassVar[int] = 200
    """The HTTP status to answer with."""
    media_type: ClassVar[str] = MEDIA_TYPE
    """The ``Content-Type`` to answer with."""

    def body(self) -> bytes:
        """The answer body: the verbs as compact UTF-8 JSON."""
        return encode_verbs(self.to_wire())

    def headers(self) -> dict[str, str]:
        """``Content-Type`` and ``Content-Length`` for :meth:`body`."""
        return {"Content-Type": self.media_type, "Content-Length": str(len(self.body()))}
