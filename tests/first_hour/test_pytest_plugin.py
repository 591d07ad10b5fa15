"""Issue 21 item 13: the pytest plugin (``pytest11`` entry point) and its fixtures.

A throwaway project names its app in ``[tool.pytest.ini_options]`` and writes plain
``async def`` tests against the ``jambonz_*`` fixtures; a real pytest run of it must
pass (and a misuse must say what to do). The scaffold of ``jambonz-typed new`` uses the
same fixtures (tests/cli/test_new.py runs it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PLUGIN = "jambonz_runtime.testing.pytest_plugin"

APP = textwrap.dedent(
    """
    from jambonz_runtime import App, CallContext, JambonzAudioStream
    from jambonz_types import Verbs
    from jambonz_types.callbacks import SessionNewCallback

    app = App[CallContext]()


    @app.on_session("/")
    async def hello(session: CallContext, call: SessionNewCallback) -> Verbs:
        return Verbs().say(text=f"Hello {call.from_}").hangup()


    @app.on_audio("/echo")
    async def echo(stream: JambonzAudioStream) -> None:
        async for frame in stream:
            await stream.send_audio(frame)
    """
)

TESTS = textwrap.dedent(
    """
    from jambonz_runtime.testing import Simulator
    from jambonz_runtime.testing.pytest_plugin import AudioOpener
    from jambonz_runtime.testing.webhook import WebhookSimulator


    async def test_websocket(jambonz_simulator: Simulator) -> None:
        call = await jambonz_simulator.call("/", from_="+15550001111")
        ack = await call.expect_ack(call.session_msgid)
        assert ack.data[0] == {"verb": "say", "text": "Hello +15550001111"}


    async def test_audio(jambonz_audio: AudioOpener) -> None:
        client = await jambonz_audio("/echo")
        await client.send_audio(b"\\x01\\x00" * 160)
        assert await client.wait_audio(320) == b"\\x01\\x00" * 160


    async def test_webhook(jambonz_webhook: WebhookSimulator) -> None:
        call = await jambonz_webhook.call("/", from_="+15550002222")
        assert call.answer.verb_names == ["say", "hangup"]


    def test_sync_test_is_told_to_be_async(jambonz_simulator: Simulator) -> None:
        raise AssertionError("never runs")
    """
)


def test_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    pyproject = (SRC.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert f'[project.entry-points.pytest11]\n"{PLUGIN}" = "{PLUGIN}"' in pyproject
    found = [e for e in metadata.entry_points(group="pytest11") if e.value == PLUGIN]
    if found:  # installed (pip install -e .): the entry point names the module
        assert found[0].name == PLUGIN


def test_fixtures_drive_websocket_audio_and_webhook(tmp_path: Path) -> None:
    (tmp_path / "demo_app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "test_demo.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\njambonz_app = "demo_app:app"\n', encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(tmp_path)])}
    # -p: the plugin also when this suite runs from PYTHONPATH without an install (when
    # installed, the entry point of the same name has already loaded it).
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", PLUGIN, "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert "3 passed, 1 error" in out, out
    assert "jambonz_simulator runs on the test's event loop; write the test as `async def`" in out
