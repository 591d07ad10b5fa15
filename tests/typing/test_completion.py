"""Editors complete inside dicts: asked through pyright's real language server.

``pyright-langserver --stdio`` is started on a scratch workspace that sees this
checkout's ``src``; the test opens a file ending in ``Verbs().gather(say={"`` and asks
for completions at the cursor, as an editor does while the user types. The nested say
keys (``text``, ``synthesizer``, ...) must be offered with their value types, and the
schema's description must show for a key (hover). pyright (1.1.414) attaches no
documentation to TypedDict key completion items, only the value type (``detail``;
its completion provider passes nothing else), so the description is asserted where
pyright shows it: on the key in the dict literal. Every read has a deadline and the
server is shut down (killed if it does not exit) by the fixture that started it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue
from typing import cast

import pytest
from pydantic import JsonValue

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0
"""Seconds for the whole conversation (the first completion loads the package)."""

Message = dict[str, JsonValue]


class LanguageServer:
    """A minimal LSP client over the server's stdio (Content-Length framed JSON-RPC)."""

    def __init__(self, proc: subprocess.Popen[bytes], settings: Message) -> None:
        self.proc = proc
        self.settings = settings
        self.inbox: Queue[Message | None] = Queue()
        self.next_id = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.deadline = time.monotonic() + TIMEOUT

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.inbox.put(json.loads(out.read(length)))

    def _write(self, message: Message) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def notify(self, method: str, params: JsonValue) -> None:
        self._write({"method": method, "params": params})

    def request(self, method: str, params: JsonValue) -> JsonValue:
        """Send a request and answer the server's own requests until its response arrives."""
        self.next_id += 1
        ident = self.next_id
        self._write({"id": ident, "method": method, "params": params})
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to {method} within {TIMEOUT} s")
            try:
                message = self.inbox.get(timeout=left)
            except Empty:
                continue
            if message is None:
                raise ConnectionError("the language server closed its output")
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result")
            if "id" in message and "method" in message:
                self._answer(message)

    def _answer(self, message: Message) -> None:
        result: JsonValue = None
        if message["method"] == "workspace/configuration":
            params = cast("dict[str, list[dict[str, str]]]", message["params"])
            result = [self.settings.get(item.get("section", ""), {}) for item in params["items"]]
        self._write({"id": message["id"], "result": result})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[LanguageServer]:
    """One language server for the module (its first analysis of the package is slow)."""
    settings: Message = {
        "python": {"pythonPath": sys.executable},
        "python.analysis": {"extraPaths": [str(ROOT / "src")], "typeCheckingMode": "basic"},
    }
    (workspace / "pyrightconfig.json").write_text(
        json.dumps({"extraPaths": [str(ROOT / "src")], "pythonVersion": "3.10"}), encoding="utf-8"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyright.langserver", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=workspace,
        start_new_session=True,  # its own process group: the wrapper and its node child
    )
    client = LanguageServer(proc, settings)
    try:
        client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": workspace.as_uri(),
                "workspaceFolders": [{"uri": workspace.as_uri(), "name": "app"}],
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {
                        "completion": {
                            "completionItem": {
                                "documentationFormat": ["plaintext", "markdown"],
                                "snippetSupport": False,
                            }
                        }
                    },
                },
            },
        )
        client.notify("initialized", {})
        yield client
        client.request("shutdown", None)
        client.notify("exit", None)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this fixture created
            proc.wait(timeout=10)
        client.reader.join(timeout=10)  # ends at EOF, which the exit above guarantees
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()


def _complete(server: LanguageServer, path: Path, text: str) -> list[dict[str, JsonValue]]:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    lines = text.split("\n")
    position: JsonValue = {"line": len(lines) - 1, "character": len(lines[-1])}
    result = server.request(
        "textDocument/completion", {"textDocument": {"uri": uri}, "position": position}
    )
    items = result["items"] if isinstance(result, dict) else result
    assert isinstance(items, list)
    return [cast("dict[str, JsonValue]", item) for item in items]


def _hover(server: LanguageServer, path: Path, line: int, character: int) -> str:
    result = server.request(
        "textDocument/hover",
        {
            "textDocument": {"uri": path.as_uri()},
            "position": {"line": line, "character": character},
        },
    )
    assert isinstance(result, dict)
    contents = result["contents"]
    return str(contents["value"] if isinstance(contents, dict) else contents)


def test_completion_inside_a_nested_say_dict_offers_its_keys(
    server: LanguageServer, workspace: Path
) -> None:
    text = 'from jambonz_types import Verbs\n\nVerbs().gather(say={"'
    items = _complete(server, workspace / "say.py", text)
    by_label = {str(item["label"]).strip("\"'"): item for item in items}
    assert {"text", "synthesizer", "earlyMedia", "loop"} <= set(by_label), sorted(by_label)
    assert "verb" not in by_label  # a nested prompt has no verb key
    assert by_label["text"]["detail"] == "str | list[str]"
    assert by_label["synthesizer"]["detail"] == "SynthesizerDict"


def test_a_key_in_a_dict_literal_shows_its_schema_description(
    server: LanguageServer, workspace: Path
) -> None:
    path = workspace / "hover.py"
    text = 'from jambonz_types import Verbs\n\nVerbs().gather(say={"text": "Press 1"})\n'
    _complete(server, path, text)  # opens the document
    hover = _hover(server, path, 2, text.split("\n")[2].index('"text"') + 2)
    assert "(key) text: str | list[str]" in hover, hover
    assert "The text to speak. Can be plain text or SSML markup." in hover, hover


def test_completion_inside_a_nested_synthesizer_dict(
    server: LanguageServer, workspace: Path
) -> None:
    items = _complete(
        server,
        workspace / "synth.py",
        'from jambonz_types import Verbs\n\nVerbs().say(text="x", synthesizer={"',
    )
    labels = {str(item["label"]).strip("\"'") for item in items}
    assert {"vendor", "language", "voice"} <= labels, sorted(labels)
