"""The ``minVersion`` tables: the oldest jambonz release of each verb and verb property.

The schemas mark a verb (and, as they grow, a property) with a custom ``minVersion``
keyword that the model generator drops. These tables carry it into the generated
``jambonz_types.versions`` module, a plain-data module (no pydantic), so that checking
verbs against a declared jambonz version (``jambonz_types._versions``) costs no model
imports.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2

from .schemas import SchemaFile, SchemaSet

__all__ = ["property_min_versions", "render_versions", "verb_min_versions"]


def _verb_value(f: SchemaFile) -> str:
    return urllib.parse.unquote(f.schema_id.rstrip("/").rsplit("/", 1)[-1])


def verb_min_versions(schemas: SchemaSet) -> list[tuple[str, str | None]]:
    """``(verb name, minVersion)`` for every name the app union accepts, sorted.

    A verb's own file (room.schema.json for "room", the last segment of its ``$id``)
    carries its minVersion; a name without a file of its own takes the version of the
    file whose model accepts it.
    """
    own = {_verb_value(f): f for f in schemas.group("verbs")}
    accepting = {name: f for f in schemas.app_verb_files() for name in f.verb_names}
    return [(name, own.get(name, accepting[name]).min_version) for name in sorted(accepting)]


def _own_properties(f: SchemaFile, ids: Mapping[str, SchemaFile]) -> Iterator[tuple[str, Any]]:
    """A verb file's properties, then those of the schemas it extends (``allOf`` + ``$ref``)."""
    yield from (f.doc.get("properties") or {}).items()
    for part in f.doc.get("allOf") or ():
        ref = part.get("$ref") if isinstance(part, dict) else None
        if isinstance(ref, str) and not ref.startswith("#"):
            base = ids.get(urllib.parse.urljoin(f.schema_id, ref.partition("#")[0]))
            if base is not None:
                yield from (base.doc.get("properties") or {}).items()


def property_min_versions(schemas: SchemaSet) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(verb name, [(wire key, minVersion), ...])`` for keys that declare their own."""
    ids = schemas.by_id()
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for f in schemas.app_verb_files():
        found: dict[str, str] = {}
        for key, prop in _own_properties(f, ids):
            if isinstance(prop, dict) and prop.get("minVersion") is not None:
                found.setdefault(key, str(prop["minVersion"]))
        if found:
            out.extend((name, sorted(found.items())) for name in f.verb_names)
    return sorted(out)


def render_versions(env: jinja2.Environment, schemas: SchemaSet, tree: Path) -> None:
    """Write ``versions.py`` into the generated package."""
    (tree / "versions.py").write_text(
        env.get_template("versions.py.jinja").render(
            source="the minVersion keywords of schemas/verbs/",
            version=schemas.version,
            verbs=verb_min_versions(schemas),
            properties=property_min_versions(schemas),
        ),
        encoding="utf-8",
    )
