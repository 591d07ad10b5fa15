"""The verb and callback reference of the documentation site, generated from the schemas.

Why generated: the reference must say exactly what the models accept, and the models
come from the schemas; a hand-written page would drift at the next schema bump. One
page per verb (the builder method's Python signature, each key's Python name and wire
name, type, default, allowed values and ``minVersion``, and the schema's examples
rendered as Python) and one per callback payload. The pages are built at docs-build
time (``mkdocs build`` runs :mod:`codegen.mkdocs_hook`, which calls :func:`pages`), so
there is nothing to keep in sync and nothing for ``python -m codegen --check`` to
check; ``python -m codegen docs DIR`` writes them out for reading.

It reads the vendored schemas (descriptions, ``minVersion``, examples) and the
generated ``jambonz_types`` models (Python names, types, defaults), never the runtime.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import types
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from .config import Config, load_config
from .schemas import SchemaFile, SchemaSet, class_name, load_schemas

__all__ = ["example_python", "pages", "type_text"]

_STRICT = re.compile(r"\bStrict(Str|Int|Float|Bool)\b")
_PLAIN = {"Str": "str", "Int": "int", "Float": "float", "Bool": "bool"}


def _plain(text: str) -> str:
    """``StrictStr | None`` -> ``str | None``: what a caller passes."""
    return _STRICT.sub(lambda m: _PLAIN[m.group(1)], text)


def type_text(tp: object) -> str:
    """A readable annotation: ``Optional[Annotated[str, Strict()]]`` -> ``str | None``."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return type_text(args[0])
    if origin is Union or origin is types.UnionType:
        return " | ".join(type_text(a) for a in args)
    if origin is Literal:
        return " | ".join(json.dumps(a) for a in args)
    if tp is type(None):
        return "None"
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_text(a) for a in args)}]"
    name = getattr(tp, "__name__", None)
    return name if isinstance(name, str) else str(tp).replace("typing.", "")


def _allowed(tp: object) -> list[str]:
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return [json.dumps(a) for a in args]
    if origin in (Annotated, Union, types.UnionType, list):
        return [v for a in args for v in _allowed(a)]
    return []


def _model_of(tp: object) -> type[BaseModel] | None:
    """The one model class a field takes (``Synthesizer | None`` -> ``Synthesizer``)."""
    origin, args = get_origin(tp), get_args(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if origin is Annotated:
        return _model_of(args[0])
    if origin is Union or origin is types.UnionType:
        found = [m for m in (_model_of(a) for a in args if a is not type(None)) if m is not None]
        return found[0] if len(found) == 1 else None
    return None


def _item_model(tp: object) -> type[BaseModel] | None:
    """The model of a list field's items (``list[Target]`` -> ``Target``)."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _item_model(args[0])
    if origin is Union or origin is types.UnionType:
        found = [m for m in (_item_model(a) for a in args) if m is not None]
        return found[0] if len(found) == 1 else None
    if origin is list and args:
        return _model_of(args[0])
    return None


def _by_wire(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    out: dict[str, tuple[str, Any]] = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        out[alias or info.alias or name] = (name, info.annotation)
    return out


def _value(value: Any, tp: object, imports: set[tuple[str, str]]) -> str:
    """One wire value as a Python expression, nested objects as their models."""
    model = _model_of(tp)
    if isinstance(value, dict) and model is not None:
        return _call(model.__name__, model, value, imports, model.__module__)
    item = _item_model(tp)
    if isinstance(value, list) and item is not None:
        return "[" + ", ".join(_value(v, item, imports) for v in value) + "]"
    return repr(value)


def _call(
    func: str,
    model: type[BaseModel],
    data: Mapping[str, Any],
    imports: set[tuple[str, str]],
    module: str | None,
) -> str:
    if module is not None:
        imports.add((module, model.__name__))
    fields = _by_wire(model)
    args = []
    for key, value in data.items():
        if key == "verb":
            continue
        if key in fields:
            name, tp = fields[key]
            args.append(f"{name}={_value(value, tp, imports)}")
        else:
            raise _NoPythonForm(key)  # a key the model does not name
    return f"{func}({', '.join(args)})"


class _NoPythonForm(Exception):
    """An example holds a key no model field names: it is shown as wire JSON instead."""


def example_python(
    verb: str, method: str, model: type[BaseModel], example: Mapping[str, Any]
) -> str:
    """A schema example as a runnable builder call (``""`` if it has no Python form)."""
    imports: set[tuple[str, str]] = set()
    try:
        call = _call(f"Verbs().{method}", model, example, imports, None)
    except _NoPythonForm:
        return ""
    lines = ["from jambonz_types import Verbs"]
    for module in sorted({m for m, _ in imports}):
        names = ", ".join(sorted(n for m, n in imports if m == module))
        lines.append(f"from {module} import {names}")
    lines += ["", f"verbs = {call}", f'assert verbs.to_wire()[0]["verb"] == {verb!r}']
    return "\n".join(lines)


def _method_name(verb: str, config: Config) -> str:
    return config.method_names.get(verb, verb.replace(":", "_").replace("-", "_"))


def _signature(func: object) -> str:
    sig = inspect.signature(func)  # type: ignore[arg-type]
    lines = []
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        ann = p.annotation if isinstance(p.annotation, str) else type_text(p.annotation)
        default = "" if p.default is p.empty else f" = {p.default!r}"
        lines.append(f"    {p.name}: {_plain(ann)}{default},")
    return "\n".join(["(", "    *,", *lines, ") -> Verbs"]) if lines else "() -> Verbs"


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _props(f: SchemaFile) -> Mapping[str, Any]:
    props = dict(f.doc.get("properties", {}))
    return props


def _field_rows(model: type[BaseModel], props: Mapping[str, Any]) -> list[str]:
    rows = [
        "| Python name | wire key | type | default | allowed values | since | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        wire = alias or info.alias or name
        if wire == "verb":
            continue
        prop = props.get(wire, {}) if isinstance(props.get(wire), dict) else {}
        default = "required" if info.is_required() else repr(info.default)
        allowed = ", ".join(f"`{a}`" for a in _allowed(info.annotation))
        since = prop.get("minVersion", "")
        description = _md(info.description or prop.get("description", ""))
        rows.append(
            f"| `{name}` | `{wire}` | `{_md(type_text(info.annotation))}` | `{_md(default)}` "
            f"| {allowed} | {since} | {description} |"
        )
    return rows


def _verb_page(
    f: SchemaFile, verb: str, model: type[BaseModel], config: Config, version: str
) -> str:
    from jambonz_types import Verbs

    method = _method_name(verb, config)
    since = f.min_version or "not declared"
    out = [
        f"# `{verb}`",
        "",
        _md(f.doc.get("description", "")),
        "",
        f"* minimum jambonz version: **{since}**",
        f"* model: `{model.__module__}.{model.__name__}`",
        f"* builder: `Verbs().{method}(...)`",
        f"* schema: `schemas/{f.path.as_posix()}` (@jambonz/schema {version})",
        "",
        "## Python signature",
        "",
        "```text",
        f"Verbs().{method}{_signature(getattr(Verbs, method))}",
        "```",
        "",
        "## Keys",
        "",
        *_field_rows(model, _props(f)),
        "",
    ]
    examples = [e for e in f.doc.get("examples", []) if isinstance(e, dict)]
    rendered = [example_python(verb, method, model, e) for e in examples]
    if rendered:
        out += ["## Examples", ""]
        for example, code in zip(examples, rendered, strict=True):
            if code:
                out += ["```python", code, "```", ""]
            else:
                out += ["Wire form (no exact Python form):", "", "```json"]
                out += [json.dumps(example, indent=2), "```", ""]
    return "\n".join(out)


def _callback_page(f: SchemaFile, model: type[BaseModel], version: str) -> str:
    accessors = [
        name
        for name, value in inspect.getmembers(model)
        if isinstance(value, property)
        and not name.startswith("_")
        and name not in ("model_extra", "model_fields_set")
    ]
    out = [
        f"# `{model.__name__}`",
        "",
        _md(f.doc.get("description", "")),
        "",
        f"* model: `{model.__module__}.{model.__name__}`",
        f"* parse: `{model.__name__}.from_wire(payload)`",
        f"* schema: `schemas/{f.path.as_posix()}` (@jambonz/schema {version})",
        "",
        "## Fields",
        "",
        *_field_rows(model, _props(f)),
        "",
    ]
    if accessors:
        out += ["## Typed accessors", ""]
        for name in accessors:
            doc = inspect.getdoc(getattr(model, name)) or ""
            out.append(f"* `{name}`: {_md(doc.split(chr(10) + chr(10))[0])}")
        out.append("")
    return "\n".join(out)


def _class(f: SchemaFile, config: Config) -> type[BaseModel] | None:
    module = importlib.import_module(f"{config.package}.{f.group}.{f.module}")
    found = getattr(module, class_name(f, config), None)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def pages(config: Config | None = None) -> dict[str, str]:
    """``reference/verbs/say.md`` -> markdown, for every verb and callback, plus indexes."""
    config = config or load_config()
    schemas: SchemaSet = load_schemas(config)
    out: dict[str, str] = {}
    verb_links, callback_links = [], []
    for f in schemas.app_verb_files():
        model = _class(f, config)
        if model is None:
            continue
        for verb in f.verb_names:
            slug = verb.replace(":", "-")
            out[f"reference/verbs/{slug}.md"] = _verb_page(f, verb, model, config, schemas.version)
            summary = _md(str(f.doc.get("description", "")).split(". ")[0])
            verb_links.append(f"| [`{verb}`]({slug}.md) | {f.min_version or ''} | {summary} |")
    for f in schemas.group("callbacks"):
        model = _class(f, config)
        if model is None:
            continue
        out[f"reference/callbacks/{f.module}.md"] = _callback_page(f, model, schemas.version)
        callback_links.append(
            f"| [`{model.__name__}`]({f.module}.md) | {_md(str(f.doc.get('description', '')).split('. ')[0])} |"
        )
    out["reference/verbs/index.md"] = "\n".join(
        [
            "# Verbs",
            "",
            f"Every verb of @jambonz/schema {schemas.version}, generated from the schemas "
            "(`codegen/docs.py`) when the site is built.",
            "",
            "| verb | since | what it does |",
            "|---|---|---|",
            *verb_links,
            "",
        ]
    )
    out["reference/callbacks/index.md"] = "\n".join(
        [
            "# Callbacks",
            "",
            "The payload models of the hooks jambonz calls, generated from the schemas.",
            "",
            "| model | what it carries |",
            "|---|---|",
            *callback_links,
            "",
        ]
    )
    return out


def nav(generated: Iterable[str]) -> list[dict[str, str]]:
    """Nav entries (``{"say": "reference/verbs/say.md"}``) of generated pages, in order."""
    return [{path.rsplit("/", 1)[1].removesuffix(".md"): path} for path in generated]
