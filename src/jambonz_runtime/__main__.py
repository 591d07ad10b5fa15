"""``python -m jambonz_runtime``: the ``jambonz-typed`` command line (see :mod:`.cli`)."""

from __future__ import annotations

from .cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
