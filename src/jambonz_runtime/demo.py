"""``python -m jambonz_runtime.demo``: kept working; the demo lives in :mod:`jambonz_runtime.cli.demo`."""

from __future__ import annotations

from .cli.demo import echo_app, main, run

__all__ = ["echo_app", "main", "run"]

if __name__ == "__main__":
    main()
