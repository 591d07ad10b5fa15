"""Run datamodel-code-generator with the one pinned option set this project uses.

Each flag below exists to make the models agree with the ajv validator the jambonz
server runs (see ../shared/docs/codegen-notes.md for the measurements behind them):

* ``uri=string``/``date-time=string``: jambonz hooks are relative paths like ``/menu``,
  which ``AnyUrl`` rejects; ajv there asserts no formats at all.
* ``--strict-types``: no ``"yes"`` for a boolean, no ``true`` for a number.
* ``--enum-field-as-literal all``: closed sets become ``Literal`` for mypy.
* ``--use-annotated --field-constraints``: constraints live in ``Field()``, not in
  ``conint(...)`` annotations that mypy cannot read.
* ``--model-extra-keys x-jambonz-rules``: carries the ``if``/``then`` and ``not`` rules
  that staging extracted (codegen/rules.py) onto the class of the schema object that
  holds them; postprocess turns them into a ``__jambonz_rules__`` class variable.

``--reuse-model`` is deliberately absent: it replaces an object by a structurally equal
one generated earlier (in another file), so a name would depend on unrelated schemas
(codegen/naming.py).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from .rules import RULES_KEY

__all__ = ["DMCG_ARGS", "run_datamodel_codegen"]

DMCG_ARGS: tuple[str, ...] = (
    "--input-file-type", "jsonschema",
    "--output-model-type", "pydantic_v2.BaseModel",
    "--target-python-version", "3.10",
    "--target-pydantic-version", "2.11",
    "--base-class", "jambonz_types._base.JambonzModel",
    "--use-annotated",
    "--field-constraints",
    "--enum-field-as-literal", "all",
    "--use-union-operator",
    "--use-standard-collections",
    "--snake-case-field",
    "--allow-population-by-field-name",
    "--use-schema-description",
    "--use-field-description",
    "--collapse-root-models",
    "--use-title-as-name",
    "--use-exact-imports",
    "--type-mappings", "uri=string", "date-time=string",
    "--strict-types", "str", "int", "float", "bool",
    "--model-extra-keys", RULES_KEY,
    "--formatters", "builtin",
    "--disable-timestamp",
    "--use-double-quotes",
)  # fmt: skip


def _cache_key(staged: Path, field_names: Mapping[str, str] | None) -> str:
    """Everything the generator's output depends on: its input, options and version."""
    digest = hashlib.sha256()
    parts = [
        sys.version.split()[0],
        importlib.metadata.version("datamodel-code-generator"),
        importlib.metadata.version("pydantic"),
        json.dumps([DMCG_ARGS, dict(sorted((field_names or {}).items()))]),
    ]
    for part in parts:
        digest.update(part.encode() + b"\0")
    for path in sorted(staged.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(staged).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def run_datamodel_codegen(
    staged: Path,
    output: Path,
    field_names: Mapping[str, str] | None = None,
    cache: Path | None = None,
) -> None:
    """Generate pydantic modules for the staged schema tree into ``output``.

    ``field_names`` (``"Class.wireKey"`` -> Python name) overrides the generator's
    snake_case naming where it would clash (see ``field-names`` in the config).

    ``cache`` (a directory) keeps the generator's output keyed by a hash of its exact
    input, options, Python, pydantic and generator versions: the generator is most of a
    run's time and deterministic, so an unchanged input is copied, not regenerated.
    Everything after it (rewrites, templates, formatting, the ``--check`` diff) always
    runs. A fresh checkout (CI) has no cache and runs the generator.
    """
    key = _cache_key(staged, field_names) if cache is not None else ""
    if cache is not None and (cache / key).is_dir():
        shutil.copytree(cache / key, output)
        return
    cmd = [
        sys.executable,
        "-m",
        "datamodel_code_generator",
        "--input",
        str(staged),
        "--output",
        str(output),
        *DMCG_ARGS,
    ]
    if field_names:
        aliases = output.parent / "aliases.json"
        aliases.write_text(json.dumps(dict(sorted(field_names.items()))), encoding="utf-8")
        cmd += ["--aliases", str(aliases)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"datamodel-codegen failed ({proc.returncode}):\n{proc.stderr}")
    if cache is not None:
        _store(cache, key, output)


_CACHE_KEEP = 4
"""Cache entries kept (the newest): enough to flip between a few branches."""


def _store(cache: Path, key: str, output: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f".{key}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(output, partial)
    try:
        partial.rename(cache / key)  # atomic: a reader never sees half an entry
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another run stored it first
    entries = sorted(
        (p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    for old in entries[:-_CACHE_KEEP]:
        shutil.rmtree(old, ignore_errors=True)
