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

:mod:`codegen.widen` makes every builder and model parameter that takes a model take
its twin too.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .config import Config
from .ir import ModelSpec, ParamSpec, Ref
from .schemas import GROUPS, SchemaSet, class_name

__all__ = [
    "FREE_FORM",
    "TWIN_PACKAGE",
    "Scope",
    "Twins",
    "import_source",
    "load_twins",
    "members",
    "nested_ref",
    "render_twins",
    "twin_ref",
    "union_of",
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
FREE_FORM = "dict[str, JsonValue]"
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


def members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*members(node.left), *members(node.right)]
    return [node]


def union_of(members: Sequence[str]) -> str:
    return " | ".join(dict.fromkeys(members))


class Scope:
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
            lines.append(f"from {import_source((module, name), package)} import {name}{alias}")
        return lines


def import_source(ref: Ref, package: str) -> str:
    return ref[0][1:] if ref[0].startswith("@") else f"{package}.{ref[0]}"


def _twin_expr(
    node: ast.expr, refs: Mapping[str, Ref], twins: Twins, scope: Scope, where: str
) -> str:
    """The twin (dict-literal) spelling of one model annotation node."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [_twin_expr(m, refs, twins, scope, where) for m in members(node)]
        return union_of([p for p in parts if p != "None"])
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


def _field_twin(owner: Ref, p: ParamSpec, twins: Twins, scope: Scope) -> str:
    target = twins.nested_target(owner, p.wire)
    if target is not None:
        refs = dict(p.refs)
        kept = [
            m
            for m in members(ast.parse(p.annotation, mode="eval").body)
            if ast.unparse(m) != FREE_FORM
            and not (isinstance(m, ast.Name) and refs[m.id][0].startswith("_"))
        ]
        parts = [
            *(_twin_expr(m, refs, twins, scope, f"{owner[1]}.{p.wire}") for m in kept),
            scope.name(nested_ref(target)),
        ]
        return union_of([x for x in parts if x != "None"])
    node = ast.parse(p.annotation, mode="eval").body
    return _twin_expr(node, dict(p.refs), twins, scope, f"{owner[1]}.{p.wire}")


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


def _class_twin(spec: ModelSpec, twins: Twins, scope: Scope, nested: bool) -> _Class:
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
        scope = Scope(f"{TWIN_PACKAGE}.{module}")
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
