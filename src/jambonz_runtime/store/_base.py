"""The session-store contract: what the runtime keeps per call outside the process.

Why a store at all: jambonz reconnects a dropped control socket to the *same URL*, and
behind a load balancer that lands on whichever instance the balancer picks. For the
call to go on there, that instance needs what the first one knew: the payload that
started the call, the app's typed state, and what the reconnect must replay (verbs of
a ``session:new`` the server never got an ack for, commands queued while the socket
was down).

Why fencing tokens: a socket can die silently, so the old instance may not know yet
that the call moved. Every :meth:`SessionStore.claim` hands out a new, larger token;
writes carry the writer's token and are refused once a newer one exists, and the
store announces each claim so the old owner stops sending at once.

Everything here is strings: the runtime serialises; a store only keeps and fences.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

__all__ = [
    "FIELDS",
    "Claim",
    "OnTakeover",
    "SessionStore",
]

FIELDS: Final = frozenset({"call", "kind", "path", "state", "initial", "outbox", "ended"})
"""The record fields the runtime writes (all strings):

* ``call``: the JSON ``data`` of the message that started the call (``session:new``);
* ``kind``: that message's type; ``path``: the URL path it arrived on;
* ``state``: the app's state as JSON;
* ``initial``: JSON verbs answering a ``session:new`` whose ack may not have reached
  jambonz (empty once it did): a reconnect's ack must carry them;
* ``outbox``: JSON list of command frames queued while no socket was attached;
* ``ended``: ``"1"`` once the call is over.
"""

OnTakeover = Callable[[str, int, str], None]
"""Called with ``(call_sid, token, new_owner)`` when some instance claims a call."""


@dataclass(frozen=True)
class Claim:
    """The answer to :meth:`SessionStore.claim`.

    Attributes:
        token: the new fencing token; writes must carry it.
        previous_owner: who held the call before (``""``: nobody, or released).
        fields: the record as it was before the claim (empty: a call the store never
            saw).
    """

    token: int
    previous_owner: str
    fields: Mapping[str, str] = field(default_factory=dict)


class SessionStore(Protocol):
    """Keeps one record per call, namespaced per app, with fenced writes.

    Implementations: :class:`~jambonz_runtime.store.MemoryStore` (one process; several
    servers in it share it) and :class:`~jambonz_runtime.store.RedisStore` (several
    processes and machines). Every method may raise
    :class:`~jambonz_runtime.exceptions.StoreError`; the runtime then carries on from
    memory.
    """

    async def claim(
        self,
        namespace: str,
        call_sid: str,
        owner: str,
        *,
        ttl: float,
        fields: Mapping[str, str] | None = None,
    ) -> Claim:
        """Make ``owner`` the call's owner with a new token; announce it to watchers.

        ``fields`` are written in the same step (a starting call's record).
        """
        ...

    async def save(
        self,
        namespace: str,
        call_sid: str,
        token: int,
        fields: Mapping[str, str],
        *,
        ttl: float,
    ) -> bool:
        """Write ``fields`` unless a newer token exists; ``False``: fenced out.

        A record that no longer exists (expired, or a store that lost its data) is
        written anew with ``token``: losing the store's memory is not a takeover.
        """
        ...

    async def release(self, namespace: str, call_sid: str, token: int) -> bool:
        """Give the call up (drain) if ``token`` is still current; ``False``: fenced out."""
        ...

    def watch(self, namespace: str, on_takeover: OnTakeover) -> Awaitable[None]:
        """Run until cancelled, calling ``on_takeover`` for every claim in ``namespace``."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
