"""What a handler may return (:data:`Reply`) and how it becomes an ack's ``data``.

Why here, in the wire layer: the dispatcher, the webhook app and the call-flow runner
all turn a handler's return value into wire verbs; one function does it for all three,
without any of them depending on the others or on :class:`~jambonz_runtime.app.App`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias

from pydantic import JsonValue

if TYPE_CHECKING:
    from jambonz_types import Verb
else:
    # The verb union imports every verb model (most of a second); the alias below only
    # needs it for type checkers, so at run time any generated model stands in for it.
    from jambonz_types import JambonzModel as Verb

__all__ = ["Reply", "SupportsToWire", "to_wire"]


class SupportsToWire(Protocol):
    """A verb list builder (``jambonz_types.Verbs``): anything with ``to_wire()``."""

    def to_wire(self) -> list[dict[str, JsonValue]]:
        """The verbs in wire form."""
        ...


Reply: TypeAlias = SupportsToWire | Sequence[Verb] | None
"""What a hook handler returns: a ``Verbs`` builder, a sequence of verb models, or
``None`` (ack with ``[]``: nothing changes)."""


def to_wire(reply: Reply) -> list[dict[str, JsonValue]]:
    """Turn a handler's return value into the ack's ``data``.

    Raises:
        TypeError: the value is not verbs (e.g. a plain dict, or a str).
    """
    if reply is None:
        return []
    to_wire_method = getattr(reply, "to_wire", None)
    if callable(to_wire_method):
        wire = to_wire_method()
        if isinstance(wire, list):
            return wire
        raise TypeError(f"{type(reply).__name__}.to_wire() returned {type(wire).__name__}")
    if isinstance(reply, (str, bytes, Mapping)) or not isinstance(reply, Sequence):
        raise TypeError(
            f"a handler must return verbs (Verbs or a sequence of verb models) or None, "
            f"got {type(reply).__name__}"
        )
    out: list[dict[str, JsonValue]] = []
    for index, verb in enumerate(reply):
        to_dict = getattr(verb, "to_dict", None)
        if not callable(to_dict):
            raise TypeError(
                f"verb {index} is a {type(verb).__name__}, not a verb model; build it "
                "with jambonz_types.verbs (or Verbs.from_json for raw JSON)"
            )
        out.append(to_dict())
    return out
