"""Session stores: call state that outlives a socket and a process.

* :class:`SessionStore`: the contract (claim with a fencing token, fenced save and
  release, takeover announcements);
* :class:`MemoryStore`: in one process (servers in it share calls);
* :class:`RedisStore`: across processes and machines (optional extra ``redis``);
* :func:`open_store`: a store from a URL (``redis://...``, ``memory://``).

Without a store (the default) a call's session lives in its ``App`` in this process, as
it always has. See the README's "Production serving" for when to use one.
"""

from __future__ import annotations

from ._base import FIELDS, Claim, OnTakeover, SessionStore
from ._memory import MemoryStore
from ._open import open_store
from ._redis import RedisStore

__all__ = [
    "FIELDS",
    "Claim",
    "MemoryStore",
    "OnTakeover",
    "RedisStore",
    "SessionStore",
    "open_store",
]
