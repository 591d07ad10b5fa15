"""The builder's intermediate representation, read back from the *generated* model modules.

Why parse the generated Python instead of the JSON schemas: the builder's parameter
types must be exactly the model field types. Reading each field's annotation from the
model module with :mod:`ast` (and copying it verbatim) means there is only one
JSON-type -> Python-type mapping in the project, datamodel-code-generator's, and the
builder cannot disagree with the models it builds.

The schemas contribute what the Python code does not carry: which files are verbs, the
``verb`` wire value of each, ``minVersion`` and the hook payload table from pyproject.
"""

from __future__ import annotations

import ast
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .schemas import SchemaFile, SchemaSet

__all__ = [
    "BUILDER_RESERVED",
    "ModelSpec",
    "ParamSpec",
    "Ref",
    "VerbSpec",
    "build_ir",
    "hook_payload_key",
    "read_models",
]

Ref = tuple[str, str]
"""A name used in an annotation, resolved to (absolute module, name)."""

BUILDER_RESERVED = frozenset(
    {"append", "extend", "to_list", "to_wire", "to_json", "from_wire", "from_json", "copy"}
)
"""Names of the ``Verbs`` helpers: no verb method may take one of them."""

_HOOK_CLASS = "HookSpec"
_TERMINAL_BASES = frozenset({"JambonzModel", "JambonzCallback", "BaseModel"})


@dataclass(frozen=True)
class ParamSpec:
    """One model field, as a builder parameter sees it."""

    name: str
    """Python (snake_case) name."""
    wire: str
    """The key on the wire (the alias, or the name itself)."""
    annotation: str
    """The field's type exactly as the model module spells it (``Annotated`` metadata removed)."""
    required: bool
    """True when the field has no default."""
    description: str
    refs: tuple[tuple[str, Ref], ...]
    """Every name the annotation uses -> where the model module got it from."""
    literals: tuple[str, ...]
    """Every ``Literal`` value in the annotation (sorted), for the enum part of the API report."""

    @property
    def is_hook(self) -> bool:
        """True when the field accepts a hook object (``components/actionHook``)."""
        return any(name == _HOOK_CLASS for name, _ in self.refs)

    @property
    def accepts_none(self) -> bool:
        """True when ``None`` is one of the annotation's top-level union members."""
        return "None" in _union_members(self.annotation)


@dataclass(frozen=True)
class ModelSpec:
    """One class of a generated model module, with its inherited fields resolved."""

    module: str
    """Module path inside the package, e.g. ``verbs.say``."""
    name: str
    description: str
    fields: tuple[ParamSpec, ...]
    bases: tuple[Ref, ...]
    root: str | None = None
    """Annotation of ``root`` for a ``RootModel``; ``None`` for an ordinary model."""
    root_refs: tuple[tuple[str, Ref], ...] = ()

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class VerbSpec:
    """One builder method: a verb schema file and the model it builds."""

    verb: str
    """The ``verb`` wire value the method sets (``sip:decline``, ``room``)."""
    method: str
    schema: str
    """Source schema path relative to the repository, for docstrings and reports."""
    model: ModelSpec
    """The model that is instantiated (``Conference`` for ``room``)."""
    description: str
    min_version: str | None
    params: tuple[ParamSpec, ...]
    """Every model field except ``verb``, in model order."""
    hook_payloads: Mapping[str, Ref] = field(default_factory=dict)
    """Wire name of each hook parameter -> callback model its payload validates with."""


def _union_members(annotation: str) -> list[str]:
    node = ast.parse(annotation, mode="eval").body
    out: list[str] = []

    def walk(n: ast.expr) -> None:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr):
            walk(n.left)
            walk(n.right)
        else:
            out.append(ast.unparse(n))

    walk(node)
    return out


def _docstring(stmt: ast.stmt | None) -> str:
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    ):
        return "\n".join(line.strip() for line in stmt.value.value.strip().splitlines())
    return ""


def _resolve_module(current: str, node: ast.ImportFrom, package: str) -> str:
    """Absolute module path (inside the package, dotted) of an ``ImportFrom``."""
    module = node.module or ""
    if node.level == 0:
        if module == package or module.startswith(package + "."):
            return module[len(package) + 1 :]
        return "@" + module  # a third-party module: pydantic, typing, ...
    parts = current.split(".")[: -node.level]
    return ".".join([*parts, *([module] if module else [])])


def _unwrap_annotated(node: ast.expr) -> ast.expr:
    """``Annotated[X, Field(...)]`` -> ``X`` (constraints stay with the model)."""
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Annotated"
        and isinstance(node.slice, ast.Tuple)
        and all(isinstance(e, ast.Call) for e in node.slice.elts[1:])
    ):
        return node.slice.elts[0]
    return node


def _field_alias(node: ast.expr) -> str | None:
    if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple)):
        return None
    for call in node.slice.elts[1:]:
        if isinstance(call, ast.Call):
            for kw in call.keywords:
                if kw.arg in ("alias", "validation_alias") and isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
    return None


def _literals(node: ast.expr) -> tuple[str, ...]:
    found: set[str] = set()
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Subscript)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == "Literal"
        ):
            elts = sub.slice.elts if isinstance(sub.slice, ast.Tuple) else [sub.slice]
            found.update(repr(e.value) for e in elts if isinstance(e, ast.Constant))
    return tuple(sorted(found))


@dataclass
class _RawClass:
    module: str
    name: str
    node: ast.ClassDef
    scope: dict[str, Ref]


def read_models(tree: Path, package: str) -> dict[Ref, ModelSpec]:
    """Parse every generated model module under ``tree`` into :class:`ModelSpec`s."""
    raw: dict[Ref, _RawClass] = {}
    for path in sorted(tree.glob("*/*.py")):
        if path.name == "__init__.py":
            continue
        module = f"{path.parent.name}.{path.stem}"
        body = ast.parse(path.read_text(encoding="utf-8")).body
        scope: dict[str, Ref] = {}
        for stmt in body:
            if isinstance(stmt, ast.ImportFrom):
                source = _resolve_module(module, stmt, package)
                for alias in stmt.names:
                    scope[alias.asname or alias.name] = (source, alias.name)
            elif isinstance(stmt, ast.ClassDef):
                scope[stmt.name] = (module, stmt.name)
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                raw[(module, stmt.name)] = _RawClass(module, stmt.name, stmt, scope)

    done: dict[Ref, ModelSpec] = {}

    def refs_of(node: ast.expr, scope: Mapping[str, Ref]) -> tuple[tuple[str, Ref], ...]:
        names = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)})
        out = []
        for name in names:
            if name in scope:
                out.append((name, scope[name]))
            elif name in ("None", "list", "dict", "str", "int", "float", "bool"):
                out.append((name, ("@builtins", name)))
            else:
                raise SystemExit(f"codegen.ir: cannot resolve name {name!r} in an annotation")
        return tuple(out)

    def spec(ref: Ref) -> ModelSpec:
        if ref in done:
            return done[ref]
        rc = raw[ref]
        bases: list[Ref] = []
        inherited: dict[str, ParamSpec] = {}
        root: str | None = None
        root_refs: tuple[tuple[str, Ref], ...] = ()
        for base in rc.node.bases:
            if isinstance(base, ast.Name) and base.id in rc.scope:
                target = rc.scope[base.id]
                bases.append(target)
                if target in raw and base.id not in _TERMINAL_BASES:
                    inherited.update({f.name: f for f in spec(target).fields})
            elif isinstance(base, ast.Subscript) and ast.unparse(base.value) == "RootModel":
                bases.append(("@pydantic", "RootModel"))
        own: dict[str, ParamSpec] = {}
        stmts = rc.node.body
        for i, stmt in enumerate(stmts):
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            name = stmt.target.id
            # ClassVars (model_config, __jambonz_rules__) are not model fields.
            if (
                name == "model_config"
                or name.startswith("__")
                or "ClassVar" in ast.unparse(stmt.annotation)
            ):
                continue
            inner = _unwrap_annotated(stmt.annotation)
            nxt = stmts[i + 1] if i + 1 < len(stmts) else None
            if name == "root":
                root = ast.unparse(inner)
                root_refs = refs_of(inner, rc.scope)
                continue
            own[name] = ParamSpec(
                name=name,
                wire=_field_alias(stmt.annotation) or name,
                annotation=ast.unparse(inner),
                required=stmt.value is None,
                description=_docstring(nxt),
                refs=refs_of(inner, rc.scope),
                literals=_literals(inner),
            )
        # An overriding field keeps its base's position, as in pydantic's model_fields.
        merged = {**inherited, **own}
        result = ModelSpec(
            module=rc.module,
            name=rc.name,
            description=_docstring(stmts[0] if stmts else None),
            fields=tuple(merged.values()),
            bases=tuple(bases),
            root=root,
            root_refs=root_refs,
        )
        done[ref] = result
        return result

    for ref in sorted(raw):
        spec(ref)
    return done


def hook_payload_key(verb: str, wire: str) -> str:
    """Key of the ``[tool.jambonz-codegen.hook-payloads]`` table: ``gather.actionHook``."""
    return f"{verb}.{wire}"


def _verb_name(f: SchemaFile) -> str:
    """The verb value a verb file stands for: the last segment of its ``$id``."""
    return urllib.parse.unquote(f.schema_id.rstrip("/").rsplit("/", 1)[-1])


def _is_callback(ref: Ref, models: Mapping[Ref, ModelSpec]) -> bool:
    seen: set[Ref] = set()
    todo = [ref]
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        if cur == ("_base", "JambonzCallback"):
            return True
        if cur in models:
            todo.extend(models[cur].bases)
    return False


def build_ir(
    schemas: SchemaSet, config: Config, tree: Path, class_of: Mapping[str, str]
) -> tuple[list[VerbSpec], dict[Ref, ModelSpec]]:
    """The builder methods (sorted by method name) and every parsed model.

    ``class_of`` maps a schema key (``verbs/say``) to its top-level class name.
    """
    models = read_models(tree, config.package)
    verb_model: dict[str, ModelSpec] = {}
    for f in schemas.group("verbs"):
        verb_model[f.key] = models[(f"verbs.{f.module}", class_of[f.key])]

    by_key = {f.key: f for f in schemas.files}
    used_keys: set[str] = set()
    verbs: list[VerbSpec] = []
    for f in schemas.group("verbs"):
        model = verb_model[f.key]
        description = model.description
        # A verb schema that is a bare $ref to another verb (room -> conference) comes out
        # as RootModel[Other]: the method builds Other with this file's verb value.
        if model.root is not None:
            target = dict(model.root_refs).get(model.root)
            if target is None or target not in models:
                raise SystemExit(f"codegen.ir: {f.key}: root type {model.root!r} is not a model")
            description = str(f.doc.get("description") or model.description)
            model = models[target]
        verb = _verb_name(f)
        verb_field = next((p for p in model.fields if p.name == "verb"), None)
        if verb_field is None or repr(verb) not in verb_field.literals:
            raise SystemExit(
                f"codegen.ir: {f.key}: model {model.name} does not accept verb {verb!r}"
            )
        method = config.method_names.get(verb, verb.replace(":", "_").replace("-", "_"))
        if not method.isidentifier() or method in BUILDER_RESERVED or method.startswith("_"):
            raise SystemExit(f"codegen.ir: {f.key}: bad builder method name {method!r}")
        params = tuple(p for p in model.fields if p.name != "verb")
        # The hook table is keyed by the verb value; a synonym built from another verb's
        # model (room) falls back to the entries of the model's own verb.
        own_verb = model.fields[[p.name for p in model.fields].index("verb")]
        fallback = [lit.strip("'\"") for lit in own_verb.literals]
        hooks: dict[str, Ref] = {}
        for p in params:
            entry = None
            for name in [verb, *fallback]:
                k = hook_payload_key(name, p.wire)
                if k in config.hook_payloads:
                    entry = config.hook_payloads[k]
                    used_keys.add(k)
                    break
            if entry is not None and entry.startswith(f"{config.package}."):
                # A payload no schema describes: a static model (codegen/static).
                module, _, name = entry.removeprefix(f"{config.package}.").rpartition(".")
                hooks[p.wire] = (module, name)
            elif entry is not None:
                cb = by_key.get(entry)
                if cb is None or cb.group != "callbacks":
                    raise SystemExit(f"codegen: hook-payloads: {entry!r} is not a callback schema")
                ref = (f"callbacks.{cb.module}", class_of[cb.key])
                if not _is_callback(ref, models):
                    raise SystemExit(
                        f"codegen: hook-payloads: {entry} ({ref[1]}) is not a JambonzCallback "
                        "model, so HookRef cannot carry it"
                    )
                hooks[p.wire] = ref
            elif p.is_hook:
                hooks[p.wire] = ("_base", "JambonzCallback")
        verbs.append(
            VerbSpec(
                verb=verb,
                method=method,
                schema=f"schemas/{f.path.as_posix()}",
                model=model,
                description=description,
                min_version=f.min_version,
                params=params,
                hook_payloads=hooks,
            )
        )
    unknown = sorted(set(config.hook_payloads) - used_keys)
    if unknown:
        # Not fatal: a schema bump that drops a hook must not need a config edit to build.
        print(
            f"codegen: warning: hook-payloads entries match no verb field: {unknown}",
            file=sys.stderr,
        )
    names = [v.method for v in verbs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f"codegen: two verbs map to the same builder method: {dupes}")
    return sorted(verbs, key=lambda v: v.method), models
