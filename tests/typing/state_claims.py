"""Typing claims about per-call state, checked by mypy --strict (never run).

* ``App(state=Model)`` is an ``App[Session[Model]]``: handlers annotated
  ``Session[Model]`` see ``session.state`` as ``Model``; an unknown attribute or a
  wrong-typed assignment is an error;
* ``App()`` keeps the dict state (``Session`` = ``Session[dict[str, object]]``);
* a handler taking another state type is refused at registration;
* ``App(state=Model, transport="any")`` is an ``App[CallContext[Model]]``: served by
  both transports with typed state.

Negative cases carry the precise ignore code; ``warn_unused_ignores`` keeps them honest.
"""

from __future__ import annotations

from pydantic import BaseModel
from typing_extensions import assert_type

from jambonz_runtime import App, CallContext, Session, WebhookApp
from jambonz_types import Verbs
from jambonz_types.callbacks import GatherCallback, SessionNewCallback

__all__: list[str] = []


class CallState(BaseModel):
    tries: int = 0
    language: str = "en-US"


class OtherState(BaseModel):
    other: bool = False


typed = App(state=CallState)
assert_type(typed, App[Session[CallState]])


@typed.on_session("/")
async def start(session: Session[CallState], call: SessionNewCallback) -> Verbs:
    assert_type(session.state, CallState)
    session.state.tries += 1
    session.state.unknown = 1  # type: ignore[attr-defined]
    session.state.tries = "three"  # type: ignore[assignment]
    return Verbs().say(text=session.state.language)


async def other_state(session: Session[OtherState], result: GatherCallback) -> None:
    return None


typed.action_hook("/x")(other_state)  # type: ignore[arg-type]

plain = App()
assert_type(plain, App[Session])


@plain.on_session("/")
async def plain_start(session: Session, call: SessionNewCallback) -> None:
    assert_type(session.state, dict[str, object])
    session.state["tries"] = 1


both = App(state=CallState, transport="any")
assert_type(both, App[CallContext[CallState]])


@both.on_session("/")
async def both_start(context: CallContext[CallState], call: SessionNewCallback) -> None:
    assert_type(context.state, CallState)


WebhookApp(both)  # served over HTTP too, with the same typed state
WebhookApp(typed)  # type: ignore[arg-type]  # Session handlers need the socket
