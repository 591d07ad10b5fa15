"""The whole pipeline: schemas -> staged copy -> models -> rewrites -> templates -> ruff.

``build(tree)`` writes a complete ``jambonz_types`` package into ``tree``; the CLI then
either swaps it in place of ``src/jambonz_types`` or compares the two byte for byte.
"""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jinja2

from . import builder as builder_gen
from .config import Config
from .fmt import format_tree
from .models import run_datamodel_codegen
from .openapi.generate import build_api_models
from .postprocess import rewrite_module
from .schemas import GROUPS, SchemaFile, SchemaSet, class_name, stage
from .versions import render_versions

__all__ = ["GeneratedModule", "build", "templates"]

STATIC = Path(__file__).parent / "static"
GROUP_DOCS = {
    "verbs": "Models of the jambonz verbs, one module per verb schema.",
    "components": "Models of the objects verbs share (synthesizer, recognizer, hooks, ...).",
    "callbacks": "Models of the payloads jambonz sends to an app's hooks.",
    "commands": "Models of the commands an app sends over the session websocket.",
}


@dataclass(frozen=True)
class GeneratedModule:
    """A generated model module and the source schema it came from."""

    source: SchemaFile
    cls: str
    """Name of the module's top-level model."""
    classes: tuple[str, ...]
    """Every class the module defines, in file order."""

    @property
    def group(self) -> str:
        return self.source.group

    @property
    def module(self) -> str:
        return self.source.module


def templates(folder: Path | None = None) -> jinja2.Environment:
    """The jinja2 environment all templates render in (strict, whitespace-controlled);
    ``folder`` defaults to codegen/templates."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder or Path(__file__).parent / "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _classes(text: str) -> tuple[str, ...]:
    tree = ast.parse(text)
    return tuple(n.name for n in tree.body if isinstance(n, ast.ClassDef))


def _titles(node: object) -> set[str]:
    if isinstance(node, dict):
        own = {node["title"]} if isinstance(node.get("title"), str) else set()
        return own.union(*(_titles(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_titles(v) for v in node))
    return set()


def _check_names(text: str, staged: Path, key: str) -> None:
    """Fail when the generator named a class itself (a number, or a property name).

    Staging titles every class-forming object (codegen/naming.py); a class whose name is
    no staged title would be a name that can change under users' imports.
    """
    chosen = _titles(json.loads(staged.read_text(encoding="utf-8")))
    invented = sorted(set(_classes(text)) - chosen)
    if invented:
        raise SystemExit(
            f"codegen: {key}: the generator invented class names {invented}; title the "
            "objects in [tool.jambonz-codegen.titles] or extend codegen/naming.py"
        )


def build(schemas: SchemaSet, config: Config, tree: Path) -> list[GeneratedModule]:
    """Generate the complete package into the empty directory ``tree``."""
    env = templates()
    version = schemas.version
    modules: list[GeneratedModule] = []
    with tempfile.TemporaryDirectory(prefix="jambonz-codegen-") as tmp:
        staged, raw = Path(tmp) / "staged", Path(tmp) / "raw"
        sources = stage(schemas, config, staged)
        run_datamodel_codegen(staged, raw, config.field_names, config.cache_dir)
        for key, f in sorted(sources.items()):
            generated = raw / f"{key}.py"
            # Checked on the generator's own output: classes codegen adds later are ours.
            _check_names(generated.read_text(encoding="utf-8"), staged / f"{key}.json", key)
            text = rewrite_module(
                generated.read_text(encoding="utf-8"),
                f"schemas/{f.path.as_posix()}",
                version,
                config.mixins,
            )
            out = tree / f"{key}.py"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            modules.append(GeneratedModule(f, class_name(f, config), _classes(text)))

    for path in sorted(STATIC.iterdir()):
        if path.is_file():
            shutil.copyfile(path, tree / path.name)

    for group in GROUPS:
        # A subpackage exports each module's top-level model, and the inline objects
        # the config names explicitly (their names are chosen, so they are stable). A
        # schema whose root is a plain union (actionHook) has no top-level model.
        named = set(config.titles.values())
        exports = sorted(
            (name, m.module)
            for m in modules
            if m.group == group
            for name in m.classes
            if name == m.cls or name in named
        )
        (tree / group / "__init__.py").write_text(
            env.get_template("subpackage_init.py.jinja").render(
                source=f"schemas/{group}/",
                version=version,
                doc=GROUP_DOCS[group],
                exports=exports,
            ),
            encoding="utf-8",
        )

    by_id = {m.source.schema_id: m for m in modules}
    app_verbs = [by_id[f.schema_id] for f in schemas.app_verb_files()]
    verb_names = sorted(name for m in app_verbs for name in m.source.verb_names)
    (tree / "app.py").write_text(
        env.get_template("app.py.jinja").render(
            source="schemas/jambonz-app.schema.json",
            version=version,
            verbs=[{"module": m.module, "cls": m.cls} for m in app_verbs],
            verb_names=verb_names,
            description=str(schemas.app.get("description", "")).split("\n")[0],
        ),
        encoding="utf-8",
    )
    render_versions(env, schemas, tree)
    builder_gen.render(env, schemas, config, modules, tree)
    build_api_models(tree)  # jambonz_types.api: the REST API models (codegen/openapi/)
    format_tree(tree)
    return modules
