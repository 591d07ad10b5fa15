"""Check a built jambonz-typed wheel: both packages, their ``py.typed``, nothing extra.

Run by ``nox -s package``. A wheel that silently lost ``py.typed`` (so type checkers
ignore the annotations) or a generated module, or that ships codegen/tests, is a broken
release even when every test passes against the source tree.
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
    problems = []
    for pkg in PACKAGES:
        if f"{pkg}/py.typed" not in names:
            problems.append(f"{pkg}/py.typed missing")
        src = ROOT / "src" / pkg
        for path in sorted(src.rglob("*.py")):
            rel = path.relative_to(ROOT / "src").as_posix()
            if rel not in names:
                problems.append(f"{rel} missing")
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
        print(f"{wheel.name}: both packages, py.typed and every module present")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
