"""A verb's ``toolHook``/``eventHook`` can name a typed hook handler, not only ``app.on``.

``openai_s2s(tool_hook=...)`` takes ``HookRef[LlmToolCallCallback]``: the handler the
app registers with ``app.action_hook`` / ``app.event_hook`` for that path gets the
``llm:tool-call`` (and ``llm:event``) notifications the server sends to that hook,
validated with the handler's payload model; a type-wide ``app.on`` handler still gets
the ones sent to other hooks. Notifications are never acked.
"""

from __future__ import annotations

import asyncio
import json

from jambonz_runtime import App, LlmEventCallback, LlmToolCallCallback, Session
from jambonz_runtime.testing import Simulator
from jambonz_types import Verbs
from jambonz_types.callbacks import SessionNewCallback


async def test_tool_and_event_hooks_reach_their_typed_handlers() -> None:
    app = App()
    seen: list[str] = []
    got_event, got_other = asyncio.Event(), asyncio.Event()

    @app.action_hook("/tools")
    async def tools(session: Session, call: LlmToolCallCallback) -> None:
        seen.append(f"tool {call.name} {call.args}")
        await session.tool_output(call.tool_call_id or "", {"ok": True})

    @app.event_hook("/events")
    async def events(session: Session, event: LlmEventCallback) -> None:
        seen.append(f"event {event.type}")
        got_event.set()

    @app.on("llm:tool-call")
    async def other_tools(session: Session, call: LlmToolCallCallback) -> None:
        seen.append(f"type-wide {call.name}")
        got_other.set()

    @app.on_session("/")
    async def start(session: Session, call: SessionNewCallback) -> Verbs:
        return Verbs().openai_s2s(
            vendor="openai", llm_options={}, tool_hook=tools, event_hook=events
        )

    async with Simulator(app) as sim:
        call = await sim.call()
        ack = await call.expect_ack(call.session_msgid)
        assert json.loads(ack.raw)["data"][0]["toolHook"] == "/tools"
        await call.tool_call("c1", "lookup", {"city": "Paris"}, hook="/tools")
        out = await call.expect_command("llm:tool-output")
        assert json.loads(out.raw)["data"] == {"ok": True}
        await call.send("llm:event", {"type": "response.done"}, hook="/events")
        await asyncio.wait_for(got_event.wait(), 10)
        await call.tool_call("c2", "weather", {}, hook="/elsewhere")
        await asyncio.wait_for(got_other.wait(), 10)
        assert [m for m in call.untaken() if m.type == "ack"] == []  # never acked
    assert seen == ["tool lookup {'city': 'Paris'}", "event response.done", "type-wide weather"]
