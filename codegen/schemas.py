"""Load the vendored schemas and stage a normalized copy for datamodel-code-generator.

The published schemas reference each other by ``$id`` URL (``../components/synthesizer``,
``verbs/sip:decline``) and five file names differ from their ``$id``. The generator only
follows file paths, so staging rewrites every external ``$ref`` through an ``$id -> file``
map, drops ``$id``, renames files to Python module names and sets the titles that become
class names. The vendored files themselves are never edited.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .rules import extract_rules

__all__ = ["GROUPS", "SchemaFile", "SchemaSet", "load_schemas", "snake", "stage"]

GROUPS = ("verbs", "components", "callbacks", "commands")
APP_SCHEMA = "jambonz-app.schema.json"
_CALLBACK_BASE = "jambonz_types._base.JambonzCallback"


def snake(name: str) -> str:
    """``recognizer-assemblyAiOptions`` -> ``recognizer_assembly_ai_options``."""
    name = re.sub(r"[^0-9A-Za-z]+", "_", name)
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return name.strip("_").lower()


def pascal(name: str) -> str:
    """``tts-streaming-event`` -> ``TtsStreamingEvent``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name) if part)


@dataclass(frozen=True)
class SchemaFile:
    """One vendored schema file and the Python names derived from it."""

    path: Path
    """Path relative to the schemas directory, e.g. ``verbs/sip-decline.schema.json``."""
    doc: Mapping[str, Any]

    @property
    def group(self) -> str:
        return self.path.parts[0]

    @property
    def stem(self) -> str:
        return self.path.name.removesuffix(".schema.json")

    @property
    def key(self) -> str:
        """``verbs/sip-decline``: the name used in config tables."""
        return f"{self.group}/{self.stem}"

    @property
    def module(self) -> str:
        """Module name inside its subpackage, e.g. ``sip_decline``."""
        return snake(self.stem)

    @property
    def schema_id(self) -> str:
        return str(self.doc["$id"])

    @property
    def min_version(self) -> str | None:
        value = self.doc.get("minVersion")
        return str(value) if value is not None else None

    @property
    def verb_names(self) -> tuple[str, ...]:
        """The ``verb`` values a verb schema accepts (``conference`` accepts two)."""
        prop = self.doc.get("properties", {}).get("verb", {})
        if "const" in prop:
            return (str(prop["const"]),)
        return tuple(str(v) for v in prop.get("enum", ()))


@dataclass(frozen=True)
class SchemaSet:
    """All vendored schemas, sorted by path, plus the app root schema."""

    root: Path
    files: tuple[SchemaFile, ...]
    app: Mapping[str, Any]
    version: str

    def by_id(self) -> dict[str, SchemaFile]:
        return {f.schema_id: f for f in self.files}

    def group(self, name: str) -> Iterator[SchemaFile]:
        return (f for f in self.files if f.group == name)

    def app_verb_files(self) -> list[SchemaFile]:
        """Verb schemas listed in the app root's ``$defs/Verb`` union, in schema order."""
        ids = self.by_id()
        base = str(self.app["$id"])
        out = []
        for ref in self.app["$defs"]["Verb"]["oneOf"]:
            out.append(ids[urllib.parse.urljoin(base, ref["$ref"])])
        return out


def _read_version(root: Path) -> str:
    source = root / "SOURCE.toml"
    match = re.search(r'^version\s*=\s*"([^"]+)"', source.read_text(encoding="utf-8"), re.M)
    if not match:
        raise SystemExit(f'{source}: no version = "..." line')
    return match.group(1)


def load_schemas(config: Config, version: str | None = None) -> SchemaSet:
    """Read every ``*.schema.json`` of the four groups, sorted, plus the app schema.

    The version comes from ``SOURCE.toml`` unless given (a set that was never vendored,
    such as a schema checkout being compared, has none).
    """
    root = config.schemas_dir
    files = []
    for group in GROUPS:
        for path in sorted((root / group).glob("*.schema.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            files.append(SchemaFile(path.relative_to(root), doc))
    app = json.loads((root / APP_SCHEMA).read_text(encoding="utf-8"))
    if version is None:
        version = _read_version(root)
    return SchemaSet(root=root, files=tuple(files), app=app, version=version)


def class_name(f: SchemaFile, config: Config) -> str:
    """The Python class name of a schema file's top-level model."""
    if f.key in config.class_names:
        return config.class_names[f.key]
    if f.group == "callbacks":
        return pascal(f.stem) + "Callback"
    if f.group == "commands":
        return pascal(f.stem) + "Command"
    return pascal(str(f.doc.get("title", f.stem)).replace(" ", "_"))


def _rewrite_refs(node: Any, base: str, here: SchemaFile, ids: Mapping[str, SchemaFile]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                url, _, fragment = value.partition("#")
                target = ids[urllib.parse.urljoin(base, url)]
                if len(here.path.parts) == 1:  # the app root sits above the groups
                    rel = f"{target.group}/{target.module}.json"
                elif target.group == here.group:
                    rel = f"{target.module}.json"
                else:
                    rel = f"../{target.group}/{target.module}.json"
                out[key] = rel + (f"#{fragment}" if fragment else "")
            else:
                out[key] = _rewrite_refs(value, base, here, ids)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, base, here, ids) for item in node]
    return node


def _resolve_pointer(doc: Any, pointer: str) -> dict[str, Any]:
    node = doc
    for part in pointer.strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    if not isinstance(node, dict):
        raise SystemExit(f"title override {pointer!r} does not point at a schema object")
    return node


def _mark_callback_objects(node: Any) -> None:
    """Give every object schema of a callback file the tolerant callback base class.

    ``additionalProperties: false`` is dropped there too: payloads come from the server,
    which adds fields over time, and a payload must never be lost to that (this is one of
    the deliberate differences listed in tests/types/test_differential.py).
    """
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            node["customBasePath"] = _CALLBACK_BASE
            if node.get("additionalProperties") is False:
                del node["additionalProperties"]
        for value in node.values():
            _mark_callback_objects(value)
    elif isinstance(node, list):
        for item in node:
            _mark_callback_objects(item)


_APP_FILE = SchemaFile(Path("app.schema.json"), {"$id": "app"})


def _resolver(f: SchemaFile, ids: Mapping[str, SchemaFile]) -> Callable[[str], Any]:
    """``$ref`` (as written in ``f``) -> the vendored schema object it points at."""

    def resolve(ref: str) -> Any:
        url, _, fragment = ref.partition("#")
        doc = ids[urllib.parse.urljoin(f.schema_id, url)].doc if url else f.doc
        return _resolve_pointer(doc, fragment) if fragment.strip("/") else doc

    return resolve


def _absolute_refs(node: Any, base: str) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                urllib.parse.urljoin(base, v)
                if k == "$ref" and isinstance(v, str) and not v.startswith("#")
                else _absolute_refs(v, base)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(item, base) for item in node]
    return node


def _conjoin(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """Both object schemas at once: the union of their properties and required keys.

    Exact when no property is declared by both (true of every clash in the schemas);
    where one is, the redeclaration wins and the differential tests would show a gap.
    """
    out = {**base, **own}
    if "properties" in base or "properties" in own:
        out["properties"] = {**base.get("properties", {}), **own.get("properties", {})}
    required = [*base.get("required", []), *own.get("required", [])]
    if required:
        out["required"] = list(dict.fromkeys(required))
    return out


def _flatten_conflicting_allof(
    doc: dict[str, Any], here: SchemaFile, ids: Mapping[str, SchemaFile]
) -> dict[str, Any]:
    """Inline an ``allOf`` base schema whose properties the schema itself redefines.

    ``gptlive_s2s`` and ``elevenlabs_s2s`` extend ``llm-base`` and redeclare ``auth`` /
    ``llmOptions`` with narrower object types. As a Python subclass that is an
    incompatible override (mypy rejects it: attributes are invariant). Under ``allOf``
    an instance must satisfy both declarations, so the base's properties are copied in
    and each clashing object property becomes the conjunction of both declarations
    (:func:`_conjoin`). The differential and conformance tests check the result against
    jsonschema and ajv.
    """
    own = doc.get("properties", {})
    parts = doc.get("allOf", [])
    keep = []
    for part in parts:
        ref = part.get("$ref") if isinstance(part, dict) and set(part) == {"$ref"} else None
        if ref is None or ref.startswith("#"):
            keep.append(part)
            continue
        base = ids[urllib.parse.urljoin(here.schema_id, ref)]
        base_props = base.doc.get("properties", {})
        # Only object-valued redeclarations become incompatible Python overrides; a
        # narrowed scalar (``vendor: const "openai"``) is a subtype and keeps the class
        # hierarchy.
        clashes = [
            name
            for name in set(base_props) & set(own)
            if own[name].get("type") == "object" or "properties" in own[name]
        ]
        if not clashes or "allOf" in base.doc or "$defs" in base.doc:
            keep.append(part)
            continue
        merged = {**_absolute_refs(copy.deepcopy(dict(base_props)), base.schema_id)}
        for name, prop in own.items():
            merged[name] = _conjoin(merged[name], prop) if name in clashes else prop
        doc["properties"] = merged
        own = merged
        required = list(dict.fromkeys([*base.doc.get("required", []), *doc.get("required", [])]))
        if required:
            doc["required"] = required
        for key in ("additionalProperties",):
            if key in base.doc and key not in doc:
                doc[key] = base.doc[key]
    if parts:
        if keep:
            doc["allOf"] = keep
        else:
            doc.pop("allOf")
    return doc


def stage(schemas: SchemaSet, config: Config, dest: Path) -> dict[str, SchemaFile]:
    """Write the normalized copy under ``dest``; return ``group/module`` -> source file."""
    from .naming import assign_titles  # naming builds on this module's pascal()

    ids = schemas.by_id()
    modules: dict[str, SchemaFile] = {}
    for f in schemas.files:
        doc = extract_rules(copy.deepcopy(dict(f.doc)), f.key, _resolver(f, ids))
        doc = _flatten_conflicting_allof(doc, f, ids)
        doc = _rewrite_refs(doc, f.schema_id, f, ids)
        doc.pop("$id", None)
        doc["title"] = class_name(f, config)
        for pointer, title in sorted(config.titles.items()):
            key, _, path = pointer.partition("#")
            if key == f.key:
                _resolve_pointer(doc, path)["title"] = title
        for pointer, type_path in sorted(config.field_types.items()):
            key, _, path = pointer.partition("#")
            if key == f.key:
                node = _resolve_pointer(doc, path)
                kept = {k: node[k] for k in ("description",) if k in node}
                node.clear()
                node.update(kept, customTypePath=type_path)
        assign_titles(doc, f.key)
        if f.group == "callbacks":
            _mark_callback_objects(doc)
        out = dest / f.group / f"{f.module}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        modules[f"{f.group}/{f.module}"] = f
    # The app root is staged too, with an explicit discriminator mapping (verb value ->
    # file). Without it the generator types ``verb`` as optional and invents the tag of
    # ``conference`` (whose ``verb`` is an enum) from its file name. Its own module is
    # not used: app.py is rendered from a template.
    app = _rewrite_refs(dict(schemas.app), str(schemas.app["$id"]), _APP_FILE, ids)
    app.pop("$id", None)
    mapping = {}
    for ref, f in zip(app["$defs"]["Verb"]["oneOf"], schemas.app_verb_files(), strict=False):
        for name in f.verb_names:
            mapping[name] = ref["$ref"]
    app["$defs"]["Verb"]["discriminator"]["mapping"] = mapping
    (dest / "app.json").write_text(json.dumps(app, indent=2), encoding="utf-8")
    return modules
