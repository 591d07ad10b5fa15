"""Typing claims about hook payloads, for mypy AND pyright (never run; see dict_claims).

Each hook parameter is typed with the payload the server posts there, so the natural
handler (typed with that payload) is accepted and a handler for another hook is not.
"""

from __future__ import annotations

from typing_extensions import assert_type

from jambonz_runtime import (
    App,
    DialConfirmCallback,
    LlmEventCallback,
    LlmToolCallCallback,
    Session,
)
from jambonz_types import HOOK_PAYLOADS, HookRef, JambonzCallback, Verbs
from jambonz_types.callbacks import GatherCallback
from jambonz_types.payloads import LlmToolCallCallback as TypesToolCall

__all__: list[str] = []

app = App()


@app.action_hook("/tools")
async def tools(session: Session, call: LlmToolCallCallback) -> None:
    await session.tool_output(call.tool_call_id or "", {"ok": True})


@app.event_hook("/events")
async def events(session: Session, event: LlmEventCallback) -> None:
    session.log.info("llm event %s", event.type)


@app.action_hook("/confirm")
async def confirm(session: Session, leg: DialConfirmCallback) -> Verbs:
    return Verbs().say(text=f"Call for {leg.to}. Press 1 to accept.")


@app.action_hook("/menu")
async def menu(session: Session, result: GatherCallback) -> Verbs:
    return Verbs().hangup()


def positives(any_hook: HookRef[JambonzCallback]) -> None:
    assert_type(tools, HookRef[LlmToolCallCallback])
    assert_type(LlmToolCallCallback, type[TypesToolCall])  # one class, re-exported
    assert_type(
        Verbs().openai_s2s(vendor="openai", llm_options={}, tool_hook=tools, event_hook=events),
        Verbs,
    )
    assert_type(Verbs().llm(vendor="openai", llm_options={}, tool_hook=tools), Verbs)
    assert_type(Verbs().agent(tool_hook=tools), Verbs)
    assert_type(Verbs().dial(target=[], confirm_hook=confirm), Verbs)
    # Contravariance still holds: a handler for any payload serves every hook.
    assert_type(Verbs().openai_s2s(vendor="openai", llm_options={}, tool_hook=any_hook), Verbs)
    assert_type(HOOK_PAYLOADS[("openai_s2s", "toolHook")], type[JambonzCallback])


def negatives() -> None:
    Verbs().openai_s2s(vendor="openai", llm_options={}, tool_hook=menu)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Verbs().openai_s2s(vendor="openai", llm_options={}, event_hook=tools)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Verbs().gather(action_hook=tools)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Verbs().dial(target=[], confirm_hook=menu)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
