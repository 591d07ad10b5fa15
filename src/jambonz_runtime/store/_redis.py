"""``RedisStore``: the session store shared by processes and machines, on Redis.

Why Redis, and how: one hash per call (``<prefix>:<namespace>:call:<call_sid>``), every
write a short Lua script so that the fencing check and the write are one atomic step,
and one pub/sub channel per namespace on which each claim is announced, so a stale
owner learns within a round trip that the call has moved. Uses the ``redis`` package's
asyncio client (optional extra ``redis``); nothing of it is imported until a
``RedisStore`` is made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, cast

from ..exceptions import MissingExtra, StoreError
from ._base import Claim, OnTakeover

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisStore"]

_log = logging.getLogger("jambonz_runtime.store")

_CLAIM: Final = """
local prev = redis.call('HGET', KEYS[1], 'owner') or ''
local before = redis.call('HGETALL', KEYS[1])
local token = redis.call('HINCRBY', KEYS[1], 'token', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. token .. ' ' .. ARGV[1])
return {token, prev, before}
"""

_SAVE: Final = """
local token = redis.call('HGET', KEYS[1], 'token')
if token and token ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'token', ARGV[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

_RELEASE: Final = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', '')
return 1
"""

_CONTROL: Final = frozenset({"token", "owner"})


class RedisStore:
    """A :class:`~jambonz_runtime.store.SessionStore` on Redis.

    Args:
        url: ``redis://host:port/db`` (``rediss://`` for TLS), as ``redis.asyncio``
            takes it.
        prefix: first part of every key and channel.
        timeout: seconds any Redis call may take (connect included) before it counts
            as a :class:`~jambonz_runtime.exceptions.StoreError`; keep it well under
            jambonz's 5 s ack deadline, since saves happen before acks.

    Raises:
        MissingExtra: the ``redis`` package is not installed.
    """

    def __init__(self, url: str, *, prefix: str = "jambonz", timeout: float = 1.0) -> None:
        try:
            from redis.asyncio import Redis
        except ImportError as exc:  # pragma: no cover - exercised without the extra
            raise MissingExtra(
                "RedisStore needs the redis package: pip install 'jambonz-typed[redis]'"
            ) from exc
        self.url = url
        self.prefix = prefix
        self._redis: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
        )
        self._claim = self._redis.register_script(_CLAIM)
        self._save = self._redis.register_script(_SAVE)
        self._release = self._redis.register_script(_RELEASE)

    def __repr__(self) -> str:
        return f"<RedisStore {self.url} prefix={self.prefix!r}>"

    def _key(self, namespace: str, call_sid: str) -> str:
        return f"{self.prefix}:{namespace}:call:{call_sid}"

    def _channel(self, namespace: str) -> str:
        return f"{self.prefix}:{namespace}:takeover"

    async def claim(self, namespace: str, call_sid: str, owner: str, *, ttl: float) -> Claim:
        """See :meth:`SessionStore.claim`."""
        args = [owner, _ms(ttl), self._channel(namespace), call_sid]
        result = await self._call(self._claim(keys=[self._key(namespace, call_sid)], args=args))
        token, previous, flat = cast("list[object]", result)
        pairs = cast("list[str]", flat)
        before = {k: v for k, v in zip(pairs[::2], pairs[1::2], strict=True) if k not in _CONTROL}
        return Claim(int(cast("int", token)), str(previous), before)

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
        if not fields:
            return True
        args: list[str] = [str(token), _ms(ttl)]
        for name, value in fields.items():
            args += (name, value)
        result = await self._call(self._save(keys=[self._key(namespace, call_sid)], args=args))
        return result == 1

    async def release(self, namespace: str, call_sid: str, token: int) -> bool:
        """See :meth:`SessionStore.release`."""
        key = self._key(namespace, call_sid)
        return await self._call(self._release(keys=[key], args=[str(token)])) == 1

    async def watch(self, namespace: str, on_takeover: OnTakeover) -> None:
        """See :meth:`SessionStore.watch`; survives Redis restarts (resubscribes)."""
        channel = self._channel(namespace)
        delay = 0.1
        failing = False
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(channel)
                if failing:
                    _log.warning("session store %s: takeover channel back", self.url)
                    failing, delay = False, 0.1
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is None:
                        continue
                    _dispatch(message.get("data"), on_takeover)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not failing:
                    _log.error(
                        "session store %s: takeover channel lost (%s); retrying", self.url, exc
                    )
                failing = True
                await asyncio.sleep(delay)  # bounded backoff between resubscriptions
                delay = min(delay * 2, 2.0)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:  # the connection is gone already
                    pass

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()

    async def _call(self, pending: object) -> object:
        from redis.exceptions import RedisError

        try:
            return await cast("asyncio.Future[object]", pending)
        except (RedisError, OSError) as exc:
            raise StoreError(f"session store {self.url}: {type(exc).__name__}: {exc}") from exc


def _ms(seconds: float) -> str:
    return str(max(1, int(seconds * 1000)))


def _dispatch(data: object, on_takeover: OnTakeover) -> None:
    if not isinstance(data, str):
        return
    parts = data.rsplit(" ", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return
    call_sid, token, owner = parts
    on_takeover(call_sid, int(token), owner)
