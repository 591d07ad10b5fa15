"""Every example app, driven through the simulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from examples import dial_fallback, echo, hello_world, ivr_menu
from jambonz_runtime.testing import Simulator
from jambonz_types.callbacks import DialCallback, GatherCallback
from jambonz_types.callbacks.gather import Alternative, Speech

ROOT = Path(__file__).resolve().parents[2]


async def test_hello_world() -> None:
    async with Simulator(hello_world.app) as sim:
        call = await sim.call(from_="+15551112222")
        ack = await call.expect_ack(call.session_msgid)
        assert ack.data == [
            {"verb": "say", "text": "Hello +15551112222, this is jambonz typed."},
            {"verb": "hangup"},
        ]


async def test_echo_digits_and_speech_keeps_state() -> None:
    async with Simulator(echo.app) as sim:
        call = await sim.call()
        first = await call.expect_ack(call.session_msgid)
        assert first.verb_names == ["gather"]
        assert first.data[0]["actionHook"] == "/echo"  # type: ignore[index,call-overload]
        msgid = await call.hook(echo.echo, GatherCallback(reason="dtmfDetected", digits="42"))
        assert (await call.expect_ack(msgid)).data[0] == {"verb": "say", "text": "you pressed 4 2"}
        speech = Speech(alternatives=[Alternative(transcript="hello")])
        msgid = await call.hook(echo.echo, GatherCallback(reason="speechDetected", speech=speech))
        assert (await call.expect_ack(msgid)).data[0] == {"verb": "say", "text": "you said: hello"}
        msgid = await call.hook(echo.echo, GatherCallback(reason="timeout"))
        ack = await call.expect_ack(msgid)
        assert ack.data[0] == {"verb": "say", "text": "I did not catch that"}
        assert echo.app.sessions[str(call.call_sid)].state["turns"] == 3
        await call.hangup()


async def test_ivr_menu_routes_and_gives_up_after_three_tries() -> None:
    async with Simulator(ivr_menu.app) as sim:
        sales = await sim.call("/ivr")
        assert (await sales.expect_ack(sales.session_msgid)).verb_names == ["say", "gather"]
        msgid = await sales.hook(ivr_menu.menu, GatherCallback(reason="dtmfDetected", digits="1"))
        assert (await sales.expect_ack(msgid)).data[0] == {
            "verb": "say",
            "text": "Connecting you to sales.",
        }
        lost = await sim.call("/ivr")
        await lost.expect_ack(lost.session_msgid)
        names = []
        for _ in range(3):
            msgid = await lost.hook(
                ivr_menu.menu, GatherCallback(reason="dtmfDetected", digits="9")
            )
            names.append((await lost.expect_ack(msgid)).verb_names)
        assert names == [["say", "gather"], ["say", "gather"], ["say", "hangup"]]


async def test_ivr_menu_error_reply_when_payload_is_bad() -> None:
    async with Simulator(ivr_menu.app) as sim:
        call = await sim.call("/ivr")
        await call.expect_ack(call.session_msgid)
        msgid = await call.hook("/menu", {"digits": 5})  # not a string: handler never runs
        assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]


async def test_dial_fallback_tries_next_number_then_gives_up() -> None:
    async with Simulator(dial_fallback.app) as sim:
        call = await sim.call()
        first = await call.expect_ack(call.session_msgid)
        assert first.verb_names == ["say", "dial"]
        msgid = await call.hook(dial_fallback.dial_done, DialCallback(dial_call_status="no-answer"))
        second = await call.expect_ack(msgid)
        assert second.verb_names == ["say", "dial"]
        assert second.data[1]["target"] == [{"type": "phone", "number": "+15085553434"}]  # type: ignore[index,call-overload]
        msgid = await call.hook(dial_fallback.dial_done, DialCallback(dial_call_status="busy"))
        assert (await call.expect_ack(msgid)).verb_names == ["say", "hangup"]
        answered = await sim.call()
        await answered.expect_ack(answered.session_msgid)
        msgid = await answered.hook(
            dial_fallback.dial_done, DialCallback(dial_call_status="completed")
        )
        assert (await answered.expect_ack(msgid)).verb_names == ["hangup"]


def test_run_demo_prints_the_conversation() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run_demo.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONPATH": f"{ROOT / 'src'}", "PATH": ""},
    ).stdout
    assert "app  -> say: you pressed 4 2" in out
    assert "app  -> say: you said: hello typed world" in out
