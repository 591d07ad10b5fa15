"""Benchmarks: this project against the official jambonz SDKs and a bare websockets server.

``python -m bench`` (or ``python bench/run.py``) runs everything and writes a markdown
table; see ``bench/run.py`` for the options and ``README.md`` ("Performance") for the
latest figures. ``bench/driver.py`` is the load driver that plays jambonz;
``bench/apps/`` holds the same echo and TTS apps written against each SDK.

A package (rather than loose scripts) so the smoke test in ``tests/`` can import the
driver and drive an app in-process.
"""

from __future__ import annotations

__all__: list[str] = []
