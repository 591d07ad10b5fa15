"""``jambonz_types.api`` models: datamodel-code-generator over the effective spec's schemas.

The same generator and the same pinned flags as the verb models (codegen/models.py),
with the OpenAPI input type and :class:`jambonz_types.api._compat.ApiModel` as base (it
tolerates ``null`` from the server, whose rows carry SQL NULLs). Fields an override types
by hand (``x-python-type``) reach the generator as ``customTypePath``, a hand-written
base class (``x-python-base``: rules a schema cannot state) as ``customBasePath``. The output goes
through the same syntax-tree rewrites (codegen/postprocess.py) as the verb models.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..models import DMCG_ARGS
from ..postprocess import rewrite_module

__all__ = ["generate_models"]

Json = Any
_BASE = "jambonz_types.api._compat.ApiModel"
_HEADER = re.compile(r"\A(# .*\n)+")


def _custom_types(node: Json) -> Json:
    if isinstance(node, dict):
        out = {
            k: _custom_types(v)
            for k, v in node.items()
            if k not in ("x-python-type", "x-python-base")
        }
        if "x-python-type" in node:
            out["customTypePath"] = node["x-python-type"]
        if "x-python-base" in node:
            out["customBasePath"] = node["x-python-base"]
        return out
    if isinstance(node, list):
        return [_custom_types(v) for v in node]
    return node


def _args() -> list[str]:
    args = list(DMCG_ARGS)
    args[args.index("--input-file-type") + 1] = "openapi"
    args[args.index("--base-class") + 1] = _BASE
    i = args.index("date-time=string")
    args[i + 1 : i + 1] = ["uuid=string", "url=string", "email=string"]
    # RULES_KEY extraction is a JSON Schema staging step the API spec does not use.
    i = args.index("--model-extra-keys")
    del args[i : i + 2]
    return args


def generate_models(document: dict[str, Json], tmp: Path, header: str) -> tuple[str, list[str]]:
    """The text of ``jambonz_types/api/_models.py`` and its class names, in file order."""
    staged = tmp / "openapi.json"
    doc = _custom_types(copy.deepcopy(document))
    staged.write_text(json.dumps(doc, indent=1, sort_keys=False), encoding="utf-8")
    out = tmp / "models.py"
    cmd = [sys.executable, "-m", "datamodel_code_generator", "--input", str(staged)]
    cmd += ["--output", str(out), *_args()]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"datamodel-codegen failed on the API spec:\n{proc.stderr}")
    text = rewrite_module(out.read_text(encoding="utf-8"), "openapi", "")
    text = _HEADER.sub(header, text, count=1)
    classes = [n.name for n in ast.parse(text).body if isinstance(n, ast.ClassDef)]
    known = set(document["components"]["schemas"])
    numbered = [c for c in classes if c not in known and re.search(r"\d$", c)]
    if numbered:
        raise SystemExit(
            f"the generator numbered API models {numbered}: name the inline schemas "
            "(openapi/overrides.yaml) so public names derive from the spec"
        )
    return text, classes
