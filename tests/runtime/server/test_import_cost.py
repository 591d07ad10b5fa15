"""Serving an app must not import the verb union or the heavy command models up front.

They cost most of a second (every verb model and its components); an app that builds a
gather and a say needs two verb models, on first use. bench/ measures the time; this
keeps the structure that makes it possible from regressing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import json, sys
from jambonz_runtime import App, JambonzServer, Session, serve
from jambonz_types.callbacks import GatherCallback, SessionNewCallback
app = App()

@app.on_session("/")
async def start(session: Session, call: SessionNewCallback) -> None:
    return None

print(json.dumps(sorted(m for m in sys.modules if m.startswith("jambonz_types."))))
"""


def test_serving_an_app_loads_no_verb_model_and_not_the_union() -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    loaded = json.loads(out.stdout)
    assert "jambonz_types.app" not in loaded  # the Verb union
    assert not [m for m in loaded if m.startswith("jambonz_types.verbs.")], loaded
    assert "jambonz_types.callbacks.gather" in loaded  # what the app named, nothing more
