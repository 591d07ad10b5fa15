"""Render the package ``__init__`` and the chainable verb builder (``builder.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from .schemas import SchemaSet

if TYPE_CHECKING:
    from .generate import GeneratedModule

__all__ = ["render"]

PACKAGE_EXPORTS: tuple[tuple[str, str], ...] = (
    ("JambonzApp", "app"),
    ("JambonzCallback", "_base"),
    ("HookRef", "_hooks"),
    ("JambonzError", "_errors"),
    ("JambonzModel", "_base"),
    ("VERB_NAMES", "app"),
    ("Verb", "app"),
    ("VerbValidationError", "_errors"),
)


def render(
    env: jinja2.Environment,
    schemas: SchemaSet,
    modules: Sequence[GeneratedModule],
    tree: Path,
) -> None:
    """Write ``__init__.py`` (and, later, ``builder.py``) into ``tree``."""
    (tree / "__init__.py").write_text(
        env.get_template("package_init.py.jinja").render(
            source="schemas/", version=schemas.version, exports=sorted(PACKAGE_EXPORTS)
        ),
        encoding="utf-8",
    )
