"""Prism (``@stoplight/prism-cli``) as a mock jambonz API server generated from the effective spec.

Prism validates every request against the spec (path, query, body, bearer auth; a
mismatch is answered 422 with the violations) and answers with spec-shaped responses.
It is installed from npm into the gitignored ``.prism/`` of the repository on first use
(``PRISM_VERSION`` pinned; CI has npm), started on a free 127.0.0.1 port with the
effective spec (overrides applied, paths under ``/v1`` like the real server) and stopped
by its PID. Readiness is Prism's own "listening" line, read from its output by a thread
that keeps draining it (an undrained pipe would block Prism), bounded by a deadline.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRISM_DIR = ROOT / ".prism"
PRISM_VERSION = "5.16.0"
PRISM_BIN = PRISM_DIR / "node_modules" / ".bin" / "prism"
START_TIMEOUT = 90.0

__all__ = ["PRISM_VERSION", "install_prism", "prism_server"]


def install_prism() -> Path | None:
    """The prism executable, installed with npm if needed; ``None`` when npm is absent."""
    if PRISM_BIN.exists():
        return PRISM_BIN
    npm = shutil.which("npm")
    if npm is None:
        return None
    PRISM_DIR.mkdir(exist_ok=True)
    subprocess.run(
        [npm, "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", "--silent",
         f"@stoplight/prism-cli@{PRISM_VERSION}"],
        check=True,
        timeout=600,
    )  # fmt: skip
    return PRISM_BIN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def prism_document(tmp: Path) -> Path:
    """The effective spec with every path under ``/v1``, written for Prism."""
    from codegen.openapi.generate import effective_spec

    doc = json.loads(json.dumps(effective_spec().document))
    doc["paths"] = {f"/v1{path}": item for path, item in doc["paths"].items()}
    doc["servers"] = [{"url": "/"}]
    out = tmp / "jambonz-api.json"
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


@contextmanager
def prism_server(prism: Path, tmp: Path) -> Iterator[str]:
    """Run Prism on the effective spec; yield its base URL; stop exactly that process."""
    spec = prism_document(tmp)
    port = _free_port()
    proc = subprocess.Popen(
        [str(prism), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    ready = threading.Event()
    lines: list[str] = []

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if len(lines) < 2000:
                lines.append(line)
            if "listening on" in line:
                ready.set()
        ready.set()  # exited: wake the waiter, which then sees the process gone

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not ready.wait(START_TIMEOUT) or proc.poll() is not None:
            raise RuntimeError("prism did not start:\n" + "".join(lines[-40:]))
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        reader.join(timeout=15)
        if proc.stdout is not None:
            proc.stdout.close()
