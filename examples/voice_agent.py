"""Voice agent: an OpenAI realtime (speech-to-speech) agent that can call a tool.

The ``openai_s2s`` verb runs the conversation inside jambonz; when the model wants a
tool, jambonz sends ``llm:tool-call`` to the verb's ``toolHook`` (a notification, never
acked) and the app answers with the ``llm:tool-output`` command, here
``session.tool_output(...)``, which puts ``tool_call_id`` at the top level where the
server reads it. ``tool_hook`` takes ``HookRef[LlmToolCallCallback]``: the handler
below is wired by reference, so a handler for another payload would be a type error.
The model name comes from a typed env var declared once: the jambonz portal discovers
it with ``OPTIONS``.
"""

from __future__ import annotations

import asyncio
import json
import logging

from pydantic import JsonValue

from jambonz_runtime import App, EnvVar, LlmToolCallCallback, Session, serve
from jambonz_types import Verbs
from jambonz_types.callbacks import LlmCallback, SessionNewCallback

__all__ = ["WEATHER_TOOL", "app", "get_weather"]

app = App(
    env_vars={
        "OPENAI_MODEL": EnvVar(
            type="string", description="OpenAI realtime model", default="gpt-4o-realtime-preview"
        ),
        "OPENAI_API_KEY": EnvVar(type="string", description="OpenAI API key", obscure=True),
    }
)

WEATHER_TOOL: dict[str, JsonValue] = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def get_weather(args: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """The tool itself (canned, so the example runs offline)."""
    city = args.get("city")
    if not isinstance(city, str) or not city:
        return {"error": "missing city"}
    return {"city": city, "temperature_c": 21, "sky": "sunny"}


@app.action_hook("/agent-done")
async def agent_done(session: Session, result: LlmCallback) -> Verbs:
    """The agent ended (the model hung up, or an error): say goodbye."""
    session.log.info("agent ended: %s", result.completion_reason)
    return Verbs().say(text="Thanks for calling. Goodbye.").hangup()


@app.action_hook("/tool-call")  # -> HookRef[LlmToolCallCallback]
async def tool_call(session: Session, call: LlmToolCallCallback) -> None:
    """Run the tool and send its result back as an OpenAI ``conversation.item.create``."""
    # call.arguments: the args as a dict (OpenAI sends them as a JSON string: decoded)
    result = get_weather(call.arguments) if call.name == "get_weather" else {"error": "unknown"}
    await session.tool_output(  # echoes call.tool_call_id
        call,
        {
            "type": "conversation.item.create",
            "item": {
                "type": "function_call_output",
                "call_id": call.tool_call_id,
                "output": json.dumps(result),
            },
        },
    )


@app.on_session("/agent")
async def start(session: Session, call: SessionNewCallback) -> Verbs:
    """Hand the call to the realtime model, with one tool."""
    env = session.env
    api_key = env.get("OPENAI_API_KEY")
    return Verbs().openai_s2s(
        model=str(env["OPENAI_MODEL"]),
        auth={"apiKey": api_key} if isinstance(api_key, str) else None,
        llm_options={
            "response_create": {"modalities": ["text", "audio"]},
            "session_update": {
                "instructions": "You are a friendly weather assistant. Be brief.",
                "tools": [WEATHER_TOOL],
                "tool_choice": "auto",
            },
        },
        tool_hook=tool_call,
        event_hook="/llm-event",
        events=["response.done"],
        action_hook=agent_done,
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
