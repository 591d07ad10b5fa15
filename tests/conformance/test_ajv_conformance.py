"""Cross-check with the real validator: the vendored ``@jambonz/schema`` (ajv) run by node.

The documents are those of the differential test (schema examples, rule cases,
mutations) and the real-world corpus; ajv's accept/reject must equal ours, except for
the differences listed in ``tests.fidelity.DELIBERATE``. Install the package once with::

    npm install --prefix .conformance @jambonz/schema@<version in schemas/SOURCE.toml>

(``.conformance/`` is git-ignored; :func:`install` runs exactly that.) Without node or
the package the tests skip and say why. Run them with ``pytest -m conformance``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pydantic import JsonValue, ValidationError

from codegen.config import load_config
from codegen.schemas import load_schemas
from jambonz_types.app import JambonzApp
from tests.fidelity import APP, all_cases, deliberate, ours_accepts, schema_files

__all__ = ["PACKAGE", "install"]

pytestmark = pytest.mark.conformance

REPO = Path(__file__).resolve().parents[2]
PREFIX = REPO / ".conformance"
PACKAGE = f"@jambonz/schema@{load_schemas(load_config()).version.split('+')[0]}"
SCRIPT = Path(__file__).with_name("ajv_check.js")
CORPUS = REPO / "tests" / "corpus" / "data" / "verbs.jsonl"


def install(prefix: Path = PREFIX) -> None:
    """Install the real validator: ``npm install --prefix .conformance`` :data:`PACKAGE`."""
    subprocess.run(["npm", "install", "--prefix", str(prefix), PACKAGE], check=True)


def _ajv(cases: list[tuple[str, JsonValue]]) -> list[bool]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the conformance check runs ajv under node")
    if not (PREFIX / "node_modules" / "@jambonz" / "schema" / "package.json").is_file():
        pytest.skip(f"{PACKAGE} is not installed; run: npm install --prefix .conformance {PACKAGE}")
    ids = {key: str(f.doc["$id"]) for key, f in schema_files().items()}
    lines = "".join(
        json.dumps({"target": t, "id": ids.get(t, ""), "doc": d}) + "\n" for t, d in cases
    )
    proc = subprocess.run(
        [node, str(SCRIPT), str(PREFIX)],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answers = [json.loads(line)["valid"] for line in proc.stdout.splitlines()]
    assert len(answers) == len(cases)
    return [bool(a) for a in answers]


def test_ajv_agrees_with_our_models_on_the_differential_documents() -> None:
    cases = all_cases()
    verdicts = _ajv([(c.target, c.doc) for c in cases])
    wrong = []
    for case, ajv_ok in zip(cases, verdicts, strict=False):
        ours_ok, error = ours_accepts(case)
        if ours_ok != ajv_ok and deliberate(case, ajv_ok, ours_ok) is None:
            wrong.append(f"{case.origin}: ajv={ajv_ok} ours={ours_ok} {error}")
    assert not wrong, f"{len(wrong)} of {len(cases)} disagree:\n" + "\n".join(wrong[:20])
    assert len(cases) >= 1000


def test_ajv_agrees_with_our_models_on_the_corpus() -> None:
    entries = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    verdicts = _ajv([(APP, e["verbs"]) for e in entries])
    for entry, ajv_ok in zip(entries, verdicts, strict=False):
        assert ajv_ok == entry["ajv_valid_0_4_15"], entry["source"]
        try:
            JambonzApp.model_validate(entry["verbs"], by_alias=True, by_name=False)
            ours_ok = True
        except ValidationError:
            ours_ok = False
        assert ours_ok == ajv_ok, entry["source"]


def test_case_targets_are_known_schemas() -> None:
    known = set(schema_files()) | {APP}
    assert {c.target for c in all_cases()} <= known
