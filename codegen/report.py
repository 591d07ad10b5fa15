"""The API surface manifest and the human-readable report of what a regeneration changed.

Why a manifest: after a schema bump a reviewer wants to know what changed for *users*
(a verb method appeared, a parameter became required, an enum lost a value), not a
100-file diff. ``build`` writes ``_api_surface.json`` (sorted, deterministic) next to the
generated code, from the same IR the builder is rendered from; ``python -m codegen``
compares the committed manifest with the new one and prints :func:`diff_surfaces`.
The manifest is committed, so ``git diff`` of it is the same report in review.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .ir import ModelSpec, ParamSpec, Ref, VerbSpec

__all__ = [
    "SURFACE_FILE",
    "api_change_report",
    "api_surface",
    "diff_surfaces",
    "dump_surface",
    "format_report",
]

SURFACE_FILE = "_api_surface.json"

Surface = dict[str, Any]


def _param(p: ParamSpec, hook: Ref | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"wire": p.wire, "type": p.annotation, "required": p.required}
    if p.literals:
        out["enum"] = list(p.literals)
    if hook is not None:
        out["hook_payload"] = hook[1]
    return out


def api_surface(
    version: str, verbs: Sequence[VerbSpec], models: Mapping[Ref, ModelSpec]
) -> Surface:
    """The public API as plain JSON data: builder methods and every model's fields."""
    return {
        "schema_version": version,
        "verbs": {
            v.method: {
                "verb": v.verb,
                "model": v.model.qualname,
                "min_version": v.min_version,
                "params": {p.name: _param(p, v.hook_payloads.get(p.wire)) for p in v.params},
            }
            for v in verbs
        },
        "models": {
            m.qualname: (
                {"root": m.root}
                if m.root is not None
                else {"fields": {p.name: _param(p) for p in m.fields}}
            )
            for m in sorted(models.values(), key=lambda m: m.qualname)
        },
    }


def dump_surface(surface: Surface) -> str:
    """Deterministic JSON text, one key per line, so that git diffs of it read well."""
    return json.dumps(surface, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _field_changes(where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for name in sorted(set(new) - set(old)):
        p = new[name]
        req = "required" if p["required"] else "optional"
        lines.append(f"  + {where}: {req} parameter {name}: {p['type']}")
    for name in sorted(set(old) - set(new)):
        lines.append(f"  - {where}: parameter {name} removed")
    for name in sorted(set(old) & set(new)):
        a, b = old[name], new[name]
        if a["type"] != b["type"]:
            lines.append(f"  ~ {where}: {name}: type {a['type']} -> {b['type']}")
        if a["required"] != b["required"]:
            now = "required" if b["required"] else "optional"
            lines.append(f"  ~ {where}: {name}: now {now}")
        ea, eb = set(a.get("enum", ())), set(b.get("enum", ()))
        if eb - ea:
            lines.append(f"  ~ {where}: {name}: enum values added: {', '.join(sorted(eb - ea))}")
        if ea - eb:
            lines.append(f"  ~ {where}: {name}: enum values removed: {', '.join(sorted(ea - eb))}")
        if a.get("hook_payload") != b.get("hook_payload"):
            lines.append(
                f"  ~ {where}: {name}: hook payload {a.get('hook_payload')} -> "
                f"{b.get('hook_payload')}"
            )
        if a["wire"] != b["wire"]:
            lines.append(f"  ~ {where}: {name}: wire name {a['wire']} -> {b['wire']}")
    return lines


def diff_surfaces(old: Surface, new: Surface) -> list[str]:
    """Change lines (``+`` added, ``-`` removed, ``~`` changed); empty when nothing changed."""
    lines: list[str] = []
    ov, nv = old.get("verbs", {}), new.get("verbs", {})
    for name in sorted(set(nv) - set(ov)):
        lines.append(f"  + verb {nv[name]['verb']!r}: new method Verbs.{name}()")
    for name in sorted(set(ov) - set(nv)):
        lines.append(f"  - verb {ov[name]['verb']!r}: method Verbs.{name}() removed")
    for name in sorted(set(ov) & set(nv)):
        a, b = ov[name], nv[name]
        if a["min_version"] != b["min_version"]:
            lines.append(f"  ~ Verbs.{name}(): minVersion {a['min_version']} -> {b['min_version']}")
        lines.extend(_field_changes(f"Verbs.{name}()", a["params"], b["params"]))

    # Models behind a verb method are reported through the method above.
    covered = {v["model"] for v in (*ov.values(), *nv.values())}
    om, nm = old.get("models", {}), new.get("models", {})
    for name in sorted(set(nm) - set(om)):
        lines.append(f"  + model {name}")
    for name in sorted(set(om) - set(nm)):
        lines.append(f"  - model {name} removed")
    for name in sorted((set(om) & set(nm)) - covered):
        a, b = om[name], nm[name]
        if a.get("root") != b.get("root"):
            lines.append(f"  ~ model {name}: root {a.get('root')} -> {b.get('root')}")
        lines.extend(_field_changes(f"model {name}", a.get("fields", {}), b.get("fields", {})))
    return lines


def format_report(old: Surface | None, new: Surface) -> str:
    """The report ``python -m codegen`` prints after regenerating."""
    version = new.get("schema_version")
    if old is None:
        return (
            f"API change report: no previous {SURFACE_FILE}; "
            f"{len(new['verbs'])} verb methods, {len(new['models'])} models generated."
        )
    lines = diff_surfaces(old, new)
    head = f"API change report (@jambonz/schema {old.get('schema_version')} -> {version})"
    if not lines:
        return f"{head}: no API changes."
    return "\n".join([f"{head}: {len(lines)} change(s)", *lines])


def api_change_report(old_tree: Path, new_tree: Path) -> str:
    """:func:`format_report` for two generated trees (the old one may not exist yet)."""
    old_file = old_tree / SURFACE_FILE
    old = json.loads(old_file.read_text(encoding="utf-8")) if old_file.is_file() else None
    new = json.loads((new_tree / SURFACE_FILE).read_text(encoding="utf-8"))
    return format_report(old, new)
