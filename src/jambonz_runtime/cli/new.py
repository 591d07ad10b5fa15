"""``jambonz-typed new NAME``: a ready project that passes its own tests and mypy --strict.

Why: the fastest way to start right is a project whose first commit already has a typed
app, a test that drives it through the simulator and a strict mypy configuration. The
files are templates shipped in the wheel (``templates/new``); ``{{project}}``,
``{{package}}`` and ``{{requirement}}`` are the only substitutions; the requirement
pins the jambonz-typed this command runs from (:func:`requirement`), so the printed
``pip install -e '.[dev]'`` works from a clone or a wheel file as well as from an index.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
from importlib import metadata, resources
from pathlib import Path
from typing import Final

from ._console import CliError, Console

__all__ = ["FILES", "add_parser", "package_name", "requirement", "run", "scaffold"]

FILES: Final[tuple[tuple[str, str], ...]] = (
    ("pyproject.toml.tmpl", "pyproject.toml"),
    ("README.md.tmpl", "README.md"),
    ("gitignore.tmpl", ".gitignore"),
    ("answers.txt.tmpl", "answers.txt"),
    ("package_init.py.tmpl", "src/{{package}}/__init__.py"),
    ("app.py.tmpl", "src/{{package}}/app.py"),
    ("main.py.tmpl", "src/{{package}}/__main__.py"),
    ("", "src/{{package}}/py.typed"),
    ("test_app.py.tmpl", "tests/test_app.py"),
)
"""(template under ``templates/new``, path in the project); ``""`` is an empty file."""

_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$")
_TAKEN: Final = frozenset({"jambonz_types", "jambonz_runtime", "tests", "test", "src"})


def package_name(project: str) -> str:
    """The import name of a project name (``my-ivr`` -> ``my_ivr``).

    Raises:
        CliError: the name cannot be a Python package, or would shadow one it needs.
    """
    if not _NAME.match(project):
        raise CliError(
            f"{project!r} is not a valid project name: use letters, digits and single "
            "'-', '_' or '.' between them, starting with a letter"
        )
    package = re.sub(r"[-.]", "_", project).lower()
    if keyword.iskeyword(package) or package in _TAKEN or package in sys.stdlib_module_names:
        raise CliError(f"{project!r} would make a package named {package!r}, which is taken")
    return package


def requirement(dist: metadata.Distribution | None = None) -> str:
    """The dependency line that installs *this* jambonz-typed into the new project.

    Why not just ``jambonz-typed>=X``: a user trying the SDK from a clone (editable
    install) or from a wheel file has no index that serves it, so the scaffold's own
    ``pip install -e '.[dev]'`` would fail. PEP 610's ``direct_url.json`` says where the
    installed copy came from; a local directory or file is pinned by its ``file:`` URL,
    anything else (an index) by its version. Running from a source tree that is not
    installed at all pins that tree.
    """
    if dist is None:
        try:
            dist = metadata.distribution("jambonz-typed")
        except metadata.PackageNotFoundError:
            root = Path(__file__).resolve().parents[3]
            if _is_project_root(root):
                return f"jambonz-typed @ {root.as_uri()}"
            return "jambonz-typed"
    text = dist.read_text("direct_url.json")
    if text:
        try:
            url = json.loads(text).get("url")
        except (ValueError, AttributeError):
            url = None
        if isinstance(url, str) and url.startswith("file:"):
            return f"jambonz-typed @ {url}"
    return f"jambonz-typed>={dist.version}"


def _is_project_root(path: Path) -> bool:
    pyproject = path / "pyproject.toml"
    return pyproject.is_file() and 'name = "jambonz-typed"' in pyproject.read_text("utf-8")


def scaffold(project: str, target: Path) -> list[Path]:
    """Write the project into ``target`` (created; must not exist or be empty).

    Returns the files written, in order.
    """
    package = package_name(project)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CliError(f"{target} already exists and is not an empty directory")
    values = {"project": project, "package": package, "requirement": requirement()}
    source = resources.files(__package__ or "jambonz_runtime.cli") / "templates" / "new"
    written: list[Path] = []
    for template, dest in FILES:
        text = source.joinpath(template).read_text(encoding="utf-8") if template else ""
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
            dest = dest.replace("{{" + key + "}}", value)
        path = target / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def run(args: argparse.Namespace, console: Console) -> int:
    """Create the project and say what to do next."""
    project: str = args.name
    target = Path(args.dir) if args.dir else Path(project)
    written = scaffold(project, target)
    style = console.style
    console.print(f"created {style(str(target), 'bold')}:")
    for path in written:
        console.print(f"  {path.relative_to(target).as_posix()}")
    package = package_name(project)
    console.print()
    console.print("next:")
    console.print(f"  cd {target}")
    console.print("  python -m venv .venv && .venv/bin/pip install -e '.[dev]'")
    console.print("  .venv/bin/python -m pytest && .venv/bin/python -m mypy")
    console.print(f"  .venv/bin/jambonz-typed call {package}.app:app")
    return 0


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register ``new`` on the top-level parser."""
    parser = commands.add_parser(
        "new",
        parents=parents,
        help="create a new app project (typed app, simulator test, mypy --strict)",
        description=(
            "Create a project directory with a typed jambonz app, a pytest test that drives "
            "it through the simulator, a mypy --strict configuration and a scripted demo "
            "call; it passes its own tests and mypy as created."
        ),
    )
    parser.add_argument("name", metavar="NAME", help="project name (my-ivr -> package my_ivr)")
    parser.add_argument("--dir", help="where to create it (default: ./NAME)")
    parser.set_defaults(func=run)
