"""``python -m codegen vendor VERSION``: replace ``schemas/`` with a published @jambonz/schema.

The schemas are the single source of truth of this project, so they come from the npm
registry exactly as published and are never edited by hand (fixes are declared codegen
overrides). This command:

1. runs ``npm pack @jambonz/schema@VERSION --json`` in a temporary directory;
2. checks the tarball's sha512 against both the registry's ``dist.integrity``
   (``npm view``) and what ``npm pack`` reported, and refuses on any mismatch;
3. reads every ``*.schema.json`` directly under ``verbs/``, ``components/``,
   ``callbacks/``, ``commands/`` plus ``jambonz-app.schema.json`` out of the archive
   (nothing is extracted to disk, so a hostile archive path cannot escape);
4. replaces ``schemas/`` with exactly those files, a ``SOURCE.toml`` provenance record
   and a ``LICENSE.md`` notice for the upstream MIT licence.

It does not regenerate ``src/jambonz_types``: that stays a separate, reviewable step
(``python -m codegen``, which prints the API change report).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import ROOT, load_config
from .schemas import APP_SCHEMA, GROUPS

__all__ = ["PACKAGE", "Vendored", "main", "select_schema_files", "source_toml", "vendor"]

PACKAGE = "@jambonz/schema"
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class Vendored:
    """What was vendored: the provenance written to ``schemas/SOURCE.toml``."""

    version: str
    integrity: str
    """npm's Subresource Integrity string of the tarball (``sha512-<base64>``)."""
    sha256: str
    """Hex sha256 of the tarball, for tools that do not speak SRI."""
    tarball: str
    license: str
    author: str
    files: tuple[str, ...]
    """Vendored paths relative to ``schemas/``, sorted."""


def _npm(args: list[str], cwd: Path) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH: it is needed to fetch @jambonz/schema")
    proc = subprocess.run([npm, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"npm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def sri_sha512(data: bytes) -> str:
    """The ``sha512-<base64>`` integrity string npm records for a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def select_schema_files(names: list[str]) -> list[str]:
    """Archive member names (``package/verbs/say.schema.json``) that belong in ``schemas/``.

    Only ``*.schema.json`` directly inside one of the four groups, plus the app root.
    """
    picked = []
    for name in names:
        parts = name.split("/")
        if len(parts) < 2 or parts[0] != "package":
            continue
        rel = parts[1:]
        if rel == [APP_SCHEMA] or (
            len(rel) == 2 and rel[0] in GROUPS and rel[1].endswith(".schema.json")
        ):
            picked.append(name)
    return sorted(picked)


def _author(package_json: dict[str, object]) -> str:
    author = package_json.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    if not isinstance(author, str) or not author:
        raise SystemExit(f"{PACKAGE}: package.json names no author")
    return author


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def source_toml(v: Vendored) -> str:
    """The text of ``schemas/SOURCE.toml`` (``codegen/schemas.py`` reads ``version``)."""
    lines = [
        "# Provenance of the vendored schemas. Written by `python -m codegen vendor`;",
        "# never edit it or any schema file by hand.",
        f"package = {_toml_str(PACKAGE)}",
        f"version = {_toml_str(v.version)}",
        f"integrity = {_toml_str(v.integrity)}",
        f"tarball-sha256 = {_toml_str(v.sha256)}",
        f"tarball = {_toml_str(v.tarball)}",
        f"license = {_toml_str(v.license)}",
        f"author = {_toml_str(v.author)}",
        f"files = {len(v.files)}",
    ]
    return "\n".join(lines) + "\n"


def license_md(v: Vendored) -> str:
    """The MIT notice that must accompany the vendored files."""
    return f"""\
# Licence of the files in this directory

The `*.schema.json` files here are copied unmodified from the npm package
`{PACKAGE}` version {v.version} (integrity `{v.integrity}`),
published under the MIT License by {v.author}. See `SOURCE.toml` for provenance.

MIT License

Copyright (c) {v.author}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def vendor(version: str, dest: Path) -> Vendored:
    """Fetch, verify and write ``@jambonz/schema@version`` into ``dest`` (replaced)."""
    if not _VERSION_RE.match(version):
        raise SystemExit(f"{version!r} is not an exact version (like 0.4.15)")
    spec = f"{PACKAGE}@{version}"
    with tempfile.TemporaryDirectory(prefix="jambonz-vendor-") as tmp:
        work = Path(tmp)
        packed = json.loads(_npm(["pack", spec, "--json"], work))
        if not isinstance(packed, list) or len(packed) != 1:
            raise SystemExit(f"npm pack {spec}: unexpected output {packed!r}")
        info = packed[0]
        if info.get("version") != version:
            raise SystemExit(f"npm pack {spec} returned version {info.get('version')!r}")
        data = (work / str(info["filename"])).read_bytes()
        registry = json.loads(_npm(["view", spec, "dist", "--json"], work))

    integrity = sri_sha512(data)
    for where, claimed in (("registry dist.integrity", registry.get("integrity")),
                           ("npm pack", info.get("integrity"))):  # fmt: skip
        if claimed != integrity:
            raise SystemExit(
                f"integrity mismatch for {spec}: tarball is {integrity}, {where} says {claimed}"
            )

    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        wanted = select_schema_files(list(members))
        contents: dict[str, bytes] = {}
        for name in wanted:
            handle = tar.extractfile(members[name])
            assert handle is not None  # regular files always have a payload
            contents[name.removeprefix("package/")] = handle.read()
        pkg_handle = tar.extractfile(members["package/package.json"])
        assert pkg_handle is not None
        package_json = json.loads(pkg_handle.read())

    if APP_SCHEMA not in contents:
        raise SystemExit(f"{spec} has no {APP_SCHEMA}: not a schema package this codegen knows")
    license_id = package_json.get("license")
    if license_id != "MIT":
        raise SystemExit(
            f"{spec} is licensed {license_id!r}, not MIT: review before vendoring "
            "(schemas/LICENSE.md assumes MIT)"
        )
    result = Vendored(
        version=version,
        integrity=integrity,
        sha256=hashlib.sha256(data).hexdigest(),
        tarball=str(registry.get("tarball", "")),
        license=license_id,
        author=_author(package_json),
        files=tuple(sorted(contents)),
    )

    # Build the new tree beside the old one, then swap, so a failure leaves schemas/ intact.
    staging = dest.with_name(dest.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    for rel, blob in contents.items():
        out = staging / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(blob)
    (staging / "SOURCE.toml").write_text(source_toml(result), encoding="utf-8")
    (staging / "LICENSE.md").write_text(license_md(result), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m codegen vendor VERSION``)."""
    parser = argparse.ArgumentParser(
        prog="python -m codegen vendor",
        description="Replace schemas/ with a published @jambonz/schema version (verified).",
    )
    parser.add_argument("version", help="exact npm version, e.g. 0.4.15")
    args = parser.parse_args(argv)
    dest = load_config(ROOT).schemas_dir
    v = vendor(args.version, dest)
    print(
        f"vendored {PACKAGE} {v.version} into {dest.relative_to(ROOT)}: "
        f"{len(v.files)} schema files, {v.integrity}"
    )
    print(
        "next: run `python -m codegen` to regenerate src/jambonz_types, review the API "
        "change report and `git diff`, then run the tests"
    )
    return 0
