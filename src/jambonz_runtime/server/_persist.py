"""Keeping calls in a session store: what is written when, and taking calls over.

Why here, in the server layer: only the dispatcher knows the moments that matter —
a ``session:new`` answered, a handler done (its ack not yet sent), a command queued
with no socket, a ``session:reconnect`` for a call this process has never seen, the
call's end, a drain — and the store must be written *before* the ack that depends on
it leaves, so a reconnect on another instance never sees a state older than what
jambonz has acted on.

Failure policy: the store is an aid, never a dependency of a live call. Any
:class:`~jambonz_runtime.exceptions.StoreError` is logged once per call (until the
store answers again, when the whole record is rewritten) and the call goes on from
memory. A refused (fenced) write means another instance holds the call: the session
here stops sending (:meth:`Session._move`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Final, TypeVar

from pydantic import JsonValue, ValidationError

from jambonz_types.callbacks import SessionNewCallback

from .._log import call_logger
from ..app import App
from ..exceptions import StoreError
from ..session import Session
from ..store import SessionStore

__all__ = ["Persistence", "instance_id"]

_T = TypeVar("_T")

_log = logging.getLogger("jambonz_runtime.store")

LIVE_TTL: Final = 6 * 3600.0
"""Seconds a live call's record is kept after its last write (a safety net for records
whose end was never written, e.g. the process died)."""

ENDED_TTL: Final = 600.0
"""Seconds an ended call's record is kept (late duplicate messages, debugging)."""


def instance_id() -> str:
    """This process's owner name in the store: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Persistence:
    """One server's link to its session store (shared by all its connections)."""

    def __init__(
        self,
        store: SessionStore,
        *,
        owner: str | None = None,
        live_ttl: float = LIVE_TTL,
        ended_ttl: float = ENDED_TTL,
        on_resume: Callable[[str, float], None] | None = None,
    ) -> None:
        self.store = store
        self.owner: str = owner or instance_id()
        self.live_ttl = live_ttl
        self.ended_ttl = ended_ttl
        self._on_resume = on_resume
        self._apps: dict[str, App[Any]] = {}
        self._watchers: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[object]] = set()
        self._beginning: dict[Session[Any], asyncio.Task[None]] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, apps: Mapping[str, App[Any]]) -> None:
        """Watch each app's namespace for takeovers by other instances."""
        loop = asyncio.get_running_loop()
        for name, app in apps.items():
            self._apps[name] = app
            self._watchers.append(
                loop.create_task(_run(self.store.watch(name, self._takeover(app))))
            )

    async def stop(self) -> None:
        """Stop watching; wait for background writes; close the store."""
        for task in self._watchers:
            task.cancel()
        if self._watchers:
            await asyncio.wait(self._watchers)
        self._watchers.clear()
        if self._background:
            await asyncio.wait(set(self._background), timeout=5.0)
        await self.store.aclose()

    def _takeover(self, app: App[Any]) -> Callable[[str, int, str], None]:
        def on_takeover(call_sid: str, token: int, owner: str) -> None:
            if owner == self.owner:
                return
            session = app.sessions.get(call_sid)
            if session is None or session._token is None or session._token >= token:
                return
            app.sessions.pop(call_sid, None)
            session._move()

        return on_takeover

    # -- writes --------------------------------------------------------------------------

    def begin_soon(self, app: App[Any], session: Session[Any], kind: str, data: JsonValue) -> None:
        """Claim a starting call while its handler runs (the first save waits for it)."""
        task = asyncio.get_running_loop().create_task(self.begin(app, session, kind, data))
        self._beginning[session] = task
        task.add_done_callback(lambda _: self._beginning.pop(session, None))

    async def begin(self, app: App[Any], session: Session[Any], kind: str, data: JsonValue) -> None:
        """A call starts here: claim it and write what a reconnect elsewhere needs."""
        if session.call_sid is None:
            return
        fields = {
            "call": _json(data),
            "kind": kind,
            "path": session.path,
            "ended": "",
            "initial": "",
            "outbox": "[]",
        }
        state = self._dump(app, session)
        if state is not None:
            fields["state"] = state
        try:
            claim = await self.store.claim(
                app.name, session.call_sid, self.owner, ttl=self.live_ttl, fields=fields
            )
        except StoreError as exc:
            self._failed(session, exc)
            return
        session._token = claim.token
        session._saved_state = state
        self._recovered(session)

    async def after_handler(
        self, app: App[Any], session: Session[Any], *, initial: JsonValue | None = None
    ) -> bool:
        """Save what a handler changed, before its ack leaves.

        ``initial``: the verbs answering a ``session:new`` whose socket dropped before
        the ack could leave (a reconnect elsewhere must carry them). Returns ``False`` when another instance owns the call (send
        nothing); a store error returns ``True`` (go on from memory).
        """
        beginning = self._beginning.get(session)
        if beginning is not None:
            await asyncio.wait({beginning})
        fields: dict[str, str] = {}
        state = self._dump(app, session)
        if state is not None and state != session._saved_state:
            fields["state"] = state
        if initial is not None:
            fields["initial"] = _json(initial)
        if not fields and not session._store_failing:
            return True
        return await self._save(app, session, fields, state=state)

    def save_soon(self, app: App[Any], session: Session[Any], fields: Mapping[str, str]) -> None:
        """Write ``fields`` without holding anything up (after an ack, on a queued command)."""
        self._spawn(self._save(app, session, dict(fields)))

    def outbox_changed(self, app: App[Any], session: Session[Any]) -> None:
        """A command was queued with no socket: keep the queue for another instance."""
        self.save_soon(app, session, {"outbox": json.dumps(session._outbox)})

    def end_soon(self, app: App[Any], session: Session[Any]) -> None:
        """The call is over: mark it so, kept for ``ended_ttl``."""
        if session._token is None or session._moved or session.call_sid is None:
            return
        self._spawn(self._end(app, session))

    async def release(self, app: App[Any], session: Session[Any]) -> None:
        """Give the call up before closing its socket for a drain (no takeover needed)."""
        if session._token is None or session.call_sid is None:
            return
        try:
            await self._save(app, session, {"outbox": json.dumps(session._outbox)})
            await self.store.release(app.name, session.call_sid, session._token)
        except StoreError as exc:
            self._failed(session, exc)

    async def _end(self, app: App[Any], session: Session[Any]) -> None:
        assert session.call_sid is not None
        assert session._token is not None
        try:
            await self.store.save(
                app.name, session.call_sid, session._token, {"ended": "1"}, ttl=self.ended_ttl
            )
        except StoreError as exc:
            self._failed(session, exc)

    async def _save(
        self,
        app: App[Any],
        session: Session[Any],
        fields: dict[str, str],
        *,
        state: str | None = None,
    ) -> bool:
        if session.call_sid is None or session._moved:
            return not session._moved
        try:
            if session._token is None or session._store_failing:
                # The first claim failed, or writes were lost while the store was down:
                # (re)claim if needed and write the whole record.
                if session._token is None:
                    claim = await self.store.claim(
                        app.name, session.call_sid, self.owner, ttl=self.live_ttl
                    )
                    session._token = claim.token
                fields = {**self._full(app, session), **fields}
                state = fields.get("state", state)
            ok = await self.store.save(
                app.name, session.call_sid, session._token, fields, ttl=self.live_ttl
            )
        except StoreError as exc:
            self._failed(session, exc)
            return True
        if not ok:
            app.sessions.pop(session.call_sid, None)
            session._move()
            return False
        if state is not None:
            session._saved_state = state
        self._recovered(session)
        return True

    def _full(self, app: App[Any], session: Session[Any]) -> dict[str, str]:
        fields = {
            "call": session.call.model_dump_json(by_alias=True, exclude_unset=True),
            "kind": "session:new",
            "path": session.path,
            "outbox": json.dumps(session._outbox),
            "ended": "1" if session.ended else "",
        }
        state = self._dump(app, session)
        if state is not None:
            fields["state"] = state
        return fields

    # -- reconnect -----------------------------------------------------------------------

    async def take_over(
        self, app: App[Any], call_sid: str, path: str, session: Session[Any] | None
    ) -> tuple[Session[Any] | None, list[JsonValue]]:
        """Claim a reconnecting call; rebuild its session from the store if needed.

        ``session``: the one this process has in memory (``None``: never seen here).
        Returns the session to use (``None``: the store knows nothing, or failed) and
        the verbs the reconnect's ack must carry (a ``session:new`` never acked).
        """
        started = time.perf_counter()
        try:
            claim = await self.store.claim(app.name, call_sid, self.owner, ttl=self.live_ttl)
        except StoreError as exc:
            _log.error("[%s] session store unavailable on session:reconnect: %s", call_sid, exc)
            return session, []
        record = claim.fields
        previous_token = session._token if session is not None else None
        if claim.previous_owner and claim.previous_owner != self.owner:
            _log.info(
                "[%s] took the call over from %s (its socket was not closed cleanly)",
                call_sid,
                claim.previous_owner,
            )
        if session is not None and (previous_token == claim.token - 1 or not record):
            session._token = claim.token  # we held it last: memory is current
            return session, []
        if not record.get("call"):
            if session is not None:
                session._token = claim.token
            return session, []
        rebuilt = self._rebuild(app, call_sid, path, record)
        rebuilt._token = claim.token
        if session is not None:
            session._move()  # memory here is older than the store's
        initial: list[JsonValue] = []
        if record.get("initial"):
            loaded = json.loads(record["initial"])
            initial = loaded if isinstance(loaded, list) else []
        if self._on_resume is not None:
            self._on_resume("store", time.perf_counter() - started)
        return rebuilt, initial

    def _rebuild(
        self, app: App[Any], call_sid: str, path: str, record: Mapping[str, str]
    ) -> Session[Any]:
        log = call_logger(call_sid, _log)
        loaded = json.loads(record["call"])
        raw: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        try:
            call = SessionNewCallback.model_validate(raw, by_alias=True, by_name=False)
        except ValidationError:
            call = SessionNewCallback.model_construct(**raw)
        state: object
        try:
            state = app.load_state(record["state"]) if record.get("state") else app.new_state()
        except ValueError as exc:
            log.error("stored state does not fit the state model (%s); fresh state", exc)
            state = app.new_state()
        session = Session[Any](
            call_sid, call, record.get("path") or path, env_vars=app.env_vars, state=state
        )
        session._saved_state = record.get("state")
        outbox = json.loads(record.get("outbox") or "[]")
        if isinstance(outbox, list):
            session._outbox = [t for t in outbox if isinstance(t, str)]
        return session

    # -- helpers -------------------------------------------------------------------------

    def _dump(self, app: App[Any], session: Session[Any]) -> str | None:
        try:
            return app.dump_state(session.state)
        except (TypeError, ValueError) as exc:
            if not session._store_failing:
                session.log.error("state cannot be stored as JSON (%s); kept in memory only", exc)
            return None

    def _failed(self, session: Session[Any], exc: StoreError) -> None:
        if not session._store_failing:
            session.log.error("%s; the call goes on from this process's memory", exc)
        session._store_failing = True

    def _recovered(self, session: Session[Any]) -> None:
        if session._store_failing:
            session._store_failing = False
            session.log.warning("session store reachable again; call state saved")

    def _spawn(self, coro: Coroutine[object, None, object]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


async def _run(awaitable: Awaitable[None]) -> None:
    await awaitable


def _json(value: JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"))
