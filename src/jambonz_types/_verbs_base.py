"""The hand-written half of :class:`jambonz_types.Verbs`: the list behaviour and the wire I/O.

The generated ``builder.py`` adds one typed method per verb schema on top of this base;
everything that does not depend on the schemas lives here so that it is written, read
and reviewed once (copied verbatim from codegen/static).

Why everything is imported lazily: ``import jambonz_types`` (and naming ``Verbs``) must
stay cheap, and most apps use a handful of verbs. pydantic and a verb's model load on the
first call of a verb method; the ``Verb`` union (every verb model) is only built by
:meth:`VerbsBase.from_wire`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, ClassVar, cast

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import JsonValue, ValidationError
    from typing_extensions import Self

    from ._base import JambonzCallback, JambonzModel
    from ._errors import VerbValidationError
    from ._hooks import HookRef
    from .app import Verb

__all__ = ["VerbsBase", "build_verb", "describe_validation_error"]

_PACKAGE = __name__.rpartition(".")[0]
_MODELS: dict[tuple[str, str], type[JambonzModel]] = {}
_MAX_INPUT = 60

_Deps = tuple[
    "type[ValidationError]",
    "type[VerbValidationError]",
    "type[HookRef[JambonzCallback]]",
    "Callable[[object], bool]",
]
_DEPS: _Deps | None = None


def _deps() -> _Deps:
    """What building and appending verbs needs, imported once, on first use.

    Not at module level, to keep ``import jambonz_types`` cheap; not in the methods,
    because a function-level import costs microseconds on every call and verbs are built
    on the hot path of every ack.
    """
    global _DEPS
    deps = _DEPS
    if deps is None:
        from pydantic import ValidationError

        from ._base import is_verb_model
        from ._errors import VerbValidationError
        from ._hooks import HookRef

        hook_ref = cast("type[HookRef[JambonzCallback]]", HookRef)
        deps = _DEPS = (ValidationError, VerbValidationError, hook_ref, is_verb_model)
    return deps


def _model(module: str, name: str) -> type[JambonzModel]:
    """Import ``jambonz_types.<module>.<name>`` once and cache it."""
    key = (module, name)
    found = _MODELS.get(key)
    if found is None:
        found = _MODELS[key] = getattr(importlib.import_module(f"{_PACKAGE}.{module}"), name)
    return found


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_INPUT else text[: _MAX_INPUT - 3] + "..."


def describe_validation_error(where: str, error: ValidationError, prefix: str = "") -> str:
    """One line per failure: the field path with wire names, what was wrong, what was given.

    pydantic's messages already say what is allowed (``Input should be 'speech' or
    'digits'``, ``Input should be a valid string``); the path uses the wire (camelCase)
    names because that is what the jambonz docs and the server's errors use.
    """
    lines = [f"{where}: {error.error_count()} validation error(s)"]
    for item in error.errors(include_url=False):
        parts = [prefix] if prefix else []
        parts.extend(str(p) for p in item["loc"])
        path = ".".join(parts) or "(root)"
        line = f"  {path}: {item['msg']}"
        if item["type"] not in ("missing", "extra_forbidden"):
            line += f" (given {_short(item['input'])})"
        lines.append(line)
    return "\n".join(lines)


class VerbsBase:
    """An ordered list of verb models with chainable appends and exact wire output."""

    __slots__ = ("_jambonz_version", "_verbs")

    def __init__(self, verbs: Iterable[Verb] = (), *, jambonz_version: str | None = None) -> None:
        """Start empty, or with the given verb models (in order).

        ``jambonz_version`` declares the jambonz release the array is for: appending a
        verb or setting a property that release lacks (the schemas' ``minVersion``)
        then raises :class:`~jambonz_types.JambonzVersionError`.

        Raises:
            ValueError: ``jambonz_version`` is not a version like ``0.9.6``.
        """
        self._verbs: list[Verb] = []
        self._jambonz_version = jambonz_version
        if jambonz_version is not None:
            from ._versions import parse_version

            parse_version(jambonz_version)
        self.extend(verbs)

    @property
    def jambonz_version(self) -> str | None:
        """The jambonz release this array is checked against (``None``: not checked)."""
        return self._jambonz_version

    def _check_version(self, verb: str, keys: Iterable[str]) -> None:
        version = self._jambonz_version
        if version is not None:
            from ._versions import JambonzVersionError, verb_version_problems

            problems = verb_version_problems(verb, keys, version)
            if problems:
                raise JambonzVersionError(problems)

    # -- list behaviour -------------------------------------------------------------

    def append(self, verb: Verb) -> Self:
        """Append one verb model (``Say(...)``, ``Gather(...)``, ...) and return ``self``.

        Raises:
            TypeError: ``verb`` is not a verb model.
        """
        is_verb_model = (_DEPS or _deps())[3]
        if not is_verb_model(verb):  # checked at run time too: callers may not run mypy
            raise TypeError(f"expected a jambonz verb model, got {type(verb).__name__}")
        if self._jambonz_version is not None:
            wire = verb.to_dict()
            self._check_version(str(wire.get("verb", verb.verb)), wire)
        self._verbs.append(verb)
        return self

    def extend(self, verbs: Iterable[Verb]) -> Self:
        """Append every verb model of ``verbs`` (another ``Verbs`` works too)."""
        for verb in list(verbs):
            self.append(verb)
        return self

    def __add__(self, other: Iterable[Verb]) -> Self:
        """A new list: this one's verbs followed by ``other``'s; neither operand changes."""
        return type(self)(self._verbs, jambonz_version=self._jambonz_version).extend(other)

    def __len__(self) -> int:
        return len(self._verbs)

    def __iter__(self) -> Iterator[Verb]:
        return iter(list(self._verbs))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VerbsBase):
            return self.to_wire() == other.to_wire()
        return NotImplemented

    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # mutable, like list

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_list()!r})"

    def copy(self) -> Self:
        """A shallow copy (the verb models are shared, the list is not)."""
        return type(self)(self._verbs, jambonz_version=self._jambonz_version)

    def to_list(self) -> list[Verb]:
        """The verb models, as a new list: the builder keeps its own."""
        return list(self._verbs)

    # -- wire I/O ---------------------------------------------------------------------

    def to_wire(self) -> list[dict[str, JsonValue]]:
        """The verb array as jambonz expects it: camelCase keys, only fields that were set."""
        return [verb.to_dict() for verb in self._verbs]

    def to_json(self) -> str:
        """The verb array as compact JSON text."""
        import json

        return json.dumps(self.to_wire(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_wire(cls, data: object, *, jambonz_version: str | None = None) -> Self:
        """Validate a decoded verb array exactly as the server would (wire keys only).

        ``data`` is typically a ``json.loads`` result or another builder's
        :meth:`to_wire`; anything else is rejected with a clear error, so it is typed
        ``object`` (``list[dict[str, JsonValue]]`` is not a ``JsonValue`` to mypy).
        With ``jambonz_version``, the array is also checked against that release and
        the result keeps checking what is appended (see :meth:`__init__`).

        Raises:
            VerbValidationError: the array is not a valid jambonz application; the
                message names each failing path (``0.gather.input.0``).
            JambonzVersionError: a verb or key needs a newer jambonz (one line each,
                with the verb's index).
        """
        from pydantic import ValidationError

        from ._errors import VerbValidationError
        from .app import JambonzApp

        try:
            app = JambonzApp.model_validate(data, by_alias=True, by_name=False)
        except ValidationError as exc:
            raise VerbValidationError(
                describe_validation_error("invalid verb array", exc), exc
            ) from exc
        return cls._checked(app.root, jambonz_version)

    @classmethod
    def from_json(cls, text: str | bytes, *, jambonz_version: str | None = None) -> Self:
        """Parse JSON text, then validate it like :meth:`from_wire`.

        Raises:
            VerbValidationError: the text is not JSON or not a valid verb array.
            JambonzVersionError: as for :meth:`from_wire`.
        """
        from pydantic import ValidationError

        from ._errors import VerbValidationError
        from .app import JambonzApp

        try:
            app = JambonzApp.model_validate_json(text, by_alias=True, by_name=False)
        except ValidationError as exc:
            raise VerbValidationError(
                describe_validation_error("invalid verb array", exc), exc
            ) from exc
        return cls._checked(app.root, jambonz_version)

    @classmethod
    def _checked(cls, verbs: list[Verb], jambonz_version: str | None) -> Self:
        """A builder of validated verbs; with a version, every problem is listed at once."""
        out = cls(jambonz_version=jambonz_version)
        if jambonz_version is not None:
            from ._versions import check_jambonz_version

            check_jambonz_version([verb.to_dict() | {"verb": verb.verb} for verb in verbs],
                                  jambonz_version)  # fmt: skip
        out._verbs.extend(verbs)
        return out

    # -- used by the generated verb methods ---------------------------------------------

    def _build(self, module: str, name: str, verb: str, args: dict[str, object]) -> Self:
        """Validate ``args`` (wire keys; ``None`` = not given) into a model and append it.

        The generated methods pass wire keys so that validation runs exactly like
        :meth:`from_wire` and error paths name the fields as the jambonz docs do.
        """
        # Built by the verb's own model: no need for append's model check.
        built = build_verb(module, name, verb, args)
        if self._jambonz_version is not None:
            self._check_version(verb, [k for k, v in args.items() if v is not None])
        self._verbs.append(built)
        return self

    def _build_given(self, module: str, name: str, verb: str, given: dict[str, object]) -> Self:
        """Like :meth:`_build`, for arguments already without ``None`` and with ``verb``.

        What the generated verb methods call: they leave out the parameters not given
        themselves (one ``is not None`` test each), so no 20-key dict is built and
        filtered for every verb of every ack.
        """
        built = _validate_verb(module, name, verb, given)
        if self._jambonz_version is not None:
            self._check_version(verb, [k for k in given if k != "verb"])
        self._verbs.append(built)
        return self


def build_verb(module: str, name: str, verb: str, args: Mapping[str, object]) -> Verb:
    """Validate ``args`` (wire keys; ``None`` = not given) into the verb model ``name``.

    The one place a generated verb method turns its arguments into a model (the builder
    here, the call-flow chains in ``_flow_base``); a ``HookRef`` becomes its path.

    Raises:
        VerbValidationError: the arguments break a rule of the verb's schema; the
            message names each failing path with wire names (``gather.input.0``).
    """
    # Most of the (many) parameters are None: drop those first, in one C-level pass.
    given: dict[str, object] = {"verb": verb}
    given.update({key: value for key, value in args.items() if value is not None})
    return _validate_verb(module, name, verb, given)


def _validate_verb(module: str, name: str, verb: str, given: dict[str, object]) -> Verb:
    """:func:`build_verb` for arguments already without ``None`` and with ``verb``."""
    validation_error, verb_error, hook_ref, _ = _DEPS or _deps()
    for key, value in given.items():
        if isinstance(value, hook_ref):
            given[key] = value.path
    model = _MODELS.get((module, name)) or _model(module, name)
    try:
        # pydantic-core directly: ``model_validate`` is one more Python frame per verb
        built = model.__pydantic_validator__.validate_python(given, by_alias=True, by_name=False)
    except validation_error as exc:
        where = f"{verb}: invalid {verb!r} verb"
        raise verb_error(describe_validation_error(where, exc, prefix=verb), exc) from exc
    return cast("Verb", built)
