"""Render the package ``__init__``, the typed verb builder, the hook table and the API manifest.

The builder's methods are rendered from the IR (:mod:`codegen.ir`), which reads the
field annotations back from the generated model modules: each parameter is typed with
the very text of its model field, so the two cannot disagree. Names an annotation uses
are imported under ``TYPE_CHECKING`` only (the builder never evaluates them), aliased
when two modules define the same name (``Auth`` exists in several).
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from .config import Config
from .ir import ParamSpec, Ref, VerbSpec, build_ir
from .report import SURFACE_FILE, api_surface, dump_surface
from .schemas import SchemaSet, pascal
from .typeddicts import load_twins, render_twins
from .widen import widen_verbs, write_model_inits

if TYPE_CHECKING:
    from .generate import GeneratedModule

__all__ = ["PACKAGE_EXPORTS", "render"]

PACKAGE_EXPORTS: tuple[tuple[str, str], ...] = (
    ("FlowChain", "flow"),
    ("FlowVerbs", "flow"),
    ("HOOK_PAYLOADS", "hooks"),
    ("HookRef", "_hooks"),
    ("JambonzApp", "app"),
    ("JambonzCallback", "_base"),
    ("JambonzError", "_errors"),
    ("JambonzModel", "_base"),
    ("JambonzVersionError", "_versions"),
    ("ModelValidationError", "_errors"),
    ("PROPERTY_MIN_VERSIONS", "versions"),
    ("VERB_MIN_VERSIONS", "versions"),
    ("VERB_NAMES", "app"),
    ("Verb", "app"),
    ("VerbValidationError", "_errors"),
    ("Verbs", "builder"),
    ("check_jambonz_version", "_versions"),
    ("new_since", "_versions"),
    ("parse_version", "_versions"),
)

_HOOKREF: Ref = ("_hooks", "HookRef")
_RESERVED_LOCALS = frozenset(
    {
        "Self",
        "TYPE_CHECKING",
        "VerbsBase",
        "Verbs",
        "annotations",
        "FlowChain",
        "FlowChainBase",
        "FlowRunner",
        "FlowStep",
        "FlowVerbs",
        "FlowVerbsBase",
        "R",
        "TypeVar",
    }
)
FLOW_HOOK = "actionHook"
"""The hook a call flow awaits: the one jambonz calls when the verb ends and whose ack
replaces the rest of the app (``performAction`` in the feature server's tasks)."""
FLOW_RESERVED = frozenset({"session", "info", "log", "ended", "steps", "payload", "runner"})
"""Attribute names of the runtime's ``CallFlow`` and of ``FlowChain``: no verb method may
take one (the runtime's call flow inherits every flow verb method)."""
_WRAP = 84


def _import_line(source: str, name: str, local: str) -> str:
    module = source[1:] if source.startswith("@") else f".{source}"
    return f"from {module} import {name}" + (f" as {local}" if local != name else "")


class _Names:
    """Chooses one local name per imported (module, name) pair."""

    def __init__(self, refs: set[Ref]) -> None:
        by_name: dict[str, set[Ref]] = {}
        for ref in refs:
            by_name.setdefault(ref[1], set()).add(ref)
        self.local: dict[Ref, str] = {}
        for name, group in by_name.items():
            for ref in group:
                clash = len(group) > 1 or name in _RESERVED_LOCALS
                if clash and not ref[0].startswith("@"):
                    self.local[ref] = pascal(ref[0].rsplit(".", 1)[-1]) + name
                else:
                    self.local[ref] = name
        if len(set(self.local.values())) != len(self.local):
            raise SystemExit("codegen.builder: could not give every imported name its own alias")

    def imports(self) -> list[str]:
        return sorted(
            _import_line(src, name, self.local[(src, name)])
            for src, name in self.local
            if src != "@builtins"
        )

    def rewrite(self, annotation: str, refs: Mapping[str, Ref]) -> str:
        tree = ast.parse(annotation, mode="eval")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in refs:
                node.id = self.local[refs[node.id]]
        return ast.unparse(tree)


def _escape_doc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _wrap(text: str, indent: str = "", first: str = "") -> list[str]:
    out: list[str] = []
    for i, para in enumerate(text.splitlines() or [""]):
        lead = first if i == 0 else indent
        wrapped = textwrap.wrap(
            para, _WRAP, initial_indent=lead, subsequent_indent=indent, break_on_hyphens=False
        )
        out.extend(wrapped or [lead.rstrip()])
    return out


_BUILDER_RETURNS = ("Returns:", "    This builder, with the verb appended.")


def _method_doc(
    v: VerbSpec,
    names: _Names,
    hook_locals: Mapping[str, str],
    returns: Sequence[str] = _BUILDER_RETURNS,
    skip: frozenset[str] = frozenset(),
) -> str:
    lines = _wrap(v.description or f"The ``{v.verb}`` verb.")
    lines.append("")
    if v.min_version:
        lines += [f"Requires jambonz >= {v.min_version}.", ""]
    lines.append(f"Builds ``{v.model.name}`` with ``verb={v.verb!r}`` (from ``{v.schema}``).")
    params = [p for p in v.params if p.wire not in skip]
    if params:
        lines += ["", "Args:"]
        for p in params:
            desc = p.description or "(no description in the schema)"
            if p.wire in hook_locals:
                desc += f" Takes a ``HookRef[{hook_locals[p.wire]}]`` too."
            lines += _wrap(desc, indent=" " * 8, first=f"    {p.name}: ")
    lines += [
        "",
        *returns,
        "",
        "Raises:",
        "    VerbValidationError: the arguments break a rule of the verb's schema.",
    ]
    body = "\n".join(lines)
    return _escape_doc(body).replace("\n", "\n        ").replace("        \n", "\n")


def _param_annotation(p: ParamSpec, names: _Names, hook: Ref | None) -> str:
    text = names.rewrite(p.annotation, dict(p.refs))
    members = [text]
    if hook is not None:
        ref_text = f"{names.local[_HOOKREF]}[{names.local[hook]}]"
        # HookRef goes before ``None`` so the annotation still ends in ``| None``.
        if p.accepts_none and text.endswith(" | None"):
            members = [text.removesuffix(" | None"), ref_text, "None"]
        else:
            members = [text, ref_text]
    if not p.required and not p.accepts_none:
        members.append("None")
    return " | ".join(members)


def _render_builder(env: jinja2.Environment, schemas: SchemaSet, verbs: Sequence[VerbSpec]) -> str:
    refs: set[Ref] = {("@typing_extensions", "Self")}
    for v in verbs:
        for p in v.params:
            refs.update(ref for _, ref in p.refs)
        if v.hook_payloads:
            refs.add(_HOOKREF)
            refs.update(v.hook_payloads.values())
    names = _Names(refs)
    methods = []
    for v in verbs:
        # the generated body collects the arguments in a local named ``given``
        if any(p.name in ("given", "self") for p in v.params):
            raise ValueError(f"verb {v.verb}: a parameter named 'given' or 'self' clashes")
        hook_locals = {wire: names.local[ref] for wire, ref in v.hook_payloads.items()}
        methods.append(
            {
                "name": v.method,
                "module": v.model.module,
                "cls": v.model.name,
                "verb": v.verb,
                "doc": _method_doc(v, names, hook_locals),
                "params": [
                    {
                        "name": p.name,
                        "wire": p.wire,
                        "required": p.required,
                        "annotation": _param_annotation(p, names, v.hook_payloads.get(p.wire)),
                    }
                    for p in v.params
                ],
            }
        )
    return env.get_template("builder.py.jinja").render(
        source="schemas/verbs/",
        version=schemas.version,
        type_imports=names.imports(),
        methods=methods,
    )


def _flow_result(v: VerbSpec) -> Ref | None:
    """The callback model awaiting a chain ending in ``v`` yields (``None``: nothing).

    A verb has one when it has an *optional* ``actionHook``: the runtime fills it in. A
    required one (``redirect``) names where the call goes, so the app keeps it.
    """
    hook = next((p for p in v.params if p.wire == FLOW_HOOK), None)
    if hook is None or hook.required:
        return None
    return v.hook_payloads.get(FLOW_HOOK, ("_base", "JambonzCallback"))


def _render_flow(env: jinja2.Environment, schemas: SchemaSet, verbs: Sequence[VerbSpec]) -> str:
    refs: set[Ref] = set()
    for v in verbs:
        if v.method in FLOW_RESERVED:
            raise SystemExit(f"codegen.builder: verb method {v.method!r} clashes with CallFlow")
        result = _flow_result(v)
        for p in v.params:
            if result is not None and p.wire == FLOW_HOOK:
                continue
            refs.update(ref for _, ref in p.refs)
            if p.wire in v.hook_payloads:
                refs.update((_HOOKREF, v.hook_payloads[p.wire]))
        if result is not None:
            refs.add(result)
    names = _Names(refs)
    methods = []
    for v in verbs:
        result = _flow_result(v)
        skip = frozenset({FLOW_HOOK}) if result is not None else frozenset()
        hook_locals = {
            wire: names.local[ref] for wire, ref in v.hook_payloads.items() if wire not in skip
        }
        if result is not None:
            local = names.local[result]
            returns = (
                "Returns:",
                *_wrap(
                    "A new chain ending in this verb. ``await`` it to send the chain; it "
                    f"yields the ``{local}`` jambonz sends to this verb's ``{FLOW_HOOK}`` "
                    "when the verb ends.",
                    indent="    ",
                    first="    ",
                ),
            )
        else:
            returns = (
                "Returns:",
                *_wrap(
                    "A new chain ending in this verb. ``await`` it to send the chain; it "
                    "yields ``None`` once the verbs are sent.",
                    indent="    ",
                    first="    ",
                ),
            )
        methods.append(
            {
                "name": v.method,
                "module": v.model.module,
                "cls": v.model.name,
                "verb": v.verb,
                "doc": _method_doc(v, names, hook_locals, returns, skip),
                "result": None if result is None else names.local[result],
                "result_import": None
                if result is None
                else _import_line(*result, names.local[result]).removeprefix("from "),
                "hook": FLOW_HOOK,
                "params": [
                    {
                        "name": p.name,
                        "wire": p.wire,
                        "required": p.required,
                        "annotation": _param_annotation(p, names, v.hook_payloads.get(p.wire)),
                    }
                    for p in v.params
                    if p.wire not in skip
                ],
            }
        )
    return env.get_template("flow.py.jinja").render(
        source="schemas/verbs/ and [tool.jambonz-codegen.hook-payloads]",
        version=schemas.version,
        type_imports=names.imports(),
        methods=methods,
    )


def render(
    env: jinja2.Environment,
    schemas: SchemaSet,
    config: Config,
    modules: Sequence[GeneratedModule],
    tree: Path,
) -> None:
    """Write ``__init__.py``, ``builder.py``, ``flow.py``, ``hooks.py`` and the API manifest."""
    (tree / "__init__.py").write_text(
        env.get_template("package_init.py.jinja").render(
            source="schemas/", version=schemas.version, exports=sorted(PACKAGE_EXPORTS)
        ),
        encoding="utf-8",
    )
    class_of = {m.source.key: m.cls for m in modules}
    verbs, models = build_ir(schemas, config, tree, class_of)
    twins = load_twins(schemas, config, models, class_of)
    render_twins(env, schemas, config, twins, tree)
    write_model_inits(tree, config.package, twins)
    verbs = widen_verbs(verbs, twins)
    (tree / "builder.py").write_text(_render_builder(env, schemas, verbs), encoding="utf-8")
    (tree / "flow.py").write_text(_render_flow(env, schemas, verbs), encoding="utf-8")

    entries = sorted((v.verb, wire, *ref) for v in verbs for wire, ref in v.hook_payloads.items())
    (tree / "hooks.py").write_text(
        env.get_template("hooks.py.jinja").render(
            source="schemas/verbs/ and [tool.jambonz-codegen.hook-payloads]",
            version=schemas.version,
            entries=entries,
        ),
        encoding="utf-8",
    )
    surface = api_surface(schemas.version, verbs, models)
    (tree / SURFACE_FILE).write_text(dump_surface(surface), encoding="utf-8")
