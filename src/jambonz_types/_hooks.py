"""``HookRef[P]``: a hook path that carries the type of the payload its handler accepts.

A verb's hook parameter in the builder is typed with the callback its verb sends
(``gather(action_hook=...)`` takes ``HookRef[GatherCallback]``), and the runtime's hook
decorators return a ``HookRef`` typed by the handler's payload annotation. Wiring a
handler written for the dial callback to a gather hook is therefore a type error, found
by mypy before a call ever reaches it.

``P`` is contravariant: a handler that accepts a broader payload (``BaseCallback``) may
serve any hook whose payload is narrower. On the wire a ``HookRef`` is just its path.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from ._base import JambonzCallback

__all__ = ["HookRef"]

P = TypeVar("P", bound=JambonzCallback, contravariant=True)


class HookRef(Generic[P]):
    """A hook path bound to the payload model its handler expects."""

    __slots__ = ("path", "payload")

    def __init__(self, path: str, payload: type[JambonzCallback]) -> None:
        if not path:
            raise ValueError("a hook path must not be empty")
        self.path: str = path
        """The hook as it goes on the wire: a relative path like ``/menu`` or a URL."""
        self.payload: type[JambonzCallback] = payload
        """The callback model the runtime validates this hook's payload with."""

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"HookRef({self.path!r}, {self.payload.__name__})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HookRef):
            return (self.path, self.payload) == (other.path, other.payload)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.path, self.payload))
