"""Layering: every runtime module has a layer, and importing the typed core stays cheap.

* The import direction itself (``jambonz_types`` never imports the runtime or codegen;
  the runtime's layers; no cycles) is the import-linter contract in pyproject.toml,
  checked by ``lint-imports`` in ``nox -s lint``; here we check it covers every module;
* ``import jambonz_types`` loads no model module: models load on first use, which is
  what keeps the import cost low (see bench/import_time.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
MODEL_PACKAGES = ("verbs", "components", "callbacks", "commands")


def _layers() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        config = tomllib.load(f)
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["type"] == "layers"]
    layers = contract["layers"]
    assert isinstance(layers, list)
    return [str(layer) for layer in layers]


def test_every_runtime_module_is_in_a_layer() -> None:
    # lint-imports (nox -s lint) checks the contract; this keeps the contract complete:
    # a new top-level module or subpackage of jambonz_runtime must be given a layer.
    layered = {name.strip() for layer in _layers() for name in layer.split("|")}
    runtime = SRC / "jambonz_runtime"
    found = {
        f"jambonz_runtime.{p.stem if p.is_file() else p.name}"
        for p in runtime.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__", "demo"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert found == layered, f"not layered: {found - layered}; stale: {layered - found}"


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
