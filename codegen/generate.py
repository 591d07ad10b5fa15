"""The whole pipeline: schemas -> staged copy -> models -> rewrites -> templates -> ruff.

``build(tree)`` writes a complete ``jambonz_types`` package into ``tree``; the CLI then
either swaps it in place of ``src/jambonz_types`` or compares the two byte for byte.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import jinja2

from . import builder as builder_gen
from .config import Config
from .fmt import format_tree
from .models import run_datamodel_codegen
from .postprocess import rewrite_module
from .schemas import GROUPS, SchemaFile, SchemaSet, class_name, stage

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


def templates() -> jinja2.Environment:
    """The jinja2 environment all templates render in (strict, whitespace-controlled)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _classes(text: str) -> tuple[str, ...]:
    tree = ast.parse(text)
    return tuple(n.name for n in tree.body if isinstance(n, ast.ClassDef))


def build(schemas: SchemaSet, config: Config, tree: Path) -> list[GeneratedModule]:
    """Generate the complete package into the empty directory ``tree``."""
    env = templates()
    version = schemas.version
    modules: list[GeneratedModule] = []
    with tempfile.TemporaryDirectory(prefix="jambonz-codegen-") as tmp:
        staged, raw = Path(tmp) / "staged", Path(tmp) / "raw"
        sources = stage(schemas, config, staged)
        run_datamodel_codegen(staged, raw, config.field_names)
        for key, f in sorted(sources.items()):
            generated = raw / f"{key}.py"
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
    # A verb's own file (room.schema.json for "room", the last segment of its $id) carries
    # its minVersion; a name without a file of its own takes the version of the file
    # whose model accepts it.
    own = {
        urllib.parse.unquote(f.schema_id.rstrip("/").rsplit("/", 1)[-1]): f
        for f in schemas.group("verbs")
    }
    accepting = {name: m.source for m in app_verbs for name in m.source.verb_names}
    min_versions = [(name, own.get(name, accepting[name]).min_version) for name in verb_names]
    (tree / "app.py").write_text(
        env.get_template("app.py.jinja").render(
            source="schemas/jambonz-app.schema.json",
            version=version,
            verbs=[{"module": m.module, "cls": m.cls} for m in app_verbs],
            verb_names=verb_names,
            min_versions=min_versions,
            description=str(schemas.app.get("description", "")).split("\n")[0],
        ),
        encoding="utf-8",
    )
    builder_gen.render(env, schemas, config, modules, tree)
    format_tree(tree)
    return modules
