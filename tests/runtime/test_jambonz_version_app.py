"""``App(jambonz_version=...)``: a reply the declared jambonz lacks is a handler error."""

from __future__ import annotations

import logging

import pytest
from pydantic import JsonValue

from jambonz_runtime import App, CallContext, ConfigurationError, WebhookApp
from jambonz_runtime.testing import Simulator
from jambonz_runtime.testing.webhook import WebhookSimulator
from jambonz_types import VERB_MIN_VERSIONS, Verbs
from jambonz_types.callbacks import SessionNewCallback


def _newest_verb() -> tuple[str, str]:
    """A verb with a minVersion and a release just before it (from the schemas)."""
    name, need = max(
        ((n, v) for n, v in VERB_MIN_VERSIONS.items() if v),
        key=lambda item: tuple(int(p) for p in str(item[1]).split(".")),
    )
    major, minor, patch = (int(p) for p in str(need).split("."))
    older = f"{major}.{minor}.{patch - 1}" if patch else f"{major}.{max(minor - 1, 0)}.99"
    return name, older


class RawVerbs:
    """A reply given as wire JSON (what the check sees either way)."""

    def __init__(self, verbs: list[dict[str, JsonValue]]) -> None:
        self.verbs = verbs

    def to_wire(self) -> list[dict[str, JsonValue]]:
        return self.verbs


def make_app() -> tuple[App[CallContext], str, str]:
    verb, older = _newest_verb()
    app = App[CallContext](jambonz_version=older, error_reply=Verbs().hangup())

    @app.on_session("/")
    async def start(session: CallContext, call: SessionNewCallback) -> RawVerbs:
        return RawVerbs([{"verb": verb}])

    return app, verb, older


def _logged(caplog: pytest.LogCaptureFixture, verb: str, older: str) -> bool:
    return any(
        f"'{verb}' needs jambonz" in r.getMessage() and older in r.getMessage()
        for r in caplog.records
    )


async def test_a_verb_the_declared_release_lacks_gets_the_error_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, verb, older = make_app()
    caplog.set_level(logging.ERROR, logger="jambonz_runtime")
    async with Simulator(app) as sim:
        call = await sim.call()
        ack = await call.expect_ack(call.session_msgid)
    assert ack.verb_names == ["hangup"]  # the error reply, not a call the server fails
    assert _logged(caplog, verb, older)


async def test_webhooks_check_the_declared_release_too(caplog: pytest.LogCaptureFixture) -> None:
    app, verb, older = make_app()
    caplog.set_level(logging.ERROR, logger="jambonz_runtime")
    answer = (await WebhookSimulator(WebhookApp(app)).call("/")).answer
    assert [v.get("verb") for v in answer.verbs] == ["hangup"]
    assert _logged(caplog, verb, older)


def test_a_bad_version_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="jambonz_version"):
        App(jambonz_version="zero")
