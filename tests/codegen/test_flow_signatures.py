"""The generated call-flow verbs (``jambonz_types.flow``) agree with the builder and the hook table.

A flow method must take exactly the builder method's parameters, with the same types,
minus the ``action_hook`` the runtime fills in; its chain must be typed by the callback
``HOOK_PAYLOADS`` gives that hook. Checked from the imported code, not from the codegen
IR, so the flow cannot drift from the builder that ``test_builder_signatures`` pins to
the schemas.
"""

from __future__ import annotations

import inspect

import pytest

from jambonz_types import HOOK_PAYLOADS, FlowChain, FlowVerbs, Verbs
from jambonz_types.callbacks import GatherCallback
from jambonz_types.flow import FlowStep

BUILDER = {
    name: fn for name, fn in vars(Verbs).items() if inspect.isfunction(fn) and name[0] != "_"
}
FLOW = {
    name: fn for name, fn in vars(FlowVerbs).items() if inspect.isfunction(fn) and name[0] != "_"
}
ACTION_HOOK = "action_hook"


def _verb_of(method: str) -> str:
    """The hook table's verb key of a method (``sip_refer`` builds ``sip:refer``)."""
    return method.replace("sip_", "sip:", 1) if method.startswith("sip_") else method


def test_flow_has_exactly_the_builder_verbs() -> None:
    assert sorted(FLOW) == sorted(BUILDER)


@pytest.mark.parametrize("name", sorted(BUILDER))
def test_flow_method_is_the_builder_method_without_the_action_hook(name: str) -> None:
    built = inspect.signature(BUILDER[name]).parameters
    flowed = inspect.signature(FLOW[name]).parameters
    hook = built.get(ACTION_HOOK)
    awaited = hook is not None and hook.default is None  # optional: the runtime owns it
    expected = {
        k: (p.annotation, p.default) for k, p in built.items() if not (awaited and k == ACTION_HOOK)
    }
    assert {k: (p.annotation, p.default) for k, p in flowed.items()} == expected
    returns = inspect.signature(FLOW[name]).return_annotation
    if awaited:
        payload = HOOK_PAYLOADS[(_verb_of(name), "actionHook")]
        assert returns == f"FlowChain[{payload.__name__}]"
    else:
        assert returns == "FlowChain[None]"


def test_chains_are_immutable_and_validated_per_verb() -> None:
    class Runner(FlowVerbs):
        def _flow_state(self) -> tuple[Runner, tuple[FlowStep, ...]]:  # type: ignore[override]
            return self, ()

    flow = Runner()
    base = flow.say(text="a")
    one = base.gather(input=["digits"])
    two = base.hangup()
    assert isinstance(one, FlowChain)
    assert one.payload is GatherCallback
    assert two.payload is None
    assert base.to_wire() == [{"verb": "say", "text": "a"}]
    assert [s.verb.verb for s in one.steps] == ["say", "gather"]
    assert [s.verb.verb for s in two.steps] == ["say", "hangup"]
    assert one.steps[-1].with_hook("/x").to_dict() == {
        "verb": "gather",
        "input": ["digits"],
        "actionHook": "/x",
    }
    with pytest.raises(ValueError, match="no action hook"):
        base.steps[0].with_hook("/x")
    assert repr(one) == "FlowChain[GatherCallback](say, gather)"
