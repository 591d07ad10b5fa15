"""Typing claims about linear call flows, checked by mypy --strict (never run).

Each ``await`` of a verb chain has the type of the callback its last verb's action hook
receives (from the generated verb -> callback table), or ``None`` for a verb without one;
negative cases must stay type errors (``warn_unused_ignores`` keeps them honest).
"""

from __future__ import annotations

from typing_extensions import assert_type

from jambonz_runtime import App, CallFlow, FlowHandler, Session
from jambonz_types import FlowChain, HookRef, JambonzCallback
from jambonz_types.callbacks import (
    ConferenceCallback,
    DequeueCallback,
    DialCallback,
    EnqueueCallback,
    GatherCallback,
    GatherPartialCallback,
    ListenCallback,
    LlmCallback,
    MessageCallback,
    PlayCallback,
    SessionNewCallback,
    SipReferCallback,
    SipRequestCallback,
    TransferCallback,
)
from jambonz_types.components import Target

__all__: list[str] = []

app = App()


@app.flow("/")
async def positives(call: CallFlow) -> None:
    assert_type(await call.gather(input=["digits"], num_digits=1), GatherCallback)
    result = await call.say(text="Press 1").gather(input=["digits"])
    assert_type(result, GatherCallback)
    assert_type(result.digits, str | None)
    dial = await call.say(text="Connecting").dial(target=[Target(type="phone", number="+1")])
    assert_type(dial, DialCallback)
    assert_type(await call.play(url="https://x/a.wav"), PlayCallback)
    assert_type(await call.listen(url="wss://x"), ListenCallback)
    assert_type(await call.stream(url="wss://x"), ListenCallback)
    assert_type(await call.llm(vendor="openai", llm_options={}), LlmCallback)
    assert_type(await call.openai_s2s(llm_options={}), LlmCallback)
    assert_type(await call.conference(name="c"), ConferenceCallback)
    assert_type(await call.room(name="c"), ConferenceCallback)
    assert_type(await call.enqueue(name="q"), EnqueueCallback)
    assert_type(await call.dequeue(name="q"), DequeueCallback)
    assert_type(await call.message(to="+1", from_="+2", text="t"), MessageCallback)
    assert_type(await call.sip_refer(refer_to="sip:x@y"), SipReferCallback)
    assert_type(await call.sip_request(method="INFO"), SipRequestCallback)
    transferred = await call.transfer(mode="blind", target=[Target(type="phone", number="+1")])
    assert_type(transferred, TransferCallback)
    assert_type(await call.dialogflow(project="p", lang="en", credentials="c"), JambonzCallback)
    # no action hook: the await yields None, and the chain's type follows its last verb
    assert_type(call.say(text="Goodbye").hangup(), FlowChain[None])
    assert_type(call.gather().say(text="x"), FlowChain[None])
    assert_type(call.say(text="x").gather(), FlowChain[GatherCallback])
    await call.say(text="Goodbye").hangup()
    await call.redirect(action_hook="/elsewhere")  # required: the app names where to go
    assert_type(call.info, SessionNewCallback)
    assert_type(call.session, Session)


@app.action_hook("/partial")
async def partial(session: Session, result: GatherPartialCallback) -> None:
    return None


@app.action_hook("/dialed")
async def dialed(session: Session, result: DialCallback) -> None:
    return None


async def negatives(call: CallFlow, dial_hook: HookRef[DialCallback]) -> None:
    dial = await call.dial(target=[])
    _ = dial.digits  # type: ignore[attr-defined]
    _ = (await call.gather()).dial_call_status  # type: ignore[attr-defined]
    await call.gather(action_hook="/menu")  # type: ignore[call-arg]
    await call.gather(txt="typo")  # type: ignore[call-arg]
    await call.gather(input=["dtmf"])  # type: ignore[list-item]
    await call.gather(num_digits="1")  # type: ignore[arg-type]
    await call.gather(partial_result_hook=dialed)  # type: ignore[arg-type]
    await call.gather(partial_result_hook=partial)
    await call.dial()  # type: ignore[call-arg]
    nothing = await call.say(text="x")  # type: ignore[func-returns-value]
    gathered: GatherCallback = await call.dial(target=[])  # type: ignore[assignment]
    await call.redirect()  # type: ignore[call-arg]
    del nothing, gathered


async def not_a_flow(session: Session, call: SessionNewCallback) -> None:
    return None


wrong: FlowHandler = not_a_flow  # type: ignore[assignment]
app.flow("/wrong")(not_a_flow)  # type: ignore[arg-type]
