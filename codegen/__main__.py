"""``python -m codegen [--check]``: regenerate ``src/jambonz_types`` or prove it is current.

``python -m codegen vendor SOURCE`` (an npm version, a .tgz or a directory) replaces
``schemas/`` first and records the change report in CHANGELOG.md (see codegen/vendor.py);
``python -m codegen changes --against REF`` reports (and gates) the schema changes since a
git revision or directory (codegen/compare.py).
``python -m codegen vendor-api <git ref | path>`` replaces ``openapi/swagger.yaml`` (see
codegen/openapi/vendor.py). The REST API bindings (``jambonz_types/api`` and
``jambonz_runtime/rest/_generated``, codegen/openapi/) are generated and checked with
the rest.

The package is always generated into a temporary directory first. Without ``--check``
that directory replaces the output tree; with ``--check`` the two trees are compared
file by file and any difference (stale output or a hand edit) is printed as a unified
diff, with exit status 1.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .config import ROOT, load_config
from .generate import build
from .openapi.generate import check_rest
from .report import api_change_report
from .schemas import load_schemas

__all__ = ["diff_trees", "main"]


def _files(tree: Path) -> dict[str, bytes]:
    return {
        p.relative_to(tree).as_posix(): p.read_bytes()
        for p in sorted(tree.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def diff_trees(expected: Path, actual: Path, limit: int = 200) -> list[str]:
    """Unified diff lines between two trees (added, removed and changed files)."""
    want, have = _files(expected), _files(actual)
    out: list[str] = []
    for name in sorted(set(want) | set(have)):
        a, b = have.get(name), want.get(name)
        if a == b:
            continue
        if a is None:
            out.append(f"missing file: {name}")
            continue
        if b is None:
            out.append(f"unexpected file (not generated): {name}")
            continue
        out.extend(
            difflib.unified_diff(
                a.decode(errors="replace").splitlines(),
                b.decode(errors="replace").splitlines(),
                f"committed/{name}",
                f"regenerated/{name}",
                lineterm="",
            )
        )
    if len(out) > limit:
        out = [*out[:limit], f"... ({len(out) - limit} more diff lines)"]
    return out


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["vendor-api"]:
        from .openapi.vendor import main as vendor_api_main

        return vendor_api_main(args_in[1:])
    if args_in[:1] == ["vendor"]:
        from .vendor import main as vendor_main

        return vendor_main(args_in[1:])
    if args_in[:1] == ["changes"]:
        from .compare import main as changes_main

        return changes_main(args_in[1:])
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary tree and fail if it differs from the committed one",
    )
    args = parser.parse_args(args_in)

    config = load_config(ROOT)
    schemas = load_schemas(config)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jambonz-types-") as tmp:
        tree = Path(tmp) / config.package
        tree.mkdir()
        build(schemas, config, tree)
        elapsed = time.perf_counter() - started
        out = config.output_dir
        if args.check:
            lines = diff_trees(tree, out) + check_rest(write=False)
            if lines:
                print("\n".join(lines))
                print(
                    f"\n{out.relative_to(ROOT)} is not what the schemas produce "
                    "(stale output or a hand edit). Regenerate with: python -m codegen",
                    file=sys.stderr,
                )
                return 1
            print(f"codegen --check: {out.relative_to(ROOT)} is up to date ({elapsed:.1f} s)")
            return 0
        report = api_change_report(out, tree)
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(tree, out)
        check_rest(write=True)
    print(
        f"generated {out.relative_to(ROOT)} from @jambonz/schema {schemas.version} ({elapsed:.1f} s)"
    )
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
