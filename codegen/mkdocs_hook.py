"""MkDocs hook: put the generated verb and callback reference into the site.

``mkdocs.yml`` names this file under ``hooks``. At build time it calls
:func:`codegen.docs.pages` (the schemas and the generated models -> markdown), adds each
page as a generated file (nothing is written into ``docs/``) and expands the nav
entries ``reference/verbs/index.md`` and ``reference/callbacks/index.md`` into one entry
per page, so the reference can never lag behind the schemas.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # mkdocs loads hooks by path: make ``codegen`` importable
    sys.path.insert(0, str(ROOT))

from mkdocs.structure.files import File, Files  # noqa: E402

from codegen.docs import nav, pages  # noqa: E402

_PAGES: dict[str, str] = {}
_SECTIONS = ("reference/verbs/", "reference/callbacks/")


def _expand(entries: Any) -> Any:
    if isinstance(entries, list):
        return [_expand(e) for e in entries]
    if isinstance(entries, dict):
        out = {}
        for title, value in entries.items():
            section = next((s for s in _SECTIONS if value == f"{s}index.md"), None)
            if section is None:
                out[title] = _expand(value)
            else:
                generated = sorted(p for p in _PAGES if p.startswith(section) and p != value)
                out[title] = [value, *nav(generated)]
        return out
    return entries


def on_config(config: Any) -> Any:
    """Generate the pages once per build and expand the nav."""
    _PAGES.clear()
    _PAGES.update(pages())
    config["nav"] = _expand(config["nav"])
    return config


def on_files(files: Files, config: Any) -> Files:
    """Add the generated pages to the site's files."""
    for path, text in sorted(_PAGES.items()):
        files.append(File.generated(config, path, content=text))
    return files
