"""Static typing claims of the app API, checked by mypy (``warn_unused_ignores``).

Each ``# type: ignore[...]`` marks a must-fail line: if mypy stopped reporting it, the
ignore would become unused and mypy --strict would fail. The tests also run, so the
runtime half of each claim (the HookRef's payload model) is checked too.
"""

from __future__ import annotations

import pytest
from typing_extensions import assert_type

from jambonz_runtime import App, ConfigurationError, LlmToolCallCallback, Session
from jambonz_types import HookRef
from jambonz_types.callbacks import (
    CallStatusCallback,
    DialCallback,
    GatherCallback,
    SessionNewCallback,
)
from jambonz_types.verbs import Say

app = App()


@app.action_hook("/gathered")
async def gathered(session: Session, result: GatherCallback) -> list[Say]:
    return [Say(text=result.digits or "")]


@app.action_hook("/dialed")
async def dialed(session: Session, result: DialCallback) -> None:
    return None


@app.action_hook("/explicit", GatherCallback)
async def explicit(session: Session, result: GatherCallback) -> None:
    return None


def wants_gather_hook(hook: HookRef[GatherCallback]) -> str:
    """Stands in for the builder's ``gather(action_hook=...)`` parameter."""
    return hook.path


def test_action_hook_returns_hookref_typed_by_handler_payload() -> None:
    assert_type(gathered, HookRef[GatherCallback])
    assert_type(dialed, HookRef[DialCallback])
    assert gathered.payload is GatherCallback
    assert dialed.payload is DialCallback
    assert explicit.payload is GatherCallback
    assert wants_gather_hook(gathered) == "/gathered"


def test_wrong_payload_hook_is_a_type_error() -> None:
    assert wants_gather_hook(dialed) == "/dialed"  # type: ignore[arg-type]


def test_notification_handler_payload_checked() -> None:
    local = App()

    @local.on("call:status")
    async def status(session: Session, payload: CallStatusCallback) -> None:
        return None

    @local.on("llm:tool-call")
    async def tool(session: Session, payload: LlmToolCallCallback) -> None:
        return None

    async def wrong(session: Session, payload: GatherCallback) -> None:
        return None

    with pytest.raises(ConfigurationError, match="takes GatherCallback"):
        local.on("verb:status")(wrong)  # type: ignore[arg-type]
    assert set(local._by_type) == {"call:status", "llm:tool-call"}


def test_session_handler_must_return_verbs() -> None:
    local = App()

    async def returns_text(session: Session, call: SessionNewCallback) -> str:
        return "not verbs"

    local.on_session("/")(returns_text)  # type: ignore[arg-type]
    assert local.paths == ("/",)
