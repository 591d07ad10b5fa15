"""Issue 21 item 4 (webhook side) and item 12: the README's uvicorn command shows the app.

A real uvicorn process (the ``webhook`` extra) serves a webhook app that configured no
logging; its stderr must show the runtime's startup line and the handler's
``session.log.info(...)``, which Python's default WARNING root logger used to swallow.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from jambonz_runtime._log import show_logs

SRC = Path(__file__).resolve().parents[2] / "src"

APP = textwrap.dedent(
    """
    from jambonz_runtime import App, CallContext, WebhookApp
    from jambonz_types import Verbs
    from jambonz_types.callbacks import SessionNewCallback

    app = App[CallContext]()


    @app.on_session("/")
    async def hello(session: CallContext, call: SessionNewCallback) -> Verbs:
        session.log.info("greeting caller %s", call.from_)
        return Verbs().say(text="Hi").hangup()


    asgi = WebhookApp(app)
    """
)


def test_uvicorn_shows_startup_line_and_handler_logs(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn", reason="uvicorn comes with the test and webhook extras")
    (tmp_path / "hook_app.py").write_text(APP, encoding="utf-8")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(tmp_path)])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "hook_app:asgi", "--fd", str(listener.fileno())],
        cwd=tmp_path,
        env=env,
        pass_fds=[listener.fileno()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The socket already listens: the request waits in its backlog until uvicorn runs.
        body = {"call_sid": "sid-21", "from": "+15551230000", "to": "+15559870000"}
        reply = httpx.post(f"http://127.0.0.1:{port}/", json=body, timeout=30)
        assert reply.status_code == 200, reply.text
        assert reply.json()[0] == {"verb": "say", "text": "Hi"}
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
        listener.close()
    logs = out + err
    assert (
        "jambonz-typed webhook app ready: call hooks /; call status /call-status "
        "(signatures NOT checked)"
    ) in logs
    assert "[sid-21] greeting caller +15551230000" in logs


def test_configured_logging_is_left_alone() -> None:
    logger = logging.getLogger("jambonz_runtime")
    assert logger.hasHandlers()  # pytest's capture handler on the root counts as setup
    before = list(logger.handlers)
    assert show_logs() is False
    assert logger.handlers == before


def test_webhook_extra_brings_uvicorn() -> None:
    text = (SRC.parent / "pyproject.toml").read_text(encoding="utf-8")
    extras = text[text.index("[project.optional-dependencies]") : text.index("[project.scripts]")]
    webhook = extras[extras.index("\nwebhook = [") :].split("]", 1)[0]
    assert '"uvicorn' in webhook
    readme = (SRC.parent / "README.md").read_text(encoding="utf-8")
    assert "pip install 'jambonz-typed[webhook]'" in readme
