"""Type-checking cost for users: ``mypy --strict`` on a 300-line app, cold and warm cache.

Generated types grow (issue 17 added a TypedDict twin per model and wider builder
signatures); what a user pays for that is the time mypy takes on *their* app, which
pulls in ``jambonz_types`` and ``jambonz_runtime``. This runs mypy on
``bench/typecheck_app.py`` in fresh processes: ``cold`` with an empty cache directory
each time (a first run, CI without a cache), ``warm`` re-checking with the cache the
cold run left (an edit-and-recheck loop). It prints medians and exits 0; compare two
checkouts by running each one's copy of this script.

    python bench/mypy_time.py [-n 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["APP", "main", "run_mypy"]

ROOT = Path(__file__).resolve().parent.parent
APP = Path(__file__).resolve().parent / "typecheck_app.py"


def run_mypy(cache: Path) -> float:
    """Seconds one ``mypy --strict`` process takes on the app (it must pass)."""
    cmd = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), str(APP)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"mypy failed on {APP.name}:\n{proc.stdout}{proc.stderr}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=5, help="cold/warm pairs")
    args = parser.parse_args(argv)
    lines = sum(1 for _ in APP.open(encoding="utf-8"))
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="mypy-bench-") as tmp:
            cold.append(run_mypy(Path(tmp)))
            warm.append(run_mypy(Path(tmp)))
    print(f"python {sys.version.split()[0]}, mypy --strict on {APP.name} ({lines} lines)")
    for label, samples in (("cold cache", cold), ("warm cache", warm)):
        med = statistics.median(samples)
        print(f"{label:12} median {med:6.2f} s  min {min(samples):6.2f}  max {max(samples):6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
