"""TypedDict twins: the dict form of every generated model, type-checked like the model.

Users write dicts: every jambonz example on the web is JSON. A ``dict[str, JsonValue]``
parameter lets ``{"txt": "Press 1"}`` through both type checkers, so for every model
class the generator emits (verbs, components, callbacks, commands, nested inline
objects) this module emits a ``TypedDict`` twin into ``jambonz_types/dicts/``, mirroring
the model tree (``verbs/say.py`` -> ``dicts/verbs/say.py``, ``Say`` -> ``SayDict``):

* wire (camelCase) keys, since that is what a user copies from the jambonz docs;
* ``total=False`` with ``Required[...]`` for the schema's required keys;
* ``Literal`` enums, nested twins for nested objects, plain ``str``/``int``/``float``/
  ``bool`` for the models' strict types, ``JsonValue`` where the schema is free-form;
* the schema descriptions as docstrings, so an editor shows them while completing keys;
* no ``None`` values: the server rejects an explicit ``null`` where the schema gives a
  type; leaving a key out is how a dict says "not given".

The twins are derived from the same IR as the builder (:mod:`codegen.ir`, read back from
the generated model modules), so a twin cannot disagree with its model.

``[tool.jambonz-codegen.nested-objects]`` names free-form properties whose descriptions
say they take another schema's properties with none required (gather's nested ``say``,
dial's nested ``listen``). Their twin is ``Nested<Model>Dict`` (every key optional, no
``verb``); the model keeps accepting any object at run time, as ajv does.

:func:`widen_verbs` makes every builder parameter that takes a model take its twin too.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from .config import Config
from .ir import ModelSpec, ParamSpec, Ref, VerbSpec
from .schemas import GROUPS, SchemaSet, class_name

__all__ = [
    "FREE_FORM_NOTE",
    "TWIN_PACKAGE",
    "Twins",
    "load_twins",
    "nested_ref",
    "render_twins",
    "twin_ref",
    "widen_verbs",
    "write_model_inits",
]

TWIN_PACKAGE = "dicts"
"""Subpackage of the generated package that holds the twins."""
_SUFFIX = "Dict"
_PLAIN = {
    "StrictStr": "str",
    "StrictInt": "int",
    "StrictFloat": "float",
    "StrictBool": "bool",
    "JsonInt": "int",
}
"""Strict pydantic types -> what a dict literal holds (strictness is the model's job)."""
_FREE_FORM = "dict[str, JsonValue]"
_GROUP_DOCS = {
    "verbs": "TypedDict twins of the verb models: each verb's dict form, wire keys.",
    "components": "TypedDict twins of the shared objects (synthesizer, recognizer, hooks, ...).",
    "callbacks": "TypedDict twins of the hook payload models (snake_case, as jambonz sends them).",
    "commands": "TypedDict twins of the session command models.",
}
_PACKAGE_DOC = (
    "TypedDict twins of every jambonz_types model: the dict form, checked by mypy/pyright.\n"
    "\n"
    "Each group has its own package (``dicts.verbs``, ``dicts.components``, ...); this one\n"
    "re-exports them all, verbs first where two groups use one name (``HangupDict``).\n"
    "\n"
    "``SayDict`` is to ``{...}`` what ``Say`` is to ``Say(...)``: wire (camelCase) keys,\n"
    "``Required`` keys the schema requires, ``Literal`` enums, nested twins. Every builder\n"
    "parameter that takes a model takes its twin too, so a typo in a dict literal\n"
    '(``say={"txt": ...}``) is a type error. Nothing here validates at run time: the\n'
    "models do that, exactly as the jambonz server does."
)


def twin_ref(ref: Ref) -> Ref:
    """Where the twin of model ``ref`` lives: ``(verbs.say, Say)`` -> ``(dicts.verbs.say, SayDict)``."""
    return (f"{TWIN_PACKAGE}.{ref[0]}", f"{ref[1]}{_SUFFIX}")


def nested_ref(ref: Ref) -> Ref:
    """The all-optional, verb-less twin of ``ref`` used for nested objects."""
    return (f"{TWIN_PACKAGE}.{ref[0]}", f"Nested{ref[1]}{_SUFFIX}")


@dataclass(frozen=True)
class Twins:
    """What twin emission and builder widening need to know."""

    models: Mapping[Ref, ModelSpec]
    nested: Mapping[tuple[Ref, str], Ref]
    """(owning model, wire key) -> model whose nested twin types that key."""

    def nested_target(self, owner: Ref, wire: str) -> Ref | None:
        """The nested-objects entry for ``owner.wire``, looking through base classes."""
        todo = [owner]
        while todo:
            cur = todo.pop(0)
            if (cur, wire) in self.nested:
                return self.nested[(cur, wire)]
            if cur in self.models:
                todo.extend(self.models[cur].bases)
        return None


_POINTER = re.compile(r"^(?P<key>[^#]+)#/properties/(?P<wire>[^/]+)$")


def load_twins(
    schemas: SchemaSet, config: Config, models: Mapping[Ref, ModelSpec], class_of: Mapping[str, str]
) -> Twins:
    """Resolve the nested-objects table against the parsed models (``ir.read_models``)."""
    by_key = {f.key: f for f in schemas.files}

    def top(key: str, where: str) -> Ref:
        f = by_key.get(key)
        if f is None:
            raise SystemExit(f"codegen: nested-objects: {where}: no schema {key!r}")
        return (f"{f.group}.{f.module}", class_of[key])

    nested: dict[tuple[Ref, str], Ref] = {}
    for pointer, target in sorted(config.nested_objects.items()):
        match = _POINTER.match(pointer)
        if match is None:
            raise SystemExit(
                f"codegen: nested-objects: {pointer!r} is not '<schema>#/properties/<key>'"
            )
        owner = top(match["key"], pointer)
        wire = match["wire"]
        if not any(p.wire == wire for p in models[owner].fields):
            raise SystemExit(f"codegen: nested-objects: {owner[1]} has no key {wire!r}")
        nested[(owner, wire)] = top(target, pointer)
    return Twins(models, nested)


# -- annotations -----------------------------------------------------------------------------


def _members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_members(node.left), *_members(node.right)]
    return [node]


def _union(members: Sequence[str]) -> str:
    return " | ".join(dict.fromkeys(members))


class _Scope:
    """Local names of the refs one generated module uses, unique within it.

    ``existing`` holds what the module already defines or imports (a model module the
    typed ``__init__`` goes into); only names added through :meth:`name` are imported.
    """

    def __init__(self, own_module: str, existing: Mapping[Ref, str] | None = None) -> None:
        self.own = own_module
        self.existing = dict(existing or {})
        self.local: dict[Ref, str] = {}

    def name(self, ref: Ref) -> str:
        found = self.existing.get(ref) or self.local.get(ref)
        if found is None:
            found = ref[1]
            taken = {*self.existing.values(), *self.local.values()}
            if found in taken:
                found = "".join(p.title() for p in ref[0].rsplit(".", 1)[-1].split("_")) + found
            if found in taken:  # pragma: no cover - two modules of the same name
                raise SystemExit(f"codegen.typeddicts: cannot alias {ref} in {self.own}")
            self.local[ref] = found
        return found

    def imports(self, package: str) -> list[str]:
        lines = []
        for (module, name), local in sorted(self.local.items()):
            if module == self.own or module == "@builtins":
                continue
            alias = f" as {local}" if local != name else ""
            lines.append(f"from {_import_source((module, name), package)} import {name}{alias}")
        return lines


def _import_source(ref: Ref, package: str) -> str:
    return ref[0][1:] if ref[0].startswith("@") else f"{package}.{ref[0]}"


def _twin_expr(
    node: ast.expr, refs: Mapping[str, Ref], twins: Twins, scope: _Scope, where: str
) -> str:
    """The twin (dict-literal) spelling of one model annotation node."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [_twin_expr(m, refs, twins, scope, where) for m in _members(node)]
        return _union([p for p in parts if p != "None"])
    if isinstance(node, ast.Name):
        ref = refs.get(node.id, ("@builtins", node.id))
        if ref in twins.models:
            return scope.name(twin_ref(ref))
        if ref[1] in _PLAIN:
            return _PLAIN[ref[1]]
        if ref == ("@pydantic", "JsonValue"):
            return scope.name(ref)
        if ref[0] == "@builtins":
            return node.id
        raise SystemExit(f"codegen.typeddicts: {where}: no twin for {ref[0]}.{ref[1]}")
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        head = node.value.id
        if head == "Literal":
            scope.name(("@typing", "Literal"))
            return ast.unparse(node)
        if head in ("list", "dict"):
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            inner = ", ".join(_twin_expr(e, refs, twins, scope, where) for e in elts)
            return f"{head}[{inner}]"
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    raise SystemExit(f"codegen.typeddicts: {where}: unsupported annotation {ast.unparse(node)}")


def _field_twin(owner: Ref, p: ParamSpec, twins: Twins, scope: _Scope) -> str:
    target = twins.nested_target(owner, p.wire)
    if target is not None:
        refs = dict(p.refs)
        kept = [
            m
            for m in _members(ast.parse(p.annotation, mode="eval").body)
            if ast.unparse(m) != _FREE_FORM
            and not (isinstance(m, ast.Name) and refs[m.id][0].startswith("_"))
        ]
        parts = [
            *(_twin_expr(m, refs, twins, scope, f"{owner[1]}.{p.wire}") for m in kept),
            scope.name(nested_ref(target)),
        ]
        return _union([x for x in parts if x != "None"])
    node = ast.parse(p.annotation, mode="eval").body
    return _twin_expr(node, dict(p.refs), twins, scope, f"{owner[1]}.{p.wire}")


# -- builder parameters ----------------------------------------------------------------------

_SEQUENCE: Ref = ("@collections.abc", "Sequence")


def _widen_expr(node: ast.expr, refs: dict[str, Ref], twins: Twins) -> tuple[str, bool]:
    """``X`` -> ``X | XDict`` wherever ``X`` is a model; ``list[...]`` of those -> ``Sequence``
    (a ``list[X]`` argument must still fit, and ``list`` is invariant)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [_widen_expr(m, refs, twins) for m in _members(node)]
        return _union([t for t, _ in parts]), any(w for _, w in parts)
    if isinstance(node, ast.Name):
        ref = refs.get(node.id)
        if ref is not None and ref in twins.models and twins.models[ref].root is None:
            twin = twin_ref(ref)
            refs[twin[1]] = twin
            return f"{node.id} | {twin[1]}", True
        return node.id, False
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("list", "dict")
    ):
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        parts = [_widen_expr(e, refs, twins) for e in elts]
        widened = any(w for _, w in parts)
        head = node.value.id
        if widened and head == "list":
            head = "Sequence"
            refs["Sequence"] = _SEQUENCE
        elif widened:
            head = "Mapping"
            refs["Mapping"] = ("@collections.abc", "Mapping")
        return f"{head}[{', '.join(t for t, _ in parts)}]", widened
    return ast.unparse(node), False


def _widen_param(owner: Ref, p: ParamSpec, twins: Twins) -> ParamSpec:
    refs = dict(p.refs)
    target = twins.nested_target(owner, p.wire)
    members = _members(ast.parse(p.annotation, mode="eval").body)
    if target is not None:
        out: list[str] = []
        for m in members:
            text = ast.unparse(m)
            if isinstance(m, ast.Name) and refs[m.id][0].startswith("_"):
                # A static nested type (``_nested.NestedSay``) takes the model as well.
                refs[target[1]] = target
                out.append(target[1])
            elif text != _FREE_FORM:
                out.append(text)
        nested = nested_ref(target)
        refs[nested[1]] = nested
        none = [x for x in out if x == "None"]
        annotation = _union([*(x for x in out if x != "None"), nested[1], *none])
    else:
        text, widened = _widen_expr(ast.parse(p.annotation, mode="eval").body, refs, twins)
        if not widened:
            return p
        annotation = text
    used = {n.id for n in ast.walk(ast.parse(annotation, mode="eval")) if isinstance(n, ast.Name)}
    return replace(
        p,
        annotation=annotation,
        refs=tuple(sorted((name, ref) for name, ref in refs.items() if name in used)),
    )


FREE_FORM_NOTE = (
    "Free-form; the schema lists no keys for this object, so any JSON object is sent as is."
)
"""Appended to the docstring of every parameter still typed ``dict[str, JsonValue]``."""


def _note_free_form(p: ParamSpec) -> ParamSpec:
    if _FREE_FORM not in p.annotation:
        return p
    return replace(p, description=f"{p.description} {FREE_FORM_NOTE}".strip())


def widen_verbs(verbs: Iterable[VerbSpec], twins: Twins) -> list[VerbSpec]:
    """The builder methods with every model-typed parameter also taking the model's twin
    (and the truly free-form ones saying so in their docstring)."""
    out = []
    for v in verbs:
        owner = (v.model.module, v.model.name)
        params = tuple(_note_free_form(_widen_param(owner, p, twins)) for p in v.params)
        out.append(replace(v, params=params))
    return out


# -- modules ---------------------------------------------------------------------------------


def _doc(text: str, indent: str) -> str:
    body = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if not body:
        return ""
    lines = body.splitlines()
    return '"""' + ("\n" + indent).join(lines) + '"""'


@dataclass(frozen=True)
class _Key:
    wire: str
    annotation: str
    doc: str

    @property
    def keyword(self) -> bool:
        return not self.wire.isidentifier() or keyword.iskeyword(self.wire)


@dataclass(frozen=True)
class _Class:
    name: str
    doc: str
    keys: tuple[_Key, ...]
    alias: str | None = None
    """For a ``RootModel`` twin: the aliased annotation instead of keys."""

    @property
    def plain_keys(self) -> tuple[_Key, ...]:
        return tuple(k for k in self.keys if not k.keyword)

    @property
    def keyword_keys(self) -> tuple[_Key, ...]:
        return tuple(k for k in self.keys if k.keyword)


def _class_twin(spec: ModelSpec, twins: Twins, scope: _Scope, nested: bool) -> _Class:
    owner = (spec.module, spec.name)
    qual = f"jambonz_types.{spec.qualname}"
    if spec.root is not None:
        node = ast.parse(spec.root, mode="eval").body
        alias = _twin_expr(node, dict(spec.root_refs), twins, scope, spec.name)
        return _Class(twin_ref(owner)[1], "", (), alias=alias)
    keys = []
    for p in spec.fields:
        if nested and p.name == "verb":
            continue
        text = _field_twin(owner, p, twins, scope)
        if p.required and not nested:
            scope.name(("@typing_extensions", "Required"))
            text = f"Required[{text}]"
        keys.append(_Key(p.wire, text, _doc(p.description, "    ")))
    if nested:
        name = nested_ref(owner)[1]
        lead = f"The nested form of :class:`{qual}`: the same keys, none required, no ``verb``."
    else:
        name = twin_ref(owner)[1]
        lead = f"The dict form of :class:`{qual}` (wire keys)."
    doc = _doc(f"{lead}\n\n{spec.description}" if spec.description else lead, "    ")
    return _Class(name, doc, tuple(keys))


def _dependency_order(classes: Sequence[_Class]) -> list[_Class]:
    """The classes, each after the ones of its module it names (stable otherwise).

    The twin modules do not use ``from __future__ import annotations``: with string
    annotations ``typing.TypedDict`` cannot see ``Required[...]`` at run time, and
    ``__required_keys__`` (which pydantic and other tools read) would be wrong. So a
    class's annotations are evaluated when it is created, after what they name.
    """
    names = {c.name for c in classes}
    deps = {
        c.name: {
            n.id
            for k in c.keys
            for n in ast.walk(ast.parse(k.annotation, mode="eval"))
            if isinstance(n, ast.Name) and n.id in names and n.id != c.name
        }
        for c in classes
    }
    done: list[_Class] = []
    placed: set[str] = set()
    todo = list(classes)
    while todo:
        ready = next((c for c in todo if deps[c.name] <= placed), None)
        if ready is None:
            raise SystemExit(f"codegen.typeddicts: cyclic twins {[c.name for c in todo]}")
        todo.remove(ready)
        done.append(ready)
        placed.add(ready.name)
    return done


def render_twins(
    env: jinja2.Environment, schemas: SchemaSet, config: Config, twins: Twins, tree: Path
) -> None:
    """Write ``dicts/<group>/<module>.py`` for every model module, and the package inits."""
    package = config.package
    nested_targets = set(twins.nested.values())
    by_module: dict[str, list[ModelSpec]] = {}
    for ref in sorted(twins.models):
        by_module.setdefault(ref[0], []).append(twins.models[ref])
    files = {f"{f.group}.{f.module}": f for f in schemas.files}
    exports: dict[str, list[tuple[str, str]]] = {group: [] for group in GROUPS}
    named = set(config.titles.values())
    for module, specs in sorted(by_module.items()):
        source = files[module]
        scope = _Scope(f"{TWIN_PACKAGE}.{module}")
        for spec in specs:  # the module's own twins keep their names
            scope.name(twin_ref((spec.module, spec.name)))
        classes: list[_Class] = []
        aliases: list[_Class] = []
        for spec in specs:
            twin = _class_twin(spec, twins, scope, nested=False)
            (aliases if twin.alias is not None else classes).append(twin)
            if (spec.module, spec.name) in nested_targets:
                classes.append(_class_twin(spec, twins, scope, nested=True))
        classes = _dependency_order(classes)
        # Exported like the models: the module's top-level twin, the twins of inline
        # objects the config names, and the nested twins.
        top = {class_name(source, config), *named}
        for c in (*classes, *aliases):
            if c.name.startswith("Nested") or c.name.removesuffix(_SUFFIX) in top:
                exports[source.group].append((c.name, source.module))
        scope.name(("@typing_extensions", "TypedDict"))
        if aliases:
            scope.name(("@typing_extensions", "TypeAlias"))
        out = tree / TWIN_PACKAGE / source.group / f"{source.module}.py"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            env.get_template("typeddicts.py.jinja").render(
                source=f"schemas/{source.path.as_posix()}",
                version=schemas.version,
                model=f"{package}.{module}",
                imports=scope.imports(package),
                classes=classes,
                aliases=aliases,
            ),
            encoding="utf-8",
        )
    every: list[tuple[str, str]] = []
    for group in GROUPS:
        names = sorted(exports[group])
        every += [(name, f"{group}.{module}") for name, module in names]
        (tree / TWIN_PACKAGE / group / "__init__.py").write_text(
            env.get_template("subpackage_init.py.jinja").render(
                source=f"schemas/{group}/", version=schemas.version,
                doc=_GROUP_DOCS[group], exports=names,
            ),
            encoding="utf-8",
        )  # fmt: skip
    # A name two groups define (``HangupDict``: the verb and the component) is exported
    # here from the first group in GROUPS order; the other stays in its group package.
    seen: dict[str, str] = {}
    for name, module in every:
        seen.setdefault(name, module)
    every = sorted(seen.items())
    (tree / TWIN_PACKAGE / "__init__.py").write_text(
        env.get_template("subpackage_init.py.jinja").render(
            source="schemas/", version=schemas.version, doc=_PACKAGE_DOC, exports=sorted(every)
        ),
        encoding="utf-8",
    )


# -- model constructors ----------------------------------------------------------------------

_INIT_INDENT = " " * 4


def _module_scope(text: str, module: str, package: str) -> dict[Ref, str]:
    """(module, name) -> local name of everything a generated model module defines/imports."""
    from .ir import _resolve_module

    scope: dict[Ref, str] = {}
    for stmt in ast.parse(text).body:
        if isinstance(stmt, ast.ImportFrom):
            source = _resolve_module(module, stmt, package)
            for alias in stmt.names:
                scope[(source, alias.name)] = alias.asname or alias.name
        elif isinstance(stmt, ast.ClassDef):
            scope[(module, stmt.name)] = stmt.name
    return scope


def write_model_inits(tree: Path, package: str, twins: Twins) -> None:
    """Give every generated model a typed ``__init__`` for type checkers only.

    pydantic's synthesized signature (PEP 681) types each parameter exactly like the
    field, so ``Dial(target=[{...}])`` would be a type error while ``Verbs().dial(
    target=[{...}])`` is not. The ``__init__`` added under ``if TYPE_CHECKING:`` takes
    what the builder takes (the model or its TypedDict twin); the attributes keep their
    honest types, and at run time nothing changes (pydantic validates dicts as always).
    """
    by_module: dict[str, list[ModelSpec]] = {}
    for ref, spec in sorted(twins.models.items()):
        if spec.root is None:
            by_module.setdefault(ref[0], []).append(spec)
    for module, specs in sorted(by_module.items()):
        path = tree / Path(*module.split(".")).with_suffix(".py")
        path.write_text(
            _with_inits(path.read_text(encoding="utf-8"), module, specs, package, twins),
            encoding="utf-8",
        )


def _with_inits(
    text: str, module: str, specs: Sequence[ModelSpec], package: str, twins: Twins
) -> str:
    """``text`` (one model module) with the typed ``__init__`` of each class in ``specs``."""
    existing = _module_scope(text, module, package)
    scope = _Scope(module, existing)

    inits: dict[str, str] = {}
    for spec in specs:
        owner = (spec.module, spec.name)
        lines = [
            f"{_INIT_INDENT}if TYPE_CHECKING:",
            "",
            f"{_INIT_INDENT * 2}def __init__(",
            f"{_INIT_INDENT * 3}self,",
        ]
        if spec.fields:
            lines.append(f"{_INIT_INDENT * 3}*,")
        for p in spec.fields:
            wide = _widen_param(owner, p, twins)
            refs = dict(wide.refs)
            node = ast.parse(wide.annotation, mode="eval")
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and n.id in refs:
                    n.id = scope.name(refs[n.id])
            default = "" if p.required else " = ..."
            lines.append(f"{_INIT_INDENT * 3}{p.name}: {ast.unparse(node)}{default},")
        lines.append(f"{_INIT_INDENT * 2}) -> None: ...")
        inits[spec.name] = "\n".join(lines)
    have_flag = ("@typing", "TYPE_CHECKING") in existing
    tree_ast = ast.parse(text)
    out = text.splitlines()
    # Insert from the bottom up so earlier line numbers stay valid.
    classes = [n for n in tree_ast.body if isinstance(n, ast.ClassDef) and n.name in inits]
    for cls in sorted(classes, key=lambda c: c.end_lineno or 0, reverse=True):
        assert cls.end_lineno is not None
        out[cls.end_lineno : cls.end_lineno] = ["", inits[cls.name]]
    imports = scope.imports(package)
    first = next(n for n in tree_ast.body if isinstance(n, ast.ClassDef))
    block = [] if have_flag else ["from typing import TYPE_CHECKING", ""]
    if imports:
        block += ["if TYPE_CHECKING:", *(f"{_INIT_INDENT}{line}" for line in imports), ""]
    at = first.lineno - 1 - len(first.decorator_list)
    out[at:at] = [*block, ""]
    return "\n".join(out) + "\n"
