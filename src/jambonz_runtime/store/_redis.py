"""``RedisStore``: the session store shared by processes and machines, on Redis.

Why Redis, and how: one hash per call (``<prefix>:<namespace>:call:<call_sid>``), every
write a short Lua script so that the fencing check and the write are one atomic step,
and one pub/sub channel per namespace on which each claim is announced, so a stale
owner learns within a round trip that the call has moved. Uses the ``redis`` package's
asyncio client (optional extra ``redis``); nothing of it is imported until a
``RedisStore`` is made.

Why batched: every hook of every call writes once before its ack, so at hundreds of
concurrent calls the client's per-command cost is what the store costs. Writes issued
in one turn of the event loop go to Redis as one pipeline (one round trip, one parse),
from a task of the store's own; callers only await a future. That also keeps the Redis
client's timeouts off the caller's task (the runtime starts handlers outside any task).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from ..exceptions import MissingExtra, StoreError
from ._base import Claim, OnTakeover

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.connection import AbstractConnection

__all__ = ["RedisStore"]

_log = logging.getLogger("jambonz_runtime.store")

_CLAIM: Final = """
local prev = redis.call('HGET', KEYS[1], 'owner') or ''
local before = redis.call('HGETALL', KEYS[1])
local token = redis.call('HINCRBY', KEYS[1], 'token', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1], unpack(ARGV, 5))
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


class _Op:
    __slots__ = ("args", "future", "key", "script")

    def __init__(self, script: str, key: str, args: Sequence[str]) -> None:
        self.script = script
        self.key = key
        self.args = args
        self.future: asyncio.Future[object] = asyncio.get_running_loop().create_future()


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
        self._sha: dict[str, str] = {}
        self._queue: list[_Op] = []
        self._flushing: set[asyncio.Task[None]] = set()
        self._flusher_running = False
        self._conn: AbstractConnection | None = None

    def __repr__(self) -> str:
        return f"<RedisStore {self.url} prefix={self.prefix!r}>"

    def _key(self, namespace: str, call_sid: str) -> str:
        return f"{self.prefix}:{namespace}:call:{call_sid}"

    def _channel(self, namespace: str) -> str:
        return f"{self.prefix}:{namespace}:takeover"

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
        args = [owner, _ms(ttl), self._channel(namespace), call_sid]
        for name, value in (fields or {}).items():
            args += (name, value)
        result = await self._run(_CLAIM, self._key(namespace, call_sid), args)
        if not isinstance(result, list) or len(result) != 3:
            raise StoreError(f"session store {self.url}: unexpected claim answer {result!r}")
        token, previous, flat = result
        pairs = [str(item) for item in flat] if isinstance(flat, list) else []
        before = {k: v for k, v in zip(pairs[::2], pairs[1::2], strict=True) if k not in _CONTROL}
        return Claim(int(token), str(previous), before)

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
        args: list[str] = [str(token), _ms(ttl)]
        for name, value in fields.items():
            args += (name, value)
        return await self._run(_SAVE, self._key(namespace, call_sid), args) == 1

    async def release(self, namespace: str, call_sid: str, token: int) -> bool:
        """See :meth:`SessionStore.release`."""
        key = self._key(namespace, call_sid)
        return await self._run(_RELEASE, key, [str(token)]) == 1

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
                    if message is not None:
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
        """Finish queued writes, then close the connection pool."""
        if self._flushing:
            await asyncio.wait(set(self._flushing))
        if self._conn is not None:
            await self._redis.connection_pool.release(self._conn)
            self._conn = None
        await self._redis.aclose()

    # -- batching ------------------------------------------------------------------------

    async def _run(self, script: str, key: str, args: Sequence[str]) -> object:
        op = _Op(script, key, args)
        self._queue.append(op)
        if not self._flusher_running:
            self._flusher_running = True
            task = asyncio.get_running_loop().create_task(self._flush_all())
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)
        return await op.future

    async def _flush_all(self) -> None:
        # One batch in flight at a time on the one connection (replies come back in
        # order); what queues meanwhile is the next batch.
        try:
            await asyncio.sleep(0)  # let this turn of the loop add its writes to the batch
            while self._queue:
                ops, self._queue = self._queue, []
                await self._flush(ops)
        finally:
            # No await between the last empty-queue check and this: a write queued
            # from now on starts a new flusher.
            self._flusher_running = False

    async def _flush(self, ops: list[_Op]) -> None:
        from redis.exceptions import NoScriptError, RedisError

        try:
            try:
                results = await self._pipeline(ops)
            except NoScriptError:  # Redis restarted and forgot the scripts: load, retry
                self._sha.clear()
                results = await self._pipeline(ops)
        except (RedisError, OSError) as exc:
            error = StoreError(f"session store {self.url}: {type(exc).__name__}: {exc}")
            for op in ops:
                if not op.future.done():
                    op.future.set_exception(error)
            return
        except BaseException as exc:  # cancelled: nobody may wait forever
            for op in ops:
                if not op.future.done():
                    op.future.set_exception(StoreError(f"session store {self.url}: {exc!r}"))
            raise
        for op, result in zip(ops, results, strict=True):
            if op.future.done():
                continue
            if isinstance(result, Exception):
                op.future.set_exception(
                    StoreError(f"session store {self.url}: {type(result).__name__}: {result}")
                )
            else:
                op.future.set_result(result)

    async def _pipeline(self, ops: list[_Op]) -> list[object]:
        # One dedicated connection and redis-py's own packing and parsing, without the
        # Pipeline object's per-batch bookkeeping: the store's whole cost per write is
        # this client work (bench/store.py), so it is kept to the minimum.
        from redis.exceptions import NoScriptError, ResponseError

        for script in {op.script for op in ops} - self._sha.keys():
            self._sha[script] = str(await self._redis.script_load(script))
        conn = self._conn
        if conn is None:
            conn = self._conn = await self._redis.connection_pool.get_connection()  # type: ignore[no-untyped-call]
        commands: list[list[str | int]] = [
            ["EVALSHA", self._sha[op.script], 1, op.key, *op.args] for op in ops
        ]
        try:
            await conn.send_packed_command(conn.pack_commands(commands), check_health=False)
            results: list[object] = []
            for _ in ops:
                try:
                    results.append(await conn.read_response())
                except ResponseError as exc:  # an error reply; the stream stays aligned
                    results.append(exc)
        except BaseException:
            self._conn = None
            await conn.disconnect()
            await self._redis.connection_pool.release(conn)
            raise
        if any(isinstance(result, NoScriptError) for result in results):
            raise NoScriptError("NOSCRIPT")
        return results


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
