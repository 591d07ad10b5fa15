"""The TypedDict twins: one per model, the same keys, and taken wherever the model is.

* every generated model class has a twin in ``jambonz_types.dicts`` with exactly the
  model's wire keys, ``Required`` exactly where the model requires the field;
* every builder and call-flow parameter that accepts a model accepts its twin too;
* no builder or call-flow parameter is typed ``dict[str, JsonValue]`` unless it is in
  :data:`FREE_FORM` below, with the reason the schema gives no keys, and says so in its
  docstring. A new schema object that lands as a plain dict fails here until it gets a
  twin (``nested-objects`` in pyproject) or a justified entry.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
import typing_extensions
from pydantic import BaseModel, JsonValue, RootModel

from jambonz_types import FlowVerbs, HookRef, Verbs
from jambonz_types import builder as builder_module
from jambonz_types import flow as flow_module

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "jambonz_types"
GROUPS = ("verbs", "components", "callbacks", "commands")
FREE_FORM_TYPE = dict[str, JsonValue]

_LLM_VERBS = ("deepgram_s2s", "google_s2s", "llm", "openai_s2s", "qwen_s2s", "s2s", "ultravox_s2s")
_VENDOR_OPTIONS = (
    "the schema (components/llm-base) declares an object with no properties: it is passed "
    "verbatim to the LLM vendor's API, whose shape is the vendor's"
)
_METADATA = "application data: the schema says the keys and values are the app's own"
_RECORD = (
    "the schema declares recording options as an object with no properties (the server's "
    "record options are not described in @jambonz/schema)"
)
FREE_FORM: dict[tuple[str, str], str] = {
    **{
        (v, "connect_options"): _VENDOR_OPTIONS
        for v in (*_LLM_VERBS, "elevenlabs_s2s", "gptlive_s2s")
    },
    **{(v, "llm_options"): _VENDOR_OPTIONS for v in _LLM_VERBS},
    ("conference", "record"): _RECORD,
    ("room", "record"): _RECORD,
    ("config", "record"): _RECORD,
    ("dial", "tag"): _METADATA,
    ("rest_dial", "tag"): _METADATA,
    ("tag", "data"): _METADATA,
    ("listen", "metadata"): _METADATA,
    ("stream", "metadata"): _METADATA,
    ("dial", "dtmf_capture"): (
        "the object form is described only in prose (childCall/parentCall arrays), with "
        "no properties in the schema"
    ),
    ("dialogflow", "credentials"): "a Google service-account key file, Google's format",
    ("dialogflow", "welcome_event_params"): "Dialogflow event parameters, the agent's own",
    **{
        ("rest_dial", hook): (
            "the schema allows any object; the REST API's hook object is not the verbs' "
            "HookSpec (username/password instead of basicAuth), so no twin fits"
        )
        for hook in ("call_hook", "call_status_hook", "refer_hook")
    },
}
"""(method, parameter) -> why the schema leaves this object free-form."""


def _namespace(module: types.ModuleType) -> dict[str, object]:
    """The module's globals plus what it imports under ``TYPE_CHECKING``."""
    tree = ast.parse(inspect.getsource(module))
    ns: dict[str, object] = dict(vars(module))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            code = compile(ast.Module(body=node.body, type_ignores=[]), module.__name__, "exec")
            exec(code, ns)
    return ns


def _methods() -> Iterator[tuple[str, str, object, str]]:
    """(class, method, parameter, hint, docstring) of every verb method of both builders."""
    for cls, module in ((Verbs, builder_module), (FlowVerbs, flow_module)):
        ns = _namespace(module)
        for name, fn in vars(cls).items():
            if not inspect.isfunction(fn) or name.startswith("_"):
                continue
            hints = typing.get_type_hints(fn, globalns=ns, include_extras=True)
            for param in inspect.signature(fn).parameters:
                if param != "self":
                    yield f"{cls.__name__}.{name}", param, hints[param], fn.__doc__ or ""


def _walk(annotation: object) -> Iterator[object]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _walk(arg)


def _union(annotation: object) -> tuple[object, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


PARAMS = list(_methods())


def test_builders_have_parameters_to_check() -> None:
    assert len({m for m, *_ in PARAMS}) > 70
    assert len(PARAMS) > 800


def test_no_unjustified_free_form_dict_in_a_builder_signature() -> None:
    found: set[tuple[str, str]] = set()
    bad = []
    for method, param, hint, doc in PARAMS:
        if any(part == FREE_FORM_TYPE for part in _walk(hint)):
            key = (method.split(".", 1)[1], param)
            found.add(key)
            if key not in FREE_FORM:
                bad.append(f"{method}({param}=...): {hint}")
            # The parameter's own Args entry says so.
            assert "Free-form; the schema lists no keys" in _arg_doc(doc, param), (method, param)
    assert bad == [], "dict[str, JsonValue] without a justification:\n" + "\n".join(bad)
    assert set(FREE_FORM) - found == set(), "stale FREE_FORM entries"


def _arg_doc(doc: str, param: str) -> str:
    """The ``Args:`` entry of ``param`` in a Google-style docstring, lines joined."""
    lines = doc.split("Args:", 1)[1].split("Returns:", 1)[0].splitlines()
    entry: list[str] = []
    for line in lines:
        if line.strip().startswith(f"{param}: ") and not entry:
            entry.append(line.strip())
        elif entry and line.startswith(" " * 16):  # continuation lines are indented deeper
            entry.append(line.strip())
        elif entry:
            break
    return " ".join(entry)


def _models_without_twin(annotation: object) -> Iterator[str]:
    """Names of the models in ``annotation`` whose twin is not a sibling union member."""
    members = _union(annotation)
    for member in members:
        if isinstance(member, type) and issubclass(member, BaseModel):
            # A nested prompt (gather's say) takes the all-optional Nested<Model>Dict.
            twins = {_twin_of(member), _twin_of(member, "Nested")}
            if not issubclass(member, RootModel) and not twins & set(members):
                yield member.__name__
        elif typing.get_origin(member) not in (typing.Literal, HookRef):
            for arg in typing.get_args(member):  # list[...], Sequence[...], dict[str, ...]
                yield from _models_without_twin(arg)


def test_every_model_parameter_takes_its_twin() -> None:
    bad = [
        f"{method}({param}): {name}"
        for method, param, hint, _ in PARAMS
        for name in _models_without_twin(hint)
    ]
    assert bad == []
    # Guard: the walk above must see the model parameters (hook payloads aside).
    with_twins = [p for p in PARAMS if any(typing_extensions.is_typeddict(x) for x in _walk(p[2]))]
    assert len(with_twins) > 200


def _twin_of(model: type[BaseModel], prefix: str = "") -> object:
    group, module = model.__module__.split(".")[1:3]
    twins = importlib.import_module(f"jambonz_types.dicts.{group}.{module}")
    return getattr(twins, f"{prefix}{model.__name__}Dict", None)


def _models() -> Iterator[type[BaseModel]]:
    for group in GROUPS:
        for path in sorted((PACKAGE / group).glob("*.py")):
            if path.name == "__init__.py":
                continue
            module = importlib.import_module(f"jambonz_types.{group}.{path.stem}")
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, BaseModel)
                    and value.__module__ == module.__name__
                ):
                    yield value


MODELS = list(_models())


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_every_model_has_a_twin_with_its_wire_keys(model: type[BaseModel]) -> None:
    twin = _twin_of(model)
    if issubclass(model, RootModel):
        return  # a type alias of the root's twin (checked by the type checkers)
    assert typing_extensions.is_typeddict(twin)
    assert isinstance(twin, type)
    wire = {
        info.validation_alias if isinstance(info.validation_alias, str) else name: info
        for name, info in model.model_fields.items()
    }
    keys: frozenset[str] = twin.__required_keys__ | twin.__optional_keys__  # type: ignore[attr-defined]
    assert keys == set(wire)
    required = {key for key, info in wire.items() if info.is_required()}
    assert twin.__required_keys__ == required  # type: ignore[attr-defined]
    assert twin.__doc__ is not None
    assert f"jambonz_types.{model.__module__.split('.', 1)[1]}.{model.__name__}" in twin.__doc__


def test_twin_count_and_examples() -> None:
    from jambonz_types.dicts import NestedSayDict, SayDict, TargetDict

    assert len(MODELS) > 170
    assert SayDict.__required_keys__ == frozenset()
    assert TargetDict.__required_keys__ == {"type"}
    assert "from" in TargetDict.__optional_keys__  # a Python keyword, still a key
    assert "verb" not in NestedSayDict.__optional_keys__
    hints = typing_extensions.get_type_hints(TargetDict)  # strips Required[] on 3.10 too
    assert hints["type"] == typing.Literal["phone", "sip", "user", "teams"]
