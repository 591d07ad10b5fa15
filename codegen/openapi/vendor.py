"""``python -m codegen vendor-api <git ref | path>``: replace ``openapi/swagger.yaml``.

The spec is the api-server's own file, byte for byte: from a git ref of
github.com/jambonz/jambonz-api-server (``lib/swagger/swagger.yaml`` at that ref, over
HTTPS from raw.githubusercontent.com, with the repository's LICENSE) or from a local
file (a checkout's ``lib/swagger/swagger.yaml``, with the LICENSE beside the checkout
root if present). It must parse as an OpenAPI 3 document. ``openapi/SOURCE.toml``
records where it came from, its sha256 and the licence; fixes stay in
``overrides.yaml``. Regenerating (``python -m codegen``) is a separate, reviewable step.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import urllib.request
from pathlib import Path

import yaml  # type: ignore[import-untyped]

from .spec import SPEC_DIR

__all__ = ["main", "source_toml", "vendor_api"]

REPO = "jambonz/jambonz-api-server"
SPEC_PATH = "lib/swagger/swagger.yaml"
_REF = re.compile(r"^[0-9A-Za-z._/-]{1,100}$")


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:  # a fixed https host
        data: bytes = answer.read(20 * 1024 * 1024)
        return data


def source_toml(*, ref: str, origin: str, sha256: str, version: str, license_name: str) -> str:
    """The provenance record written next to the spec."""
    return (
        "# Provenance of swagger.yaml (vendored byte for byte; fixes live in overrides.yaml).\n"
        "# Refresh with: python -m codegen vendor-api <git ref | path to swagger.yaml>\n"
        f'repository = "https://github.com/{REPO}"\n'
        f'path = "{SPEC_PATH}"\n'
        f'ref = "{ref}"\n'
        f'origin = "{origin}"\n'
        f'spec_version = "{version}"\n'
        f'sha256 = "{sha256}"\n'
        f'license = "{license_name}"\n'
        'license_file = "LICENSE"\n'
    )


def vendor_api(source: str, out: Path = SPEC_DIR) -> str:
    """Vendor the spec named by ``source`` (a file path or a git ref) into ``out``."""
    path = Path(source)
    if path.is_file():
        spec = path.read_bytes()
        licence_path = next(
            (p / "LICENSE" for p in path.resolve().parents if (p / "LICENSE").is_file()), None
        )
        licence = licence_path.read_bytes() if licence_path else None
        ref, origin = "local file", str(path.resolve())
    else:
        if not _REF.match(source):
            raise SystemExit(f"not a file and not a git ref: {source!r}")
        base = f"https://raw.githubusercontent.com/{REPO}/{source}"
        spec, licence = _fetch(f"{base}/{SPEC_PATH}"), _fetch(f"{base}/LICENSE")
        ref, origin = source, f"{base}/{SPEC_PATH}"
    document = yaml.safe_load(spec)
    if not (isinstance(document, dict) and str(document.get("openapi", "")).startswith("3.")):
        raise SystemExit(f"{source}: not an OpenAPI 3 document")
    info = document.get("info") or {}
    licence_name = str((info.get("license") or {}).get("name") or "see LICENSE")
    out.mkdir(parents=True, exist_ok=True)
    (out / "swagger.yaml").write_bytes(spec)
    if licence is not None:
        (out / "LICENSE").write_bytes(licence)
    digest = hashlib.sha256(spec).hexdigest()
    (out / "SOURCE.toml").write_text(
        source_toml(
            ref=ref,
            origin=origin,
            sha256=digest,
            version=str(info.get("version", "?")),
            license_name=licence_name,
        ),
        encoding="utf-8",
    )
    return digest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen vendor-api", description=__doc__)
    parser.add_argument("source", help="a git ref of jambonz-api-server, or a swagger.yaml path")
    args = parser.parse_args(argv)
    digest = vendor_api(args.source)
    print(f"vendored {args.source} into {SPEC_DIR} (sha256 {digest}); now run: python -m codegen")
    return 0
