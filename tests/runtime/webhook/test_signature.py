"""``Jambonz-Signature`` signing and verification (jambonz_runtime.webhook.signature)."""

from __future__ import annotations

import pytest

from jambonz_runtime import ConfigurationError, JambonzError, SignatureError
from jambonz_runtime.webhook.signature import (
    compute_signature,
    is_valid_signature,
    parse_signature_header,
    sign,
    verify_signature,
)

# Computed with the feature-server's own code path (node: crypto.createHmac('sha256',
# secret).update(`${t}.${JSON.stringify(payload)}`, 'utf8').digest('hex')).
NODE_BODY = '{"call_sid":"abc","from":"+1555","nested":{"é":"ü"}}'.encode()
NODE_SECRET = "s3cret-ü"
NODE_T = 1700000000
NODE_V1 = "d2864c56f2e3fba03e84e9b5c2fdfddc1dfe790d57a6c8f037206b1e4f51213f"

BODY = b'{"call_sid":"c1","call_status":"trying"}'
SECRET = "wh_secret"
NOW = 1_800_000_000.0


def _reason(header: str | None, body: bytes = BODY, secret: str | list[str] = SECRET) -> str:
    with pytest.raises(SignatureError) as info:
        verify_signature(header, body, secret, now=NOW)
    assert isinstance(info.value, JambonzError)
    return info.value.reason


def test_matches_the_feature_server_hmac() -> None:
    assert compute_signature(NODE_BODY, NODE_SECRET, NODE_T) == NODE_V1
    assert compute_signature(NODE_BODY.decode(), NODE_SECRET, NODE_T) == NODE_V1
    header = f"t={NODE_T},v1={NODE_V1}"
    assert verify_signature(header, NODE_BODY, NODE_SECRET, now=NODE_T + 10) == NODE_T
    assert sign(NODE_BODY, NODE_SECRET, timestamp=NODE_T) == header


def test_valid_signature_returns_its_timestamp() -> None:
    header = sign(BODY, SECRET, timestamp=int(NOW))
    assert verify_signature(header, BODY, SECRET, now=NOW) == int(NOW)
    assert is_valid_signature(header, BODY, SECRET, now=NOW)


def test_sign_defaults_to_now() -> None:
    assert verify_signature(sign(BODY, SECRET), BODY, SECRET, tolerance=5) > 0


def test_tampered_body_is_a_mismatch() -> None:
    header = sign(BODY, SECRET, timestamp=int(NOW))
    assert _reason(header, BODY.replace(b"trying", b"ringing")) == "mismatch"
    assert _reason(header, BODY + b" ") == "mismatch"  # raw bytes, not re-serialised JSON


def test_wrong_secret_is_a_mismatch() -> None:
    header = sign(BODY, "another secret", timestamp=int(NOW))
    assert _reason(header) == "mismatch"
    assert not is_valid_signature(header, BODY, SECRET, now=NOW)


def test_changed_timestamp_is_a_mismatch() -> None:
    header = sign(BODY, SECRET, timestamp=int(NOW))
    forged = header.replace(f"t={int(NOW)}", f"t={int(NOW) + 1}")
    assert _reason(forged) == "mismatch"


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_stale_or_future_timestamp(offset: int) -> None:
    header = sign(BODY, SECRET, timestamp=int(NOW) + offset)
    assert _reason(header) == "stale"


def test_tolerance_is_configurable_and_can_be_disabled() -> None:
    old = sign(BODY, SECRET, timestamp=int(NOW) - 1000)
    assert verify_signature(old, BODY, SECRET, tolerance=None, now=NOW) == int(NOW) - 1000
    assert verify_signature(old, BODY, SECRET, tolerance=1000, now=NOW)
    with pytest.raises(SignatureError, match="stale"):
        verify_signature(old, BODY, SECRET, tolerance=999, now=NOW)
    recent = sign(BODY, SECRET, timestamp=int(NOW) - 300)
    assert verify_signature(recent, BODY, SECRET, now=NOW)  # the default 300 s is inclusive


def test_several_v1_values_any_may_match() -> None:
    good = compute_signature(BODY, SECRET, int(NOW))
    bad = compute_signature(BODY, "old", int(NOW))
    for header in (
        f"t={int(NOW)},v1={bad},v1={good}",
        f"t={int(NOW)},v1={good},v1={bad}",
        f"v1={bad}, t={int(NOW)}, v0=whatever, v1={good.upper()}",
    ):
        assert verify_signature(header, BODY, SECRET, now=NOW) == int(NOW)
    assert _reason(f"t={int(NOW)},v1={bad},v1={bad[::-1]}") == "mismatch"


def test_several_secrets_for_rotation() -> None:
    header = sign(BODY, "new secret", timestamp=int(NOW))
    assert verify_signature(header, BODY, ["old secret", "new secret"], now=NOW)
    assert _reason(header, secret=["old secret", "other"]) == "mismatch"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header: str | None) -> None:
    assert _reason(header) == "missing"


@pytest.mark.parametrize(
    "header",
    [
        "v1=abc",  # no t
        f"t={int(NOW)}",  # no v1
        f"t={int(NOW)},t={int(NOW)},v1=abc",  # two t
        "t=yesterday,v1=abc",
        "t=-5,v1=abc",
        "t=\uff11\uff12\uff13,v1=abc",  # non-ASCII (full-width) digits
        f"t={int(NOW)},v1",  # item without '='
        "garbage",
    ],
)
def test_malformed_header(header: str) -> None:
    assert _reason(header) == "malformed"


def test_non_ascii_signature_value_is_a_mismatch_not_a_crash() -> None:
    assert _reason(f"t={int(NOW)},v1=é\udcff") == "mismatch"


def test_parse_signature_header() -> None:
    assert parse_signature_header("t=12, v1=AB ,v1=cd,v2=x") == (12, ["ab", "cd"])


def test_secret_must_be_given() -> None:
    header = sign(BODY, SECRET, timestamp=int(NOW))
    for secret in ("", [], ["ok", ""]):
        with pytest.raises(ConfigurationError):
            verify_signature(header, BODY, secret, now=NOW)
    with pytest.raises(ConfigurationError):
        sign(BODY, "")
