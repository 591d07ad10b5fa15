"""The session-store contract, on both stores: tokens, fencing, release, takeover news."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from jambonz_runtime.exceptions import StoreError
from jambonz_runtime.store import MemoryStore, RedisStore, SessionStore, open_store

from .redis_server import RedisServer

StoreFactory = Callable[[], SessionStore]


@pytest.fixture(params=["memory", "redis"])
def make_store(request: pytest.FixtureRequest) -> StoreFactory:
    if request.param == "memory":
        shared = MemoryStore()
        return lambda: shared
    server: RedisServer = request.getfixturevalue("redis_server")
    return lambda: RedisStore(server.url)


async def test_claims_hand_out_increasing_tokens_and_report_the_previous_owner(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    first = await store.claim("app", "sid-1", "A", ttl=60)
    assert (first.token, first.previous_owner, dict(first.fields)) == (1, "", {})
    assert await store.save("app", "sid-1", first.token, {"state": '{"n":1}'}, ttl=60)
    second = await store.claim("app", "sid-1", "B", ttl=60)
    assert second.token == 2
    assert second.previous_owner == "A"
    assert second.fields == {"state": '{"n":1}'}
    await store.aclose()


async def test_a_stale_token_is_fenced_out(make_store: StoreFactory) -> None:
    store = make_store()
    old = await store.claim("app", "sid-2", "A", ttl=60)
    new = await store.claim("app", "sid-2", "B", ttl=60)
    assert not await store.save("app", "sid-2", old.token, {"state": "stale"}, ttl=60)
    assert not await store.release("app", "sid-2", old.token)
    assert await store.save("app", "sid-2", new.token, {"state": "fresh"}, ttl=60)
    third = await store.claim("app", "sid-2", "C", ttl=60)
    assert third.fields["state"] == "fresh"
    await store.aclose()


async def test_release_leaves_no_owner(make_store: StoreFactory) -> None:
    store = make_store()
    claim = await store.claim("app", "sid-3", "A", ttl=60)
    assert await store.release("app", "sid-3", claim.token)
    assert (await store.claim("app", "sid-3", "B", ttl=60)).previous_owner == ""
    await store.aclose()


async def test_namespaces_are_separate(make_store: StoreFactory) -> None:
    store = make_store()
    await store.claim("one", "sid-4", "A", ttl=60)
    assert (await store.claim("two", "sid-4", "B", ttl=60)).token == 1
    await store.aclose()


async def test_watchers_hear_every_claim_in_their_namespace(make_store: StoreFactory) -> None:
    store, watcher_store = make_store(), make_store()
    heard: asyncio.Queue[tuple[str, int, str]] = asyncio.Queue()
    watching = asyncio.get_running_loop().create_task(
        _watch(watcher_store, "app", lambda *event: heard.put_nowait(event))
    )
    # Subscribing is asynchronous: claim until the watcher hears one (bounded).
    for attempt in range(50):
        await store.claim("app", f"probe-{attempt}", "A", ttl=60)
        try:
            await asyncio.wait_for(heard.get(), 0.1)
            break
        except asyncio.TimeoutError:
            continue
    else:
        pytest.fail("the watcher never heard a claim")
    await store.claim("other", "sid-5", "A", ttl=60)
    claim = await store.claim("app", "sid-5", "B", ttl=60)
    assert await asyncio.wait_for(heard.get(), 5) == ("sid-5", claim.token, "B")
    watching.cancel()
    await asyncio.gather(watching, return_exceptions=True)
    await store.aclose()
    await watcher_store.aclose()


async def _watch(
    store: SessionStore, namespace: str, on_takeover: Callable[[str, int, str], None]
) -> None:
    await store.watch(namespace, on_takeover)


async def test_redis_records_expire(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url)
    claim = await store.claim("app", "sid-6", "A", ttl=60)
    assert await store.save("app", "sid-6", claim.token, {"ended": "1"}, ttl=0.05)
    from redis.asyncio import Redis

    client = Redis.from_url(redis_server.url)
    ttl_ms = await client.pttl("jambonz:app:call:sid-6")
    assert 0 < ttl_ms <= 50
    await client.aclose()
    await store.aclose()


async def test_redis_down_is_a_store_error(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url, timeout=0.5)
    redis_server.stop()
    with pytest.raises(StoreError, match="session store redis://"):
        await store.claim("app", "sid-7", "A", ttl=60)
    redis_server.start()
    assert (await store.claim("app", "sid-7", "A", ttl=60)).token == 1
    await store.aclose()


def test_open_store_by_url() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    assert isinstance(open_store("redis://127.0.0.1:1/0"), RedisStore)
    with pytest.raises(Exception, match="unknown session store URL"):
        open_store("postgres://x")


async def test_a_lost_record_is_written_anew_not_fenced(make_store: StoreFactory) -> None:
    # A store that lost its data (Redis restarted without persistence) is not a takeover.
    store = make_store()
    assert await store.save("app", "sid-8", 7, {"state": "{}"}, ttl=60)
    claim = await store.claim("app", "sid-8", "B", ttl=60)
    assert claim.token == 8
    assert claim.fields == {"state": "{}"}
    await store.aclose()
