"""The OpenAPI side of codegen: vendoring, the overrides file, and what the overrides fix.

The generated clients are exercised against Prism in tests/runtime/rest/test_api_prism.py;
these tests pin the inputs: every override is documented, the vendored spec is the one
SOURCE.toml names, and the live call-control body covers every key the feature-server
reads (jambonz-feature-server 0.9.8, lib/session/call-session.js updateCall and
lib/http-routes/api/update-call.js).
"""

from __future__ import annotations

import copy
import hashlib
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from codegen.openapi.generate import effective_spec
from codegen.openapi.operations import build_operations, snake
from codegen.openapi.spec import SPEC_DIR, apply_overrides
from codegen.openapi.vendor import vendor_api

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FEATURE_SERVER_KEYS = {
    "call_hook", "child_call_hook", "call_status_hook", "parent_call", "child_call",
    "call_status", "listen_status", "stream_status", "transcribe_status", "mute_status",
    "conf_hold_status", "wait_hook", "conf_mute_status", "whisper", "sip_request", "dtmf",
    "record", "tag", "conferenceParticipantAction", "dub", "boostAudioSignal", "media_path",
    "llm_tool_output", "tool_call_id", "llm_update",
}  # fmt: skip


def test_vendored_spec_matches_its_source_record() -> None:
    source = tomllib.loads((SPEC_DIR / "SOURCE.toml").read_text(encoding="utf-8"))
    digest = hashlib.sha256((SPEC_DIR / "swagger.yaml").read_bytes()).hexdigest()
    assert source["sha256"] == digest
    assert source["license"] == "MIT"
    assert "MIT License" in (SPEC_DIR / source["license_file"]).read_text(encoding="utf-8")


def test_vendor_api_from_a_local_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "api-server"
    (checkout / "lib" / "swagger").mkdir(parents=True)
    (checkout / "lib" / "swagger" / "swagger.yaml").write_bytes(
        (SPEC_DIR / "swagger.yaml").read_bytes()
    )
    (checkout / "LICENSE").write_text("MIT License\n", encoding="utf-8")
    out = tmp_path / "out"
    digest = vendor_api(str(checkout / "lib" / "swagger" / "swagger.yaml"), out)
    assert (out / "swagger.yaml").read_bytes() == (SPEC_DIR / "swagger.yaml").read_bytes()
    assert tomllib.loads((out / "SOURCE.toml").read_text(encoding="utf-8"))["sha256"] == digest
    assert (out / "LICENSE").read_text(encoding="utf-8") == "MIT License\n"
    (checkout / "bad.yaml").write_text("just: text\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="not an OpenAPI 3 document"):
        vendor_api(str(checkout / "bad.yaml"), out)


def test_every_override_says_why_and_which_upstream_issue() -> None:
    overrides = yaml.safe_load((SPEC_DIR / "overrides.yaml").read_text(encoding="utf-8"))
    entries = [e for section in overrides.values() for e in section]
    assert entries
    for entry in entries:
        assert str(entry.get("reason", "")).strip(), entry
        assert str(entry.get("upstream", "")).strip(), entry
    document = yaml.safe_load((SPEC_DIR / "swagger.yaml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(overrides)
    del broken["patch"][0]["reason"]
    with pytest.raises(SystemExit, match="lacks reason"):
        apply_overrides(document, broken)


@pytest.mark.parametrize(
    ("section", "entry", "message"),
    [
        ("exclude", {"operations": ["gone"]}, "unknown operations"),
        ("patch", {"at": "schema Gone", "merge-properties": {}}, "not in the spec"),
        ("int-bools", {"schemas": ["Gone"]}, "not in the spec"),
        ("names", {"operation": "gone", "method": "x"}, "no operation 'gone'"),
        ("partial-bodies", {"operations": ["gone"]}, "no operation 'gone'"),
    ],
)
def test_an_override_that_no_longer_applies_stops_the_generator(
    section: str, entry: dict[str, object], message: str
) -> None:
    document = yaml.safe_load((SPEC_DIR / "swagger.yaml").read_text(encoding="utf-8"))
    bad = {section: [{**entry, "reason": "r", "upstream": "u"}]}
    with pytest.raises(SystemExit, match=message):
        apply_overrides(document, bad)


def test_live_call_control_body_covers_the_feature_server() -> None:
    body = effective_spec().document["components"]["schemas"]["UpdateCallRequest"]
    assert set(body["properties"]) >= FEATURE_SERVER_KEYS
    from jambonz_types.api import UpdateCallRequest

    wire_names = {f.validation_alias or name for name, f in UpdateCallRequest.model_fields.items()}
    assert wire_names >= FEATURE_SERVER_KEYS


def test_operations_cover_the_spec_and_portal_routes_are_out() -> None:
    ops = build_operations(effective_spec())
    ids = {o.operation_id for o in ops}
    assert {"listAccountApplications", "listClients", "createAccountVoipCarrier"} <= ids
    assert not ids & {"login", "registerUser", "retrieveInvoice", "manageSubscription"}
    assert len(ops) == len(ids)
    assert {(o.resource, o.method) for o in ops} >= {
        ("applications", "create"),
        ("phone_numbers", "update"),
        ("recent_calls", "list"),
        ("calls", "update"),
    }
    assert next(o for o in ops if o.operation_id == "createUser").path == "/Users"


@pytest.mark.parametrize(
    ("wire", "py"),
    [
        ("VoipCarrierSid", "voip_carrier_sid"),
        ("callStatus", "call_status"),
        ("ApiKeys", "api_keys"),
    ],
)
def test_snake(wire: str, py: str) -> None:
    assert snake(wire) == py
