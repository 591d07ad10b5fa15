"""Typed nested prompts: gather's ``say`` and ``play`` take a model or a dict.

The schema declares both as free-form objects ("the same properties as the say verb,
but no fields are required"), so the server accepts any object there and so must we.
Typing them as plain ``dict`` would let ``say={"txt": "Press 1"}`` through both type
checkers (the prompt is then silently empty), so:

* **statically** a prompt is a :class:`Say` / :class:`Play` model or its nested
  TypedDict twin (``NestedSayDict``: every say key, none required, no ``verb``), so a
  misspelled key in a dict literal is a mypy/pyright error and editors complete keys;
* **at run time** any object is accepted, as ajv accepts it. A raw object (what arrives
  from the wire) is tried first and kept as it is, so a received verb array
  round-trips byte for byte; a model is kept as the model and written without its
  ``verb`` key, which belongs to top-level verbs only;
* a key the prompt's schema does not know (``txt``) is logged **once per process** as a
  warning naming the closest valid key: the server accepts it, but does not use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypeAlias

from pydantic import AfterValidator, Field, JsonValue, SerializerFunctionWrapHandler, WrapSerializer

from .verbs.play import Play
from .verbs.say import Say

if TYPE_CHECKING:
    from .dicts.verbs.play import NestedPlayDict
    from .dicts.verbs.say import NestedSayDict

__all__ = ["NestedPlay", "NestedSay", "unknown_key_warning"]

_WARNED: set[tuple[str, str]] = set()
_KNOWN: dict[type[Say] | type[Play], frozenset[str]] = {}


def _wire_keys(model: type[Say] | type[Play]) -> frozenset[str]:
    found = _KNOWN.get(model)
    if found is None:
        found = _KNOWN[model] = frozenset(
            info.validation_alias if isinstance(info.validation_alias, str) else name
            for name, info in model.model_fields.items()
        )
    return found


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


def unknown_key_warning(prompt: str, key: str, known: frozenset[str]) -> str:
    """The warning text for ``key`` in a nested ``prompt``: names the closest valid key."""
    import difflib  # here, not at the top: only a typo pays for it (first-use budget)

    options = sorted(known - {"verb"})
    same = [k for k in options if _norm(k) == _norm(key)]
    close = same or difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else f" (valid keys: {', '.join(options)})"
    return f'nested {prompt}: unknown key "{key}" is sent as is, but jambonz does not use it{hint}'


def _warn(message: str) -> None:
    import logging  # imported on the first warning only: importing a verb stays cheap

    logging.getLogger("jambonz_types").warning(message)


def _checker(prompt: str, model: type[Say] | type[Play]) -> AfterValidator:
    def check(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        known = _wire_keys(model)
        if value.keys() <= known:  # the common case: one C-level check
            return value
        for key in value:
            if key not in known and (prompt, key) not in _WARNED:
                _WARNED.add((prompt, key))
                _warn(unknown_key_warning(prompt, key[:60], known))
        return value

    return AfterValidator(check)


def _without_verb(value: object, handler: SerializerFunctionWrapHandler) -> object:
    data = handler(value)
    if isinstance(value, (Say, Play)) and isinstance(data, dict):
        data.pop("verb", None)
    return data


if TYPE_CHECKING:
    NestedSay: TypeAlias = NestedSayDict | Say
    """Gather's nested ``say``: a :class:`Say` (written without ``verb``) or a dict."""
    NestedPlay: TypeAlias = NestedPlayDict | Play
    """Gather's nested ``play``: a :class:`Play` (written without ``verb``) or a dict."""
else:  # what pydantic validates: any object (checked for unknown keys) or the model,
    # written without ``verb`` (the serializer hook sits on the model branch only: a dict,
    # the common case, is written by pydantic-core alone)
    NestedSay = Annotated[
        Annotated[dict[str, JsonValue], _checker("say", Say)]
        | Annotated[Say, WrapSerializer(_without_verb)],
        Field(union_mode="left_to_right"),
    ]
    NestedPlay = Annotated[
        Annotated[dict[str, JsonValue], _checker("play", Play)]
        | Annotated[Play, WrapSerializer(_without_verb)],
        Field(union_mode="left_to_right"),
    ]
