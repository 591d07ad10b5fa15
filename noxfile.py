"""Developer and CI tasks: ``python -m nox`` runs the tests, ``-s NAME`` any other session.

Sessions: tests (default), typecheck, lint, codegen, codegen_check, conformance, package,
docs, bench. ``python -m nox -l`` lists them.

Why every session runs in the interpreter nox itself runs under (``venv_backend="none"``)
instead of building its own virtualenv: all sessions use the same pinned ``.[dev]`` set,
there is no Python-version matrix yet, and a fresh virtualenv per session would install
pydantic, datamodel-code-generator, mypy, pyright and friends six times (most of a CI
run's time). So the one setup step is ``pip install -e '.[dev]'`` into a venv, then
``python -m nox ...`` from that venv; ``.ci/run`` and the README do exactly that. If a
tool is missing, the session stops with that install command instead of a traceback.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import nox

__all__ = [
    "bench",
    "codegen",
    "codegen_check",
    "conformance",
    "docs",
    "lint",
    "package",
    "tests",
    "typecheck",
]

ROOT = Path(__file__).resolve().parent


def _schema_version() -> str:
    """The vendored @jambonz/schema release (``schemas/SOURCE.toml``, build metadata cut).

    A set vendored from a checkout is ``0.4.16+git.<commit>``: the conformance check then
    runs the validator of the release it is based on.
    """
    text = (ROOT / "schemas" / "SOURCE.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"+]+)', text, re.M)
    if match is None:
        raise SystemExit("schemas/SOURCE.toml has no version line")
    return match.group(1)


SCHEMA_VERSION = _schema_version()
"""The @jambonz/schema version the conformance session installs (the vendored one)."""
TYPED_PACKAGES = ("jambonz_types", "jambonz_runtime")

nox.options.default_venv_backend = "none"
nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = True

PY = sys.executable
"""Every tool runs as ``python -m tool`` with nox's own interpreter (see module docstring)."""


def _env() -> dict[str, str]:
    # ``src`` on the path makes the sessions work before ``pip install -e .`` too (for
    # example in a shared tools venv); with the editable install it changes nothing.
    paths = [str(ROOT / "src"), str(ROOT)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {"PYTHONPATH": os.pathsep.join(paths)}


def _require(session: nox.Session, *modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        session.error(
            f"{', '.join(missing)} not installed in {PY}; run: python -m pip install -e '.[dev]'"
        )


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite except the npm-backed conformance cross-check.

    The REST suite (tests/runtime/rest/test_api_*.py) runs against Prism, which its fixture
    installs from npm into the gitignored .prism/ on first use (about 25 s; skipped with
    the reason when npm is absent).
    """
    # mypy and pyright: tests/typing runs both on the typing claims (and pyright's
    # language server for editor completion), so they must not be skipped.
    _require(session, "pytest", "jsonschema", "hypothesis", "pydantic", "mypy", "pyright")
    session.run(PY, "-m", "pytest", "-m", "not conformance", *session.posargs, env=_env())


def _verifytypes(session: nox.Session, package: str) -> None:
    proc = session.run(
        PY,
        "-m",
        "pyright",
        "--verifytypes",
        package,
        "--ignoreexternal",
        "--outputjson",
        env=_env(),
        silent=True,
        success_codes=[0, 1],  # 1 = "not complete": decided below from the JSON
    )
    assert isinstance(proc, str)
    report = json.loads(proc[proc.index("{") :])
    completeness = report["typeCompleteness"]
    counts = completeness["exportedSymbolCounts"]
    total = sum(counts.values())
    problems = [
        f"{sym['name']}: {diag['message'].splitlines()[0]}"
        for sym in completeness.get("symbols", [])
        for diag in sym.get("diagnostics", [])
        if diag.get("severity") == "error"
    ]
    if total == 0 and not problems:
        session.log(f"verifytypes {package}: no public symbols yet (vacuously complete)")
        return
    score = 100.0 * completeness["completenessScore"]
    session.log(
        f"verifytypes {package}: {score:.1f} % type-complete "
        f"({counts['withKnownType']} known, {counts['withAmbiguousType']} ambiguous, "
        f"{counts['withUnknownType']} unknown of {total} public symbols)"
    )
    if problems or counts["withAmbiguousType"] or counts["withUnknownType"]:
        for line in problems[:40]:
            session.log(f"  {line}")
        session.error(f"pyright --verifytypes {package} is below 100 %")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src, tests and examples; pyright --verifytypes must be 100 %."""
    _require(session, "mypy", "pyright")
    session.run(PY, "-m", "mypy", *session.posargs, env=_env())  # paths from pyproject
    for package in TYPED_PACKAGES:
        _verifytypes(session, package)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff format --check, ruff check, and the import-linter layering contracts."""
    _require(session, "ruff", "importlinter")
    session.run(PY, "-m", "ruff", "format", "--check", ".")
    session.run(PY, "-m", "ruff", "check", ".")
    # The layers and the no-cycles rule of both packages ([tool.importlinter] in
    # pyproject.toml; README "Architecture").
    lint_imports = (
        "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    )
    session.run(PY, "-c", lint_imports, env=_env())


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate src/jambonz_types from schemas/."""
    _require(session, "datamodel_code_generator", "jinja2", "ruff")
    session.run(PY, "-m", "codegen", *session.posargs, env=_env())


@nox.session
def codegen_check(session: nox.Session) -> None:
    """Fail with a diff if src/jambonz_types is not exactly what the schemas produce."""
    _require(session, "datamodel_code_generator", "jinja2", "ruff")
    session.run(PY, "-m", "codegen", "--check", env=_env())


@nox.session
def conformance(session: nox.Session) -> None:
    """Compare our accept/reject with the real ajv validator of @jambonz/schema (needs npm)."""
    _require(session, "pytest", "jsonschema")
    session.run(
        "npm",
        "install",
        "--no-audit",
        "--no-fund",
        "--prefix",
        str(ROOT / ".conformance"),
        f"@jambonz/schema@{SCHEMA_VERSION}",
        external=True,
    )
    if not any((ROOT / "tests" / "conformance").glob("test_*.py")):
        # Only this case may pass without running anything: the tests are not written yet.
        session.skip("tests/conformance has no test modules yet")
    session.run(
        PY, "-m", "pytest", "-m", "conformance", "tests/conformance", *session.posargs, env=_env()
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site strictly (any warning fails); ``-- serve`` to preview.

    The verb and callback reference is generated from the schemas during the build
    (codegen/mkdocs_hook.py). The code samples are checked by the test suite
    (tests/docs: mypy --strict and a run against the simulator).
    """
    _require(session, "mkdocs", "material", "mkdocstrings_handlers.python")
    if session.posargs[:1] == ["serve"]:
        session.run(PY, "-m", "mkdocs", "serve", *session.posargs[1:], env=_env())
        return
    site = Path(session.create_tmp()) / "site"
    env = {**_env(), "NO_MKDOCS_2_WARNING": "1"}  # a banner about MkDocs' future, not ours
    session.run(PY, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site), env=env)


@nox.session
def package(session: nox.Session) -> None:
    """Build the wheel and check it ships both packages, py.typed and nothing else."""
    tmp = Path(session.create_tmp())
    dist = tmp / "dist"
    session.run(PY, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT))
    wheels = sorted(dist.glob("jambonz_typed-*.whl"))
    if len(wheels) != 1:
        session.error(f"expected one jambonz_typed wheel in {dist}, found {wheels}")
    session.run(PY, str(ROOT / ".ci" / "check_wheel.py"), str(wheels[0]))


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks vs the official SDKs and bare websockets (``-- --quick`` for a smoke run).

    Not a pass/fail test: writes bench/results/latest.md (``-- --update-readme`` puts the
    table in README.md). Installs jambonz-python-sdk into bench/.venvs and @jambonz/sdk
    into bench/.node on first use (network once; npm for the latter).
    """
    session.run(PY, "-m", "bench", *session.posargs, env=_env())
