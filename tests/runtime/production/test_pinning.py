"""Pinning: ``session:new`` answered with a redirect to the instance's own URL."""

from __future__ import annotations

from jambonz_runtime import App, CallFlow, JambonzServer
from jambonz_runtime.testing import Simulator
from jambonz_types.callbacks import GatherCallback

from .apps import first_text, make_app


async def test_session_new_is_redirected_to_the_instance_and_the_call_starts_there() -> None:
    server = JambonzServer(make_app(), pin_url="ws://127.0.0.1:1")  # placeholder, set below
    async with server:
        server.pin_url = server.url  # this instance's own URL, as a balancer route would be
        async with Simulator(url=server.url) as sim:
            call = await sim.call()
            ack = await call.expect_ack(call.session_msgid)
            assert ack.data == [{"verb": "redirect", "actionHook": f"{server.url}/?jambonz_pin=1"}]
            assert server.apps[0].sessions == {}  # nothing started on the balancer's socket

            # jambonz follows the redirect: a new socket to that URL, session:redirect.
            pinned = await sim.connect("/?jambonz_pin=1", call_sid=call.call_sid)
            pinned.call_info = call.call_info
            msgid = await pinned.send("session:redirect", call.call_info, hook="/")
            started = await pinned.expect_ack(msgid)
            assert started.verb_names == ["say", "gather"]
            answer = await pinned.expect_ack(await pinned.hook("/menu", GatherCallback(digits="4")))
            assert first_text(answer.data).startswith("heard 4 ")

            # A reconnect of the pinned socket lands here and resumes from memory.
            again, msgid = await pinned.reconnect()
            await again.expect_ack(msgid)
            answer = await again.expect_ack(await again.hook("/menu", GatherCallback(digits="5")))
            assert first_text(answer.data).startswith("heard 4,5 ")


async def test_a_call_flow_keeps_running_on_its_pinned_instance() -> None:
    app = App()

    @app.flow("/")
    async def main(call: CallFlow) -> None:
        result = await call.gather(input=["digits"])
        await call.say(text=f"you pressed {result.digits}").hangup()

    server = JambonzServer(app)
    async with server:
        server.pin_url = server.url
        async with Simulator(url=server.url) as sim:
            call = await sim.call()
            redirect = await call.expect_ack(call.session_msgid)
            assert redirect.verb_names == ["redirect"]
            pinned = await sim.connect("/?jambonz_pin=1", call_sid=call.call_sid)
            pinned.call_info = call.call_info
            gather = await pinned.expect_ack(
                await pinned.send("session:redirect", call.call_info, hook="/")
            )
            assert gather.verb_names == ["gather"]
            hook = gather.data[0]["actionHook"]  # type: ignore[index,call-overload]
            answer = await pinned.expect_ack(
                await pinned.hook(str(hook), GatherCallback(reason="dtmfDetected", digits="7"))
            )
            assert answer.verb_names == ["say", "hangup"]
            assert first_text(answer.data) == "you pressed 7"
