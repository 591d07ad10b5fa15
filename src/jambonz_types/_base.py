"""Base classes of every generated model (copied verbatim from codegen/static).

Why a custom base instead of ``pydantic.BaseModel``:

* **Unknown keys are kept** (``extra="allow"``): JSON Schema allows them unless a schema
  says ``additionalProperties: false`` (those models set ``extra="forbid"`` themselves),
  and the jambonz server accepts what the schema accepts. Dropping them would change
  what reaches the server.
* **Explicit null is rejected** in verbs, components and commands wherever the schema
  gives a type (ajv on the server rejects it there); free-form values (schema ``{}``,
  typed ``JsonValue``) keep ``null``, which the schema allows. Python callers use ``None`` only to
  mean "not given" and the builder never passes it on.
* **Callback payloads tolerate null** (:class:`JambonzCallback`): they come from the
  server, which adds and blanks fields over time; a payload must never be lost to that.
* **Schema rules are enforced** (``if``/``then``, forbidden keys): the generator puts
  them on the class as ``__jambonz_rules__`` data taken from the schemas, checked by
  :mod:`jambonz_types._rules` after the fields validate.
* **The wire form is one call**: :meth:`JambonzModel.to_dict` / :meth:`to_json` give
  camelCase keys, only the fields that were set, and always the ``verb`` key.
* **Discovery shows the SDK, not pydantic's internals**: building a model directly
  raises :class:`~jambonz_types.ModelValidationError` (the package's message, no links
  to pydantic's site); the run-time signature (``inspect.signature``, ``help()``, IDEs
  that read it) lists the Python field names, keyword-only, without ``verb`` and
  without pydantic's ``**extra_data: Any``; ``dir()`` and ``help()`` leave out
  pydantic's ``__pydantic_*__`` attributes and its deprecated v1 methods.
"""

from __future__ import annotations

import inspect
import types
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError, model_validator
from pydantic._internal._model_construction import ModelMetaclass
from pydantic_core import InitErrorDetails, PydanticCustomError
from typing_extensions import Self

from ._errors import as_model_error
from ._rules import Rule, check

__all__ = ["JambonzCallback", "JambonzModel", "is_verb_model"]

_NULL = PydanticCustomError(
    "null_not_allowed", "null is not allowed here: omit the key to leave it unset"
)


_HIDDEN = frozenset(
    {
        # pydantic v1 names, deprecated in v2: they only clutter help() and completion
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        "_calculate_keys",
        "_copy_and_set_values",
        "_get_value",
        "_iter",
        "_abc_impl",
        "__fields__",
        "__fields_set__",
        "__class_vars__",
        "__private_attributes__",
        "__signature__",
    }
)


class _Shown:
    """An annotation shown as written (``str | None``), not as a quoted string."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _describe(tp: object) -> str:
    """``Optional[Annotated[str, Strict()]]`` -> ``str | None``: the type a caller passes."""
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        return _describe(args[0])
    if origin is Union or origin is types.UnionType:
        return " | ".join(_describe(arg) for arg in args)
    if origin is Literal:
        return f"Literal[{', '.join(repr(arg) for arg in args)}]"
    if tp is type(None):
        return "None"
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(_describe(arg) for arg in args)}]"
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


if TYPE_CHECKING:
    # Type checkers must see pydantic's own metaclass: it carries the PEP 681
    # dataclass_transform that gives every model its typed ``__init__``.
    _JambonzModelMeta = ModelMetaclass
else:

    class _JambonzModelMeta(ModelMetaclass):
        """pydantic's metaclass with a Python-name signature and a tidy ``dir()``."""

        @property
        def __signature__(cls) -> inspect.Signature:
            """``Target(*, type: ..., number: ... = None, ...)``: Python names, keyword-only."""
            params = [
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=inspect.Parameter.empty if info.is_required() else info.default,
                    annotation=_Shown(_describe(info.annotation)),
                )
                for name, info in cls.model_fields.items()
                if name != "verb"
            ]
            return inspect.Signature(params, return_annotation=None)

        @__signature__.setter
        def __signature__(cls, value: object) -> None:
            # pydantic assigns its own (wire aliases, ``**extra_data: Any``); ours wins.
            pass

        def __dir__(cls) -> list[str]:
            return [
                name
                for name in super().__dir__()
                if name not in _HIDDEN and not name.startswith("__pydantic")
            ]

        def __new__(mcs, name, bases, namespace, **kwargs):
            # The per-instance Python hooks (null check before, verb/rules/shadowing
            # after) are given only to the classes that need them: pydantic-core calls a
            # hook for every instance, nested ones included, and on inbound payloads
            # (callbacks: null tolerated, no ``verb``, no rules) they doubled the cost of
            # validating every message jambonz sends. The bases defined here get none;
            # each class below them gets them once and its subclasses inherit them.
            if namespace.get("__module__") != __name__:
                _add_hooks(bases, namespace)
            return super().__new__(mcs, name, bases, namespace, **kwargs)

    def _add_hooks(bases: tuple[type, ...], namespace: dict[str, object]) -> None:
        """Give the class being made the hooks it needs and does not inherit."""
        strict = namespace.get("_reject_null")
        if strict is None:
            strict = any(getattr(base, "_reject_null", False) for base in bases)
        if strict and not any(_null_checked(base) for base in bases):
            namespace["_no_explicit_null"] = model_validator(mode="before")(
                classmethod(_no_explicit_null)
            )
        inherited = any(getattr(base, "model_post_init", None) in _POST_INITS for base in bases)
        if (strict or namespace.get("__jambonz_rules__")) and not inherited:
            own = namespace.get("model_post_init")
            namespace["model_post_init"] = _post_init if own is None else _chained(own)

    def _null_checked(base: type) -> bool:
        decorators = getattr(base, "__pydantic_decorators__", None)
        return decorators is not None and "_no_explicit_null" in decorators.model_validators

    def _chained(own: object) -> object:
        """The class's own ``model_post_init``, run after ours (ours raises first)."""
        assert callable(own)

        def model_post_init(self: JambonzModel, context: object, /) -> None:
            _post_init(self, context)
            own(self, context)

        _POST_INITS.add(model_post_init)
        return model_post_init


class JambonzModel(BaseModel, metaclass=_JambonzModelMeta):
    """Base of every generated verb, component and command model."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    _reject_null: ClassVar[bool] = True
    __jambonz_rules__: ClassVar[tuple[Rule, ...]] = ()
    """Rules from the schema object this class was generated from (see ``_rules``)."""

    if not TYPE_CHECKING:
        # Run time only: type checkers must keep synthesizing each model's typed
        # ``__init__`` from its fields (PEP 681), which an inherited one would replace.

        def __init__(self, /, **data):
            """Validate the keyword arguments (Python names) into the model.

            Raises:
                ModelValidationError: a value the schema rejects; the message names
                    each field and what it allows.
            """
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise as_model_error(exc) from None

        # Tell pydantic this is not a "custom" __init__: validation (``model_validate``,
        # ``from_wire``, nested models) keeps running in pydantic-core with its own
        # alias settings, not through this method; only a direct ``Model(...)`` call does.
        __init__.__pydantic_base_init__ = True

    def _unset_shadowed_fields(self, extra: dict[str, object]) -> None:
        # An unknown wire key spelled like a field's Python name (``early_media`` on
        # ``say``, read by ``from_wire``) is kept as an extra key, but pydantic also
        # marks the *field* as set, so ``exclude_unset`` would write
        # ``"earlyMedia": null``, which the server rejects. The field was not given
        # (it still holds its default): unmark it. ``shadowable``: the fields whose
        # wire name differs from their Python name, with their defaults (cached per
        # class: pydantic's ``model_fields`` is slow for a per-instance check).
        # Models without ``model_post_init`` (callbacks) do this when first written out.
        shadowable = _SHADOW_CACHE.get(type(self))
        if shadowable is None:
            shadowable = _shadowable(type(self))
        for name, default in shadowable.items():  # a field or two; extra is as small
            if name in extra and getattr(self, name) == default:
                self.__pydantic_fields_set__.discard(name)

    @classmethod
    def from_wire(cls, data: JsonValue) -> Self:
        """Validate a decoded JSON value exactly as the server would read it.

        Only wire (camelCase) keys populate fields here; a snake_case key is an
        unknown key, as it is for the server.
        """
        return cls.model_validate(data, by_alias=True, by_name=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Parse and validate JSON text with wire (camelCase) keys."""
        return cls.model_validate_json(text, by_alias=True, by_name=False)

    def to_dict(self) -> dict[str, JsonValue]:
        """The wire form: camelCase keys, only fields that were set, no ``None``."""
        # ``model_dump(mode="json", by_alias=True, exclude_unset=True)`` without its
        # keyword plumbing: called for every verb of every ack, where that plumbing cost
        # as much as the serialisation itself.
        extra = self.__pydantic_extra__
        if extra:
            self._unset_shadowed_fields(extra)
        data: dict[str, JsonValue] = self.__pydantic_serializer__.to_python(
            self, mode="json", by_alias=True, exclude_unset=True
        )
        return data

    def to_json(self) -> str:
        """The wire form as compact JSON text."""
        extra = self.__pydantic_extra__
        if extra:
            self._unset_shadowed_fields(extra)
        return self.model_dump_json(by_alias=True, exclude_unset=True)


class JambonzCallback(JambonzModel):
    """Base of every callback payload model: tolerant of null and unknown keys."""

    _reject_null: ClassVar[bool] = False


def _no_explicit_null(cls: type[JambonzModel], data: object) -> object:
    """Before-validator of strict models: explicit ``null`` is an error where typed."""
    # Runs for every strict model validated (verbs on the hot path of every ack): the
    # common case, no ``None`` at all, costs one pass over the values.
    if isinstance(data, dict):
        for value in data.values():
            if value is None:
                break
        else:
            return data
        errors = [
            InitErrorDetails(type=_NULL, loc=(key,), input=None)
            for key, value in data.items()
            if value is None and key in _typed_keys(cls)
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
    return data


def _post_init(self: JambonzModel, context: object, /) -> None:
    """``model_post_init`` of strict models and of models with schema rules."""
    cls = type(self)
    # ``verb`` has a default so that ``Say(text=...)`` works, but the wire always
    # needs it: count it as set so ``exclude_unset`` keeps it.
    if _has_verb(cls):
        self.__pydantic_fields_set__.add("verb")
    extra = self.__pydantic_extra__
    if extra:
        self._unset_shadowed_fields(extra)
    # The schema rules run here rather than in an ``after`` model validator, which
    # would turn every union member's error location into ``function-after[...]``.
    rules = _RULES_CACHE.get(cls)
    if rules is None:
        rules = _rules_of(cls)
    if rules:
        broken = check(self, rules)
        if broken:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError(kind, message), loc=loc, input=self.to_dict()
                    )
                    for loc, kind, message in broken
                ],
            )


_POST_INITS: set[object] = {_post_init}
"""The ``model_post_init`` functions given by the metaclass (ours, or ours chained)."""
_ALIAS_CACHE: dict[type[BaseModel], frozenset[str]] = {}
_JSON_VALUE: object = JsonValue
_RULES_CACHE: dict[type[BaseModel], tuple[Rule, ...]] = {}
_SHADOW_CACHE: dict[type[BaseModel], dict[str, object]] = {}
_VERB_CACHE: dict[type[BaseModel], bool] = {}


def is_verb_model(value: object) -> bool:
    """Whether ``value`` is an instance of a generated verb model (``Say(...)``, ...)."""
    return isinstance(value, JambonzModel) and _has_verb(type(value))


def _has_verb(cls: type[BaseModel]) -> bool:
    """Whether ``cls`` is a verb model (has a ``verb`` field); cached per class, because
    pydantic's ``model_fields`` class property is slow for a per-instance check."""
    found = _VERB_CACHE.get(cls)
    if found is None:
        found = _VERB_CACHE[cls] = "verb" in cls.model_fields
    return found


def _shadowable(cls: type[BaseModel]) -> dict[str, object]:
    """Fields of ``cls`` whose wire name differs from their Python name, with defaults."""
    found = _SHADOW_CACHE.get(cls)
    if found is None:
        found = _SHADOW_CACHE[cls] = {
            name: info.default
            for name, info in cls.model_fields.items()
            if info.validation_alias not in (None, name)
        }
    return found


def _rules_of(cls: type[JambonzModel]) -> tuple[Rule, ...]:
    """The rules of ``cls`` and of every generated class it derives from."""
    found = _RULES_CACHE.get(cls)
    if found is None:
        found = _RULES_CACHE[cls] = tuple(
            rule for klass in cls.__mro__ for rule in vars(klass).get("__jambonz_rules__", ())
        )
    return found


def _typed_keys(cls: type[BaseModel]) -> frozenset[str]:
    """Names and aliases of the fields whose schema rejects ``null`` (all but ``JsonValue``)."""
    found = _ALIAS_CACHE.get(cls)
    if found is None:
        names: set[str] = set()
        for name, info in cls.model_fields.items():
            if info.annotation is _JSON_VALUE or _JSON_VALUE in get_args(info.annotation):
                continue
            names.add(name)
            if isinstance(info.validation_alias, str):
                names.add(info.validation_alias)
            if info.alias:
                names.add(info.alias)
        found = _ALIAS_CACHE[cls] = frozenset(names)
    return found
