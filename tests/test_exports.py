"""The public surface: every ``__all__`` is honest, lazy exports resolve to the real objects.

The package ``__init__`` files load names on first use (PEP 562) and declare them to
type checkers in an ``if TYPE_CHECKING:`` block. Nothing forces those three lists
(``__all__``, the lazy map and the type-checking imports) to agree except these tests.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import jambonz_types

ROOT = Path(__file__).resolve().parent.parent
SUBPACKAGES = ("verbs", "components", "callbacks", "commands")
PACKAGES = (
    "jambonz_types",
    *(f"jambonz_types.{s}" for s in SUBPACKAGES),
    "jambonz_types.dicts",
    *(f"jambonz_types.dicts.{s}" for s in SUBPACKAGES),
    "jambonz_runtime",
    "jambonz_runtime.webhook",
    "jambonz_runtime.rest",
    "jambonz_runtime.protocol",
    "jambonz_runtime.audio",
)
STATIC_MODULES = (
    "jambonz_types._base",
    "jambonz_types._errors",
    "jambonz_types._flow_base",
    "jambonz_types._hooks",
    "jambonz_types._ints",
    "jambonz_types._nested",
    "jambonz_types.payloads",
)


def _module(name: str) -> types.ModuleType:
    return importlib.import_module(name)


def _all(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    assert isinstance(names, list), f"{module.__name__} has no __all__ list"
    assert all(isinstance(n, str) for n in names)
    return names


@pytest.mark.parametrize(
    "name", PACKAGES + STATIC_MODULES + ("jambonz_types.app", "jambonz_types.flow")
)
def test_all_names_resolve_without_duplicates(name: str) -> None:
    module = _module(name)
    names = _all(module)
    assert len(names) == len(set(names)), f"duplicates in {name}.__all__"
    for attr in names:
        assert getattr(module, attr) is not None, f"{name}.{attr}"


@pytest.mark.parametrize("name", [p for p in PACKAGES if p != "jambonz_runtime"])
def test_dir_matches_all(name: str) -> None:
    module = _module(name)
    assert dir(module) == sorted(_all(module))


@pytest.mark.parametrize("name", [p for p in PACKAGES if p != "jambonz_runtime"])
def test_unknown_attribute_raises_attribute_error(name: str) -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = _module(name).no_such_name


def _type_checking_imports(path: Path) -> set[str]:
    """Names an ``__init__`` imports under ``if TYPE_CHECKING:`` (what type checkers see)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    for alias in stmt.names:
                        # ``X as X``: the redundant alias marks a re-export for strict checkers.
                        assert alias.asname == alias.name, ast.unparse(stmt)
                        names.add(alias.name)
    return names


@pytest.mark.parametrize("name", [p for p in PACKAGES if p != "jambonz_runtime"])
def test_type_checkers_see_exactly_all(name: str) -> None:
    module = _module(name)
    assert module.__file__ is not None
    seen = _type_checking_imports(Path(module.__file__))
    # Plain constants (``SCHEMA_VERSION``) are defined in the module itself.
    defined_here = {n for n in _all(module) if n in vars(module) and n.isupper()}
    assert seen | defined_here == set(_all(module))


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_subpackage_exports_are_the_module_classes(sub: str) -> None:
    package = _module(f"jambonz_types.{sub}")
    names = _all(package)
    assert names, f"jambonz_types.{sub} exports nothing"
    assert names == sorted(names)
    for attr in names:
        obj = getattr(package, attr)
        assert isinstance(obj, type), attr
        assert obj.__module__.startswith(f"jambonz_types.{sub}."), (attr, obj.__module__)
        assert getattr(sys.modules[obj.__module__], attr) is obj


def test_top_level_exports_are_the_defining_objects() -> None:
    for attr in _all(jambonz_types):
        obj = getattr(jambonz_types, attr)
        if attr in SUBPACKAGES:
            assert obj is _module(f"jambonz_types.{attr}")
            continue
        home = getattr(obj, "__module__", None)
        if isinstance(obj, type) and home is not None:
            assert home.startswith("jambonz_types"), (attr, home)
            assert getattr(sys.modules[home], attr) is obj


def test_top_level_all_covers_the_core_api() -> None:
    names = set(_all(jambonz_types))
    assert {"SCHEMA_VERSION", "JambonzError", "VerbValidationError", "JambonzApp", "Verb"} <= names
    assert set(SUBPACKAGES) <= names
    assert jambonz_types.SCHEMA_VERSION == _schema_version()


def _schema_version() -> str:
    import re

    text = (ROOT / "schemas" / "SOURCE.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    assert match is not None
    return match.group(1)


def test_exports_load_lazily_and_once() -> None:
    code = (
        "import sys, jambonz_types.verbs as v\n"
        "assert 'jambonz_types.verbs.say' not in sys.modules\n"
        "say = v.Say\n"
        "assert 'jambonz_types.verbs.say' in sys.modules\n"
        "assert say is sys.modules['jambonz_types.verbs.say'].Say\n"
        "assert 'jambonz_types.verbs.gather' not in sys.modules\n"
        "assert v.Say is say\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_subprocess_env(),
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def _subprocess_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


SURFACE = json.loads((ROOT / "tests" / "public_surface.json").read_text(encoding="utf-8"))
"""Every public runtime name and the module it is imported from, as released.

Recorded before the runtime was regrouped into subpackages (issue 14) and kept since:
a name may be added anywhere, but removing or moving one off its import path breaks
users and must be a deliberate edit of this file (with a deprecation)."""


@pytest.mark.parametrize("module_name", sorted(SURFACE))
def test_public_names_keep_their_import_paths(module_name: str) -> None:
    module = _module(module_name)
    exported = set(_all(module))
    missing = [name for name in SURFACE[module_name] if name not in exported]
    assert not missing, f"{module_name} no longer exports {missing}"
    for name in SURFACE[module_name]:
        assert getattr(module, name) is not None, f"{module_name}.{name}"


def test_kept_alias_is_the_same_object() -> None:
    # jambonz_runtime.webhook.testing is an alias of jambonz_runtime.testing.webhook.
    old = _module("jambonz_runtime.webhook.testing")
    new = _module("jambonz_runtime.testing.webhook")
    assert old.WebhookSimulator is new.WebhookSimulator
