"""The hand-written half of the typed call-flow chains (``jambonz_types.flow``).

A linear call flow reads top to bottom: ``result = await call.gather(...)``. The generated
``flow.py`` gives :class:`FlowVerbs` one typed method per verb; each returns a
:class:`FlowChain` typed by what awaiting it yields: the callback model of the last
verb's ``actionHook`` (``FlowChain[GatherCallback]``), or ``None`` for a verb without
one (``say``, ``pause``, ``hangup``, ...). The mapping comes from the same hook table as
the builder's ``HookRef`` parameters, so a schema bump updates both.

Everything that does not depend on the schemas lives here (copied verbatim from
codegen/static): the chain's storage, ``await``, and the two seams to the runtime:

* :meth:`FlowVerbsBase._flow_state` is the abstract primitive: where a new verb is
  appended (a chain returns its runner and steps; the runtime's call-flow object, which
  starts chains, returns itself and no steps);
* :class:`FlowRunner` is what ``await chain`` calls: the runtime sends the verbs and,
  for a chain that ends in a hook verb, resolves with that hook's payload.

Chains are immutable: each verb method returns a new chain, so a chain can be kept and
extended twice without the two results sharing verbs. Every verb is validated when its
method is called, like the builder's; the runtime only adds the action hook path of the
last verb, re-validating it with that one extra key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator, Mapping
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from ._verbs_base import build_verb

if TYPE_CHECKING:
    from pydantic import JsonValue

    from ._base import JambonzCallback
    from .app import Verb
    from .flow import FlowChain

__all__ = ["FlowChainBase", "FlowRunner", "FlowStep", "FlowVerbsBase"]

P = TypeVar("P", bound="JambonzCallback")
R = TypeVar("R", covariant=True)
T = TypeVar("T")


class FlowStep:
    """One verb of a chain: its validated model, and how to give it an action hook.

    Attributes:
        verb: the verb model, as validated when its method was called.
        hook: wire name of the hook the runtime fills in when this verb ends the chain
            and is awaited (``"actionHook"``); ``None`` for a verb without one.
    """

    __slots__ = ("_args", "_module", "_name", "_verb_name", "hook", "verb")

    def __init__(
        self, module: str, name: str, verb: str, args: Mapping[str, object], hook: str | None
    ) -> None:
        self._module = module
        self._name = name
        self._verb_name = verb
        self._args = dict(args)
        self.verb: Verb = build_verb(module, name, verb, self._args)
        self.hook: str | None = hook

    def with_hook(self, path: str) -> Verb:
        """The verb again, with its action hook set to ``path`` (validated again).

        Raises:
            ValueError: this verb has no action hook.
        """
        if self.hook is None:
            raise ValueError(f"the {self._verb_name!r} verb has no action hook")
        return build_verb(
            self._module, self._name, self._verb_name, {**self._args, self.hook: path}
        )

    def __repr__(self) -> str:
        return f"FlowStep({self.verb!r})"


class FlowRunner(Protocol):
    """What ``await chain`` calls: the runtime's call flow (``jambonz_runtime.CallFlow``)."""

    def _run_chain(self, chain: FlowChainBase[T]) -> Awaitable[T]:
        """Send ``chain``'s verbs; resolve with its last verb's hook payload, or ``None``."""
        ...


class FlowVerbsBase:
    """Base of the generated :class:`~jambonz_types.flow.FlowVerbs`: chain construction."""

    __slots__ = ()

    def _flow_state(self) -> tuple[FlowRunner, tuple[FlowStep, ...]]:
        """The runner new chains belong to, and the steps a new verb is appended to.

        The abstract primitive: a chain returns its own; the runtime's call flow, which
        starts chains, returns itself and ``()``.
        """
        raise NotImplementedError

    def _then(
        self, module: str, name: str, verb: str, args: Mapping[str, object]
    ) -> FlowChain[None]:
        """A new chain: these steps plus a verb whose await yields nothing."""
        from .flow import FlowChain

        runner, steps = self._flow_state()
        return FlowChain(runner, (*steps, FlowStep(module, name, verb, args, None)), None)

    def _then_await(
        self,
        module: str,
        name: str,
        verb: str,
        args: Mapping[str, object],
        hook: str,
        payload: type[P],
    ) -> FlowChain[P]:
        """A new chain: these steps plus a verb whose ``hook`` payload the await yields."""
        from .flow import FlowChain

        runner, steps = self._flow_state()
        return FlowChain(runner, (*steps, FlowStep(module, name, verb, args, hook)), payload)


class FlowChainBase(Generic[R]):
    """Storage and ``await`` of a chain; the generated ``FlowChain`` adds the verb methods."""

    __slots__ = ("_payload", "_runner", "_steps")

    def __init__(
        self, runner: FlowRunner, steps: tuple[FlowStep, ...], payload: type[R] | None
    ) -> None:
        if not steps:
            raise ValueError("a flow chain needs at least one verb")
        self._runner = runner
        self._steps = steps
        self._payload = payload

    @property
    def steps(self) -> tuple[FlowStep, ...]:
        """The verbs of this chain, in order."""
        return self._steps

    @property
    def payload(self) -> type[R] | None:
        """The callback model awaiting this chain yields (``None``: it yields ``None``)."""
        return self._payload

    @property
    def runner(self) -> FlowRunner:
        """The call flow this chain is sent on."""
        return self._runner

    def to_wire(self) -> list[dict[str, JsonValue]]:
        """The verbs as they would be sent, without the action hook the runtime adds."""
        return [step.verb.to_dict() for step in self._steps]

    def _flow_state(self) -> tuple[FlowRunner, tuple[FlowStep, ...]]:
        return self._runner, self._steps

    def __await__(self) -> Generator[object, None, R]:
        """Send the chain on its call flow; see :class:`FlowRunner`."""
        return self._runner._run_chain(self).__await__()

    def __repr__(self) -> str:
        names = ", ".join(step.verb.verb for step in self._steps)
        result = "None" if self._payload is None else self._payload.__name__
        return f"{type(self).__name__}[{result}]({names})"
