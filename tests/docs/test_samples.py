"""Every code sample of the docs site and the README is type-checked and run, so none rots.

The samples: each fenced ``python`` block of ``docs/**/*.md`` and ``README.md``, and each
schema example the verb reference renders as Python (``codegen.docs.pages``). Each
block is a whole module. The checks:

* all of them together under ``mypy --strict`` (one run, the project's configuration);
* each one imported (its top level runs), and, if it defines an ``app``, a call placed
  to every websocket path of that app through the simulator (``session:new`` must be
  acked), and to its ``asgi`` webhook app if it has one (the call hook must answer);
* the ``async def test_*`` functions some samples define (the testing guide) run under
  pytest with the package's plugin, their module's ``app`` as ``jambonz_app``.

Blocks under ``if __name__ == "__main__":`` are not run (the sample is imported). A
sample marked ``# sample: runs elsewhere (<where>)`` talks to a real service and is
only type-checked here; the named test runs it against a stand-in (e.g. the REST
sample against Prism in tests/runtime/rest).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from codegen.docs import pages
from jambonz_runtime import App, WebhookApp
from jambonz_runtime.testing import Simulator
from jambonz_runtime.testing.webhook import WebhookSimulator

ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@dataclass(frozen=True)
class Sample:
    name: str
    """A module name: ``docs_guides_testing_2``."""
    origin: str
    """Where it is written: ``docs/guides/testing.md`` block 2."""
    code: str


def _blocks(origin: str, text: str, prefix: str) -> list[Sample]:
    return [
        Sample(f"{prefix}_{n}", f"{origin} block {n}", m.group(1))
        for n, m in enumerate(_BLOCK.finditer(text), 1)
    ]


def _slug(path: str) -> str:
    return re.sub(r"\W+", "_", path.removesuffix(".md")).strip("_")


def collect() -> list[Sample]:
    """Every sample, in a stable order."""
    out = _blocks("README.md", (ROOT / "README.md").read_text(encoding="utf-8"), "readme")
    for path in sorted((ROOT / "docs").rglob("*.md")):
        rel = path.relative_to(ROOT).as_posix()
        out += _blocks(rel, path.read_text(encoding="utf-8"), _slug(rel))
    for rel, text in sorted(pages().items()):
        out += _blocks(f"generated {rel}", text, "gen_" + _slug(rel))
    return out


SAMPLES = collect()


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("doc_samples")
    for sample in SAMPLES:
        (folder / f"{sample.name}.py").write_text(sample.code, encoding="utf-8")
    return folder


def _env(*extra: Path) -> dict[str, str]:
    paths = [str(ROOT / "src"), str(ROOT), *(str(p) for p in extra)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def test_there_are_samples_everywhere() -> None:
    origins = {s.origin.split(" block")[0] for s in SAMPLES}
    assert "README.md" in origins
    assert "docs/getting-started.md" in origins
    assert sum(o.startswith("generated reference/verbs/") for o in origins) >= 30
    assert len({s.name for s in SAMPLES}) == len(SAMPLES)


def test_samples_pass_mypy_strict(sample_dir: Path) -> None:
    files = sorted(str(p) for p in sample_dir.glob("*.py"))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *files],
        cwd=ROOT,
        env={**_env(), "MYPYPATH": os.pathsep.join([str(ROOT / "src"), str(sample_dir)])},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    by_name = {s.name: s.origin for s in SAMPLES}
    report = re.sub(
        r"^.*?(\w+)\.py:",
        lambda m: f"{by_name.get(m.group(1), m.group(1))}:",
        proc.stdout,
        flags=re.M,
    )
    assert proc.returncode == 0, report + proc.stderr


def _load(sample: Sample, folder: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(sample.name, folder / f"{sample.name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[sample.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[sample.name]
    return module


async def _call_every_path(app: App) -> None:
    async with Simulator(app) as sim:
        for path in app.paths:
            call = await sim.call(path)
            ack = await call.expect_ack(call.session_msgid)
            assert ack.data, f"{path}: session:new acked with no verbs"
            await call.hangup()


async def _call_webhook(asgi: WebhookApp) -> None:
    secrets = asgi._secrets
    sim = WebhookSimulator(asgi, secret=secrets[0] if secrets else None)
    for path in asgi.app._session_handlers:
        call = await sim.call(path)
        assert call.answer.status == 200, call.answer
        assert call.answer.verbs, f"{path}: the call hook answered no verbs"


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_sample_runs(sample: Sample, sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = re.search(r"^# sample: runs elsewhere \((.+)\)$", sample.code, re.M)
    if elsewhere:
        assert (ROOT / elsewhere[1].split("::")[0]).exists(), elsewhere[1]
        return  # type-checked above; run against its stand-in by that test
    module = _load(sample, sample_dir)
    app = getattr(module, "app", None)
    if isinstance(app, App) and app.paths:
        asyncio.run(_call_every_path(app))
    asgi = getattr(module, "asgi", None)
    if isinstance(asgi, WebhookApp):
        asyncio.run(_call_webhook(asgi))
    capsys.readouterr()  # what a sample prints is for the reader


CONFTEST = '''
import pytest

from jambonz_runtime import App


@pytest.fixture
def jambonz_app(request: pytest.FixtureRequest) -> App:
    """Each sample tests its own module's app."""
    app = request.module.app
    assert isinstance(app, App)
    return app
'''


def test_sample_tests_pass(tmp_path: Path) -> None:
    with_tests = [s for s in SAMPLES if re.search(r"^async def test_", s.code, re.M)]
    assert len(with_tests) >= 2
    for sample in with_tests:
        (tmp_path / f"test_{sample.name}.py").write_text(sample.code, encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "jambonz_runtime.testing.pytest_plugin",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    count = sum(len(re.findall(r"^async def test_", s.code, re.M)) for s in with_tests)
    assert f"{count} passed" in proc.stdout
