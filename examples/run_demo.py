"""Demo: run the echo example against the jambonz simulator and print the conversation.

    PYTHONPATH=src:. python examples/run_demo.py

The same as ``python -m jambonz_runtime.demo`` (which ships its own copy of the echo
app), but driving ``examples/echo.py``. No jambonz account or network needed: the
simulator plays jambonz over a loopback websocket, exactly as the real server talks to
an app.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples.echo import app
from jambonz_runtime.demo import run

__all__ = ["main"]


def main() -> None:
    """Place one simulated call to the echo example."""
    asyncio.run(run(app))


if __name__ == "__main__":
    main()
