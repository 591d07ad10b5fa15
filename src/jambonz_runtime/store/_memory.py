"""``MemoryStore``: the session store in one process's memory.

Why it exists next to "no store" (the default, where a session simply lives in its
``App``): several :class:`~jambonz_runtime.server.JambonzServer` instances in one
process (tests, a blue/green switch inside one process) can hand calls to each other
through it with exactly the semantics of the Redis store, fencing included.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from ._base import Claim, OnTakeover

__all__ = ["MemoryStore"]


class MemoryStore:
    """A :class:`~jambonz_runtime.store.SessionStore` in a dict (one process)."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], dict[str, str]] = {}
        self._expires: dict[tuple[str, str], float] = {}
        self._watchers: dict[str, list[OnTakeover]] = {}

    def _get(self, key: tuple[str, str]) -> dict[str, str] | None:
        expires = self._expires.get(key)
        if expires is not None and expires <= time.monotonic():
            self._records.pop(key, None)
            self._expires.pop(key, None)
        return self._records.get(key)

    def _touch(self, key: tuple[str, str], ttl: float) -> None:
        self._expires[key] = time.monotonic() + ttl

    async def claim(
        self,
        namespace: str,
        call_sid: str,
        owner: str,
        *,
        ttl: float,
        fields: Mapping[str, str] | None = None,
    ) -> Claim:
        """See :meth:`SessionStore.claim`."""
        key = (namespace, call_sid)
        record = self._get(key)
        before = dict(record or {})
        token = int(before.pop("token", "0")) + 1
        previous = before.pop("owner", "")
        self._records[key] = {**before, **(fields or {}), "token": str(token), "owner": owner}
        self._touch(key, ttl)
        for watcher in list(self._watchers.get(namespace, ())):
            watcher(call_sid, token, owner)
        return Claim(token, previous, before)

    async def save(
        self,
        namespace: str,
        call_sid: str,
        token: int,
        fields: Mapping[str, str],
        *,
        ttl: float,
    ) -> bool:
        """See :meth:`SessionStore.save`."""
        key = (namespace, call_sid)
        record = self._get(key)
        if record is None:  # lost (expired, or the store restarted): write it anew
            record = self._records[key] = {"token": str(token)}
        elif record.get("token") != str(token):
            return False
        record.update(fields)
        self._touch(key, ttl)
        return True

    async def release(self, namespace: str, call_sid: str, token: int) -> bool:
        """See :meth:`SessionStore.release`."""
        record = self._get((namespace, call_sid))
        if record is None or record.get("token") != str(token):
            return False
        record["owner"] = ""
        return True

    async def watch(self, namespace: str, on_takeover: OnTakeover) -> None:
        """See :meth:`SessionStore.watch`."""
        watchers = self._watchers.setdefault(namespace, [])
        watchers.append(on_takeover)
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            watchers.remove(on_takeover)

    async def aclose(self) -> None:
        """Nothing to release."""

    def record(self, namespace: str, call_sid: str) -> dict[str, str] | None:
        """A copy of a call's record (tests, debugging)."""
        found = self._get((namespace, call_sid))
        return None if found is None else dict(found)
