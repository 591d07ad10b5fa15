"""Every ``Verbs`` method is typed exactly like the model it builds, for every verb schema.

The expectations are computed independently of the codegen IR: from the schema files
(which methods must exist) and from the imported pydantic models (``model_fields``),
so a bug in the IR that made builder and models agree with each other but not with the
schemas would still fail here.
"""

from __future__ import annotations

import ast
import collections.abc
import inspect
import json
import types
import typing
from pathlib import Path

import pytest
import typing_extensions
from pydantic import BaseModel, JsonValue, Strict
from pydantic.fields import FieldInfo

import jambonz_types
from jambonz_types import HOOK_PAYLOADS, HookRef, JambonzCallback, Verbs
from jambonz_types import builder as builder_module
from jambonz_types import verbs as verbs_package

ROOT = Path(__file__).resolve().parents[2]
VERB_SCHEMAS = sorted((ROOT / "schemas" / "verbs").glob("*.schema.json"))


def _verb_value(path: Path) -> str:
    return str(json.loads(path.read_text(encoding="utf-8"))["$id"]).rsplit("/", 1)[-1]


def _type_namespace() -> dict[str, object]:
    """The builder module's globals plus what it imports under ``TYPE_CHECKING``."""
    tree = ast.parse(inspect.getsource(builder_module))
    block = next(
        n
        for n in tree.body
        if isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING"
    )
    ns: dict[str, object] = dict(vars(builder_module))
    code = compile(ast.Module(body=block.body, type_ignores=[]), "<builder imports>", "exec")
    exec(code, ns)
    return ns


NS = _type_namespace()
METHODS = {
    name: fn
    for name, fn in vars(Verbs).items()
    if inspect.isfunction(fn) and not name.startswith("_")
}


def _model_of(verb_file: Path) -> type[BaseModel]:
    module = verb_file.name.removesuffix(".schema.json").replace("-", "_")
    # A verb module exports its verb class, plus any inline object given a title in the
    # codegen config (e.g. ElevenLabsAuth); the verb class is the one with ``verb``/``root``.
    names = [
        n
        for n, m in verbs_package._LAZY.items()
        if m == module and {"verb", "root"} & getattr(verbs_package, n).model_fields.keys()
    ]
    assert len(names) == 1, (verb_file, names)
    model: type[BaseModel] = getattr(verbs_package, names[0])
    if "root" in model.model_fields:  # room: a bare $ref to conference
        root = model.model_fields["root"].annotation
        assert isinstance(root, type)
        assert issubclass(root, BaseModel)
        model = root
    return model


def _normal(annotation: object, optional: bool = False) -> tuple[object, list[object]]:
    """pydantic's reading of an annotation: the type plus its ``Strict`` markers.

    pydantic moves the outer ``Annotated`` metadata of a field into ``FieldInfo.metadata``;
    constraints (``min_length``, ...) stay with the model and are not part of the builder's
    signature, so only the type and strictness are compared.
    """
    info = FieldInfo.from_annotation(annotation)  # type: ignore[arg-type]
    ann: object = info.annotation
    if optional and type(None) not in typing.get_args(ann):
        ann = ann | None  # type: ignore[operator]
    return ann, [m for m in info.metadata if isinstance(m, Strict)]


_DROP = object()


def _untwin(annotation: object) -> object:
    """The builder annotation with its TypedDict twins taken out again.

    Every model member ``X`` comes with its twin ``XDict`` (dropped here), a list of
    models is a ``Sequence`` (back to ``list``), and a ``Nested<X>Dict`` stands for the
    free-form object the model accepts (back to ``dict[str, JsonValue]``). What remains
    must be the model's own annotation; tests/codegen/test_typeddicts.py checks the
    twins themselves.
    """
    if typing_extensions.is_typeddict(annotation):
        assert isinstance(annotation, type)
        return dict[str, JsonValue] if annotation.__name__.startswith("Nested") else _DROP
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        kept = [u for u in map(_untwin, args) if u is not _DROP]
        return kept[0] if len(kept) == 1 else typing.Union[tuple(kept)]  # noqa: UP007
    if origin in (collections.abc.Sequence, list):
        return list.__class_getitem__(_untwin(args[0]))
    if origin in (collections.abc.Mapping, dict):
        return dict.__class_getitem__((args[0], _untwin(args[1])))
    return annotation


def _flat(annotation: object) -> object:
    """``Annotated[A | B, ...] | None`` (a static nested type, _nested.NestedSay) -> ``A | B | None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members: list[object] = []
        for arg in typing.get_args(annotation):
            inner = typing.get_args(arg)[0] if typing.get_origin(arg) is typing.Annotated else None
            if typing.get_origin(inner) in (typing.Union, types.UnionType):
                arg = inner
            flat = _flat(arg)
            if typing.get_origin(flat) in (typing.Union, types.UnionType):
                members.extend(
                    typing.get_args(m)[0] if typing.get_origin(m) is typing.Annotated else m
                    for m in typing.get_args(flat)
                )
            else:
                members.append(flat)
        return typing.Union[tuple(members)]  # noqa: UP007
    return annotation


def _without_hookref(annotation: object) -> tuple[object, list[object]]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation, []
    refs = [a for a in args if typing.get_origin(a) is HookRef]
    rest = [a for a in args if typing.get_origin(a) is not HookRef]
    if len(rest) == 1:
        return rest[0], refs
    return typing.Union[tuple(rest)], refs  # noqa: UP007 - building a Union from a list


def test_one_method_per_verb_schema() -> None:
    expected = {_verb_value(p).replace(":", "_") for p in VERB_SCHEMAS}
    assert len(expected) == len(VERB_SCHEMAS)  # one method each, however many schemas/ has
    assert set(METHODS) - {"copy"} - set(dir(jambonz_types._verbs_base.VerbsBase)) == expected
    for name in ("say", "gather", "stream", "listen", "s2s", "llm", "room", "conference"):
        assert name in METHODS
    for name in ("sip_decline", "sip_request", "sip_refer", "rest_dial"):
        assert name in METHODS
    assert {m for m in METHODS if m.endswith("_s2s")} == {
        _verb_value(p) for p in VERB_SCHEMAS if _verb_value(p).endswith("_s2s")
    }


@pytest.mark.parametrize("verb_file", VERB_SCHEMAS, ids=lambda p: p.name)
def test_signature_matches_model(verb_file: Path) -> None:
    verb = _verb_value(verb_file)
    method = METHODS[verb.replace(":", "_")]
    model = _model_of(verb_file)
    sig = inspect.signature(method)
    hints = typing.get_type_hints(method, globalns=NS, include_extras=True)
    params = [p for p in sig.parameters.values() if p.name != "self"]

    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    assert [p.name for p in params] == [n for n in model.model_fields if n != "verb"]
    assert hints["return"] is typing_extensions_self()

    for p in params:
        info = model.model_fields[p.name]
        assert (p.default is inspect.Parameter.empty) == info.is_required(), p.name
        if not info.is_required():
            assert p.default is None, p.name
        got, refs = _without_hookref(_untwin(hints[p.name]))
        want = _normal(info.rebuild_annotation(), optional=not info.is_required())
        assert _normal(got) == (_flat(want[0]), want[1]), p.name
        wire = info.validation_alias if isinstance(info.validation_alias, str) else p.name
        if (verb, wire) in HOOK_PAYLOADS:
            assert [typing.get_args(r) for r in refs] == [(HOOK_PAYLOADS[(verb, wire)],)], p.name
        else:
            assert refs == [], p.name


def typing_extensions_self() -> object:
    import typing_extensions

    return typing_extensions.Self


def test_every_hookspec_field_is_in_the_hook_table() -> None:
    for verb_file in VERB_SCHEMAS:
        verb = _verb_value(verb_file)
        for name, info in _model_of(verb_file).model_fields.items():
            if "HookSpec" in repr(info.annotation):
                wire = info.validation_alias if isinstance(info.validation_alias, str) else name
                payload = HOOK_PAYLOADS[(verb, wire)]
                assert issubclass(payload, JambonzCallback)


def test_hook_table_examples() -> None:
    from jambonz_types.callbacks import DialCallback, GatherCallback, GatherPartialCallback

    assert HOOK_PAYLOADS[("gather", "actionHook")] is GatherCallback
    assert HOOK_PAYLOADS[("gather", "partialResultHook")] is GatherPartialCallback
    assert HOOK_PAYLOADS[("dial", "actionHook")] is DialCallback
    assert HOOK_PAYLOADS[("conference", "enterHook")] is JambonzCallback
    assert HOOK_PAYLOADS[("room", "waitHook")] is HOOK_PAYLOADS[("conference", "waitHook")]
    assert ("say", "actionHook") not in HOOK_PAYLOADS


def test_docstrings_carry_description_args_and_min_version() -> None:
    doc = Verbs.gather.__doc__ or ""
    assert "Collects user input" in doc
    assert "action_hook:" in doc
    assert "HookRef[GatherCallback]" in doc
    schema = json.loads((ROOT / "schemas/verbs/agent.schema.json").read_text(encoding="utf-8"))
    assert f"Requires jambonz >= {schema['minVersion']}" in (Verbs.agent.__doc__ or "")
