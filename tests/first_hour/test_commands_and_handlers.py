"""Issue 21, items 3, 6 and 8 (App side): mistakes a newcomer makes are caught or harmless."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from jambonz_runtime import App, ConfigurationError, Delivery, Session
from jambonz_runtime.testing import Simulator
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback


def test_unawaited_command_is_still_sent_in_order() -> None:
    app = App()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        # The classic slip: no ``await``. The commands are queued at call time anyway.
        session.redirect(Verbs().say(text="first"))
        session.send_dtmf("12")
        return Verbs().pause(length=30)

    async def main() -> list[str]:
        async with Simulator(app) as sim:
            call = await sim.call("/")
            await call.expect_ack(call.session_msgid)
            redirect = await call.expect_command("redirect")
            first = await call.expect_command("dtmf")
            second = await call.expect_command("dtmf")
            await call.hangup()
            return [str(redirect.data), str(first.data), str(second.data)]

    sent = asyncio.run(main())
    assert "first" in sent[0]
    assert "'digit': '1'" in sent[1]
    assert "'digit': '2'" in sent[2]


def test_command_returns_an_awaitable_delivery() -> None:
    app = App()
    deliveries: list[Delivery] = []

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        delivery = session.hangup()
        deliveries.append(delivery)
        await delivery  # awaiting still works (and raises a write error, if any)
        return Verbs().pause(length=1)

    async def main() -> None:
        async with Simulator(app) as sim:
            call = await sim.call("/")
            await call.expect_command("call:status")
            await call.hangup()

    asyncio.run(main())
    assert len(deliveries) == 1
    assert deliveries[0].done()
    assert not inspect.iscoroutine(deliveries[0])


def test_plain_def_handler_is_refused_at_registration() -> None:
    app = App()

    def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().hangup()

    with pytest.raises(ConfigurationError, match=r"handlers must be `async def`"):
        app.on_session("/")(start)  # type: ignore[arg-type]

    def menu(session: Session, result: GatherCallback) -> Verbs:
        return Verbs().hangup()

    with pytest.raises(ConfigurationError, match=r"action_hook\('/menu'\): handlers must be"):
        app.action_hook("/menu")(menu)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"app.on\('call:status'\): handlers must be"):
        app.on("call:status")(lambda session, event: None)  # type: ignore[arg-type,return-value]


def test_async_callable_objects_are_accepted() -> None:
    app = App()

    class Handler:
        async def __call__(self, session: Session, call: SessionNewCallback) -> Verbs:
            return Verbs().hangup()

    app.on_session("/")(Handler())
    assert app.paths == ("/",)


def test_event_hook_has_its_own_docstring() -> None:
    assert App.event_hook.__doc__ is not None
    assert App.event_hook.__doc__ != App.action_hook.__doc__
    assert "eventHook" in App.event_hook.__doc__.splitlines()[0]
