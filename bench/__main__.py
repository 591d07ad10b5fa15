"""``python -m bench``: run the benchmarks (same as ``python bench/run.py``)."""

from __future__ import annotations

from bench.run import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
