"""The package's own pytest plugin runs this suite's ``async def`` tests.

Installed (``pip install -e .``) it is already loaded through its ``pytest11`` entry
point, registered under this same module name, so this line is then a no-op; from a
plain checkout on ``PYTHONPATH`` it loads the plugin.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["jambonz_runtime.testing.pytest_plugin"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say why tests were deselected: the only ones are the npm-backed conformance tests."""
    deselected = terminalreporter.stats.get("deselected", [])
    conformance = [
        item
        for item in deselected
        if isinstance(item, pytest.Item) and item.get_closest_marker("conformance")
    ]
    if conformance:
        terminalreporter.write_line(
            f"{len(conformance)} deselected: the ajv conformance tests (marker 'conformance'), "
            "which need npm; `python -m nox -s conformance` runs them"
        )
