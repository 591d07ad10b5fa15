"""Layering: the typed core stands alone, and importing it stays cheap.

* ``jambonz_types`` never imports ``jambonz_runtime`` (the runtime builds on the types,
  not the other way round) nor ``codegen`` (build-time only, not shipped in the wheel);
* ``import jambonz_types`` loads no model module: models load on first use, which is
  what keeps the import cost low (see bench/import_time.py).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
MODEL_PACKAGES = ("verbs", "components", "callbacks", "commands")


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(SRC).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(SRC).parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def _files(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("jambonz_types", ("jambonz_runtime", "codegen")), ("jambonz_runtime", ("codegen",))],
)
def test_no_upward_imports(package: str, forbidden: tuple[str, ...]) -> None:
    assert _files(package)
    bad = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in _files(package)
        for name in sorted(_imports(path))
        if name.split(".")[0] in forbidden
    ]
    assert not bad, "\n".join(bad)


def test_import_scan_sees_relative_imports() -> None:
    # Guard for the scanner above: it must resolve ``from ..components.x import Y``.
    imports = _imports(SRC / "jambonz_types" / "verbs" / "say.py")
    assert "jambonz_types.components.synthesizer" in imports


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))\n"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    assert isinstance(loaded, list)
    return [str(m) for m in loaded]


def _model_modules(loaded: list[str]) -> list[str]:
    return [
        m
        for m in loaded
        if m == "jambonz_types.app"
        or (
            m.startswith("jambonz_types.")
            and m.split(".")[1] in MODEL_PACKAGES
            and m.count(".") >= 2
        )
    ]


def test_import_loads_no_model_module() -> None:
    loaded = _loaded_after("import jambonz_types")
    assert "jambonz_types" in loaded
    assert _model_modules(loaded) == []
    assert not [m for m in loaded if m.split(".")[0] in ("jambonz_runtime", "codegen")]
    assert not [m for m in loaded if m.startswith("jambonz_types.dicts")]


def test_builder_use_loads_no_typeddict_twin() -> None:
    # The twins are for type checkers (and users who name them): building verbs from
    # dict literals never imports them.
    loaded = _loaded_after(
        "from jambonz_types import Verbs; "
        "Verbs().gather(say={'text': 'x'}).dial(target=[{'type': 'phone', 'number': '1'}])"
    )
    assert "jambonz_types.verbs.gather" in loaded
    assert not [m for m in loaded if m.startswith("jambonz_types.dicts")]


def test_subpackage_import_loads_no_model_module() -> None:
    loaded = _loaded_after("import jambonz_types.verbs, jambonz_types.callbacks")
    assert _model_modules(loaded) == []


def test_first_use_loads_only_what_it_needs() -> None:
    # Control for the two tests above: a name's first use does load its module.
    loaded = _loaded_after("import jambonz_types.verbs as v; v.Say")
    assert "jambonz_types.verbs.say" in _model_modules(loaded)
    assert "jambonz_types.verbs.gather" not in loaded
