"""Every parameter that takes a model takes its TypedDict twin too: builder and models.

Two consumers of the twins (:mod:`codegen.typeddicts`):

* :func:`widen_verbs` rewrites the builder's (and the call-flow chains') parameter
  annotations: ``X`` -> ``X | XDict`` wherever ``X`` is a model, ``list[X]`` ->
  ``Sequence[X | XDict]``, and a ``nested-objects`` property -> its ``Nested<Model>Dict``.
  A parameter still typed ``dict[str, JsonValue]`` (the schema gives no keys) says so
  in its docstring.
* :func:`write_model_inits` gives each generated model class the same widened
  signature as an ``__init__`` under ``if TYPE_CHECKING:``, so ``Dial(target=[{...}])``
  is checked like ``Verbs().dial(target=[{...}])``. The fields keep their types.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from .ir import ModelSpec, ParamSpec, Ref, VerbSpec
from .typeddicts import FREE_FORM, Scope, Twins, members, nested_ref, twin_ref, union_of

__all__ = ["FREE_FORM_NOTE", "widen_verbs", "write_model_inits"]


_SEQUENCE: Ref = ("@collections.abc", "Sequence")


def _widen_expr(node: ast.expr, refs: dict[str, Ref], twins: Twins) -> tuple[str, bool]:
    """``X`` -> ``X | XDict`` wherever ``X`` is a model; ``list[...]`` of those -> ``Sequence``
    (a ``list[X]`` argument must still fit, and ``list`` is invariant)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [_widen_expr(m, refs, twins) for m in members(node)]
        return union_of([t for t, _ in parts]), any(w for _, w in parts)
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
    parts = members(ast.parse(p.annotation, mode="eval").body)
    if target is not None:
        out: list[str] = []
        for m in parts:
            text = ast.unparse(m)
            if isinstance(m, ast.Name) and refs[m.id][0].startswith("_"):
                # A static nested type (``_nested.NestedSay``) takes the model as well.
                refs[target[1]] = target
                out.append(target[1])
            elif text != FREE_FORM:
                out.append(text)
        nested = nested_ref(target)
        refs[nested[1]] = nested
        none = [x for x in out if x == "None"]
        annotation = union_of([*(x for x in out if x != "None"), nested[1], *none])
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
    if FREE_FORM not in p.annotation:
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
    scope = Scope(module, existing)

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
