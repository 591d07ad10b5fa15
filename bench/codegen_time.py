"""Time a schema bump: vendor + generate + format, and ``--check``, against the targets.

Why a script and not a timed unit test: wall-clock numbers depend on the machine and its
load (see bench/import_time.py). Targets (issue 19): regeneration (vendor + generate +
format) under 10 s, ``python -m codegen --check`` under 5 s.

Each sample runs the real commands as a maintainer does, each in a fresh interpreter
(start-up included), in a temporary copy of the repository (pyproject, codegen, schemas,
the generated package), so this checkout is never touched:

1. ``python -m codegen vendor DIR --no-changelog`` from a directory (a copy of the
   vendored set with a ``package.json``, as a checkout of jambonz/schema has; no network),
2. ``python -m codegen`` (generate + ruff format + API report),
3. ``python -m codegen --check``, with a cold generator cache (as on a fresh CI
   checkout) and again with it warm (codegen/models.py caches datamodel-code-generator's
   output by a hash of its exact input). Regeneration is always timed cold.

    python bench/codegen_time.py [-n 5] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["TARGETS_S", "main", "measure"]

ROOT = Path(__file__).resolve().parent.parent
TARGETS_S = {
    "regenerate (vendor + generate + format)": 10.0,
    "--check, cold cache (CI)": 5.0,
    "--check, warm cache": 5.0,
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(root: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the command and its subprocesses)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    started, cpu = time.perf_counter(), _cpu()
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", *args], cwd=root, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"python -m codegen {' '.join(args)} failed:\n{proc.stderr}")
    return elapsed, _cpu() - cpu


def measure(samples: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds per sample of each timed step."""
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in TARGETS_S}
    with tempfile.TemporaryDirectory(prefix="jambonz-codegen-bench-") as tmp:
        root = Path(tmp) / "repo"
        ignore = shutil.ignore_patterns("__pycache__")
        root.mkdir()
        shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
        for part in ("codegen", "schemas", "src/jambonz_types"):
            shutil.copytree(ROOT / part, root / part, ignore=ignore)
        source = Path(tmp) / "schema"
        shutil.copytree(ROOT / "schemas", source, ignore=shutil.ignore_patterns("*.md", "*.toml"))
        version = json.dumps({"name": "@jambonz/schema", "version": "0.0.1", "license": "MIT"})
        (source / "package.json").write_text(version, encoding="utf-8")
        cache = root / ".codegen-cache"
        for _ in range(samples):
            shutil.rmtree(cache, ignore_errors=True)
            vendor = _run(root, "vendor", str(source), "--no-changelog")
            generate = _run(root)
            out["regenerate (vendor + generate + format)"].append(
                (vendor[0] + generate[0], vendor[1] + generate[1])
            )
            shutil.rmtree(cache, ignore_errors=True)
            out["--check, cold cache (CI)"].append(_run(root, "--check"))
            out["--check, warm cache"].append(_run(root, "--check"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=5, help="samples (default 5)")
    parser.add_argument("--strict", action="store_true", help="exit 1 above a target")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    results = measure(args.n)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), {args.n} samples, "
        f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    over = False
    for name, values in results.items():
        wall = [w for w, _ in values]
        cpu = statistics.median(c for _, c in values)
        median = statistics.median(wall)
        target = TARGETS_S[name]
        verdict = "ok" if median < target else "OVER"
        over = over or median >= target
        print(
            f"  {name:<40} wall median {median:5.2f} s (min {min(wall):.2f}, max "
            f"{max(wall):.2f}), CPU {cpu:.2f} s; target < {target:.0f} s: {verdict}"
        )
    print("  (CPU = user + system time of the commands: the wall time on an otherwise idle core)")
    return 1 if over and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())
