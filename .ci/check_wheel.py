"""Check a built jambonz-typed wheel: both packages, their data files, the command, nothing extra.

Run by ``nox -s package``. A wheel that silently lost ``py.typed`` (so type checkers
ignore the annotations), a generated module, the ``new`` command's templates or the
``jambonz-typed`` entry point, or that ships codegen/tests, is a broken release even
when every test passes against the source tree.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

__all__ = ["check"]

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("jambonz_types", "jambonz_runtime")


def check(wheel: Path) -> list[str]:
    """Every problem found in ``wheel`` (empty when it is fine)."""
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = zf.read(entry_points[0]).decode() if entry_points else ""
    problems = []
    for pkg in PACKAGES:
        if f"{pkg}/py.typed" not in names:
            problems.append(f"{pkg}/py.typed missing")
        src = ROOT / "src" / pkg
        for path in sorted(src.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            rel = path.relative_to(ROOT / "src").as_posix()
            if rel not in names:
                problems.append(f"{rel} missing")
    if "jambonz-typed = jambonz_runtime.cli:main" not in scripts:
        problems.append("console script jambonz-typed = jambonz_runtime.cli:main missing")
    allowed = (*PACKAGES, "jambonz_typed-")
    for name in sorted(names):
        if not name.startswith(allowed):
            problems.append(f"unexpected file in wheel: {name}")
    return problems


def main() -> int:
    """``python .ci/check_wheel.py WHEEL``: print problems, exit 1 if any."""
    wheel = Path(sys.argv[1])
    problems = check(wheel)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{wheel.name}: both packages, py.typed, all files and the jambonz-typed command")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
