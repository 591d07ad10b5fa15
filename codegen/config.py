"""Generator settings, read from ``[tool.jambonz-codegen]`` in pyproject.toml.

Every deliberate deviation from a plain schema-to-model translation lives here as data
(class-name overrides, builder synonyms, rules pydantic types cannot express), so a
reviewer sees each fix in one place and the generated tree is never patched by hand.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["ROOT", "Config", "load_config"]

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    """What the generator needs to know beyond the schemas themselves."""

    schemas_dir: Path
    output_dir: Path
    package: str
    class_names: dict[str, str] = field(default_factory=dict)
    """Schema key (``verbs/sip-decline``) -> Python class name, where the title is poor."""
    titles: dict[str, str] = field(default_factory=dict)
    """``verbs/gather#/properties/x`` -> class name for an inline object the schema leaves untitled."""
    method_names: dict[str, str] = field(default_factory=dict)
    """Verb name -> builder method name, where ``verb.replace(':', '_')`` is not wanted."""
    hook_payloads: dict[str, str] = field(default_factory=dict)
    """``gather.actionHook`` -> ``callbacks/gather``: the payload model of a verb's hook
    (or the dotted path of a static model, ``jambonz_types.payloads.LlmToolCallCallback``,
    where no schema describes the payload)."""
    field_names: dict[str, str] = field(default_factory=dict)
    """``ElevenLabsAuth.apiKey`` -> Python field name, where snake_case would clash."""
    field_types: dict[str, str] = field(default_factory=dict)
    """``verbs/gather#/properties/say`` -> dotted path of a hand-written (static) type
    that replaces a free-form property's ``dict`` annotation; it must accept everything
    the schema accepts."""
    cache_dir: Path | None = None
    """Where the generator's output is cached by input hash (codegen/models.py); ``None``
    disables the cache."""
    acknowledged_breaking: tuple[str, ...] = ()
    """Breaking schema changes a maintainer has reviewed (``Change.key``, as printed by
    ``python -m codegen vendor --fail-on-breaking``), which then no longer stop a bump."""
    mixins: dict[str, str] = field(default_factory=dict)
    """Generated class name -> dotted path of a hand-written (static) mixin put first in
    its bases: typed convenience accessors (``GatherCallback.transcript``) that are
    not in any schema. A mixin adds properties and methods only, never fields."""
    nested_objects: dict[str, str] = field(default_factory=dict)
    """``verbs/dial#/properties/listen`` -> ``verbs/listen``: a free-form property whose
    description says it takes that schema's properties; typed with its nested TypedDict
    twin (codegen/typeddicts.py)."""


def load_config(root: Path = ROOT) -> Config:
    """Read the ``[tool.jambonz-codegen]`` table of ``root/pyproject.toml``."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    table = data.get("tool", {}).get("jambonz-codegen", {})
    return Config(
        schemas_dir=root / table.get("schemas", "schemas"),
        output_dir=root / table.get("output", "src/jambonz_types"),
        package=table.get("package", "jambonz_types"),
        class_names=dict(table.get("class-names", {})),
        titles=dict(table.get("titles", {})),
        method_names=dict(table.get("method-names", {})),
        hook_payloads=dict(table.get("hook-payloads", {})),
        field_names=dict(table.get("field-names", {})),
        field_types=dict(table.get("field-types", {})),
        acknowledged_breaking=tuple(table.get("acknowledged-breaking", ())),
        cache_dir=root / ".codegen-cache",
        mixins=dict(table.get("mixins", {})),
        nested_objects=dict(table.get("nested-objects", {})),
    )
