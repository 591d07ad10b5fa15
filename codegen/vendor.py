"""``python -m codegen vendor SOURCE``: replace ``schemas/`` with a @jambonz/schema set.

The schemas are the single source of truth of this project, so they are copied exactly
as the source has them and never edited by hand (fixes are declared codegen
overrides). ``SOURCE`` is an npm version (``0.4.15``, or ``latest``), a local tarball
(``schema-0.4.16.tgz``) or a directory (a checkout of the jambonz/schema repository,
which moves ahead of npm, or another SDK's bundled copy). The command:

1. reads the set (codegen/sources.py: npm tarballs are checked against the registry's
   integrity) and refuses a layout codegen cannot build from;
2. computes the semantic change report against the current ``schemas/``
   (codegen/changes.py) and prints it;
3. with ``--fail-on-breaking``, stops there (exit 1, nothing written) when a breaking
   change is not listed in ``acknowledged-breaking`` of ``[tool.jambonz-codegen]``;
4. replaces ``schemas/`` with exactly the set's files, a ``SOURCE.toml`` provenance record
   (source kind, version, git commit, sha256 of the content, in every case) and a
   ``LICENSE.md`` notice, and puts the report into ``CHANGELOG.md`` as the bump's entry.

It does not regenerate ``src/jambonz_types``: that stays a separate, reviewable step
(``python -m codegen``, which prints the API surface report).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .changelog import CHANGELOG, changelog_entry, format_report, prepend_entry
from .changes import BREAKING, Change, Namer, diff_sets, namer_for
from .config import ROOT, Config, load_config
from .schemas import load_schemas
from .sources import PACKAGE, VERSION_RE, Fetched, check_layout, content_sha256, fetch

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "Provenance",
    "VendorResult",
    "describe",
    "main",
    "merged_namer",
    "read_docs",
    "read_source",
    "source_toml",
    "unacknowledged",
    "vendor",
]


@dataclass(frozen=True)
class Provenance:
    """What ``schemas/SOURCE.toml`` records about the vendored set."""

    kind: str
    source: str
    version: str
    commit: str | None
    content_sha256: str
    extra: Mapping[str, str]
    license: str
    author: str
    files: int


@dataclass(frozen=True)
class VendorResult:
    """The outcome of :func:`vendor`."""

    provenance: Provenance
    changes: list[Change]
    report: str
    written: bool
    """False when ``--fail-on-breaking`` stopped the bump (nothing was changed)."""


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def source_toml(p: Provenance) -> str:
    """The text of ``schemas/SOURCE.toml`` (``codegen/schemas.py`` reads ``version``)."""
    lines = [
        "# Provenance of the vendored schemas. Written by `python -m codegen vendor`;",
        "# never edit it or any schema file by hand.",
        f"package = {_toml_str(PACKAGE)}",
        f"version = {_toml_str(p.version)}",
        f"kind = {_toml_str(p.kind)}",
        f"source = {_toml_str(p.source)}",
    ]
    if p.commit:
        lines.append(f"commit = {_toml_str(p.commit)}")
    lines.append(f"content-sha256 = {_toml_str(p.content_sha256)}")
    lines.extend(f"{k} = {_toml_str(v)}" for k, v in sorted(p.extra.items()))
    lines += [
        f"license = {_toml_str(p.license)}",
        f"author = {_toml_str(p.author)}",
        f"files = {p.files}",
    ]
    return "\n".join(lines) + "\n"


def read_source(schemas_dir: Path) -> dict[str, Any]:
    """``SOURCE.toml`` as a dict (empty when there is none)."""
    path = schemas_dir / "SOURCE.toml"
    if not path.is_file():
        return {}
    return dict(tomllib.loads(path.read_text(encoding="utf-8")))


def describe(source: Mapping[str, Any]) -> str:
    """``@jambonz/schema 0.4.15 (npm)``; ``... (directory schema, git 1a2b3c4d5e6f)``."""
    if not source:
        return "(a set with no SOURCE.toml)"
    kind = str(source.get("kind", "npm"))  # files written before kinds existed were npm
    where = kind if kind == "npm" else f"{kind} {source.get('source', '?')}"
    if source.get("commit"):
        where += f", git {str(source['commit'])[:12]}"
    elif kind != "npm" and source.get("content-sha256"):
        where += f", sha256 {str(source['content-sha256'])[:12]}"
    return f"{source.get('package', PACKAGE)} {source.get('version', '?')} ({where})"


def license_md(p: Provenance) -> str:
    """The MIT notice that must accompany the vendored files."""
    return f"""\
# Licence of the files in this directory

The `*.schema.json` files here are copied unmodified from `{PACKAGE}` version
{p.version} ({p.kind} source `{p.source}`, content sha256 `{p.content_sha256}`),
published under the MIT License by {p.author}. See `SOURCE.toml` for provenance.

MIT License

Copyright (c) {p.author}

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


def _author(package_json: Mapping[str, Any] | None, previous: Mapping[str, Any]) -> str:
    author = (package_json or {}).get("author")
    if isinstance(author, dict):
        author = author.get("name")
    if isinstance(author, str) and author:
        return author
    return str(previous.get("author") or f"the {PACKAGE} authors")


def provenance(fetched: Fetched, version: str | None, previous: Mapping[str, Any]) -> Provenance:
    """Provenance of a fetched set; ``version`` overrides what the source says."""
    pkg = fetched.package_json
    if pkg is not None and pkg.get("name") not in (PACKAGE, None):
        raise SystemExit(
            f"{fetched.location}: package.json names {pkg.get('name')!r}, not {PACKAGE}"
        )
    if version is None:
        version = fetched.version
        if version is None:
            raise SystemExit(f"{fetched.location} has no package.json version: give --version")
        if fetched.kind == "directory" and fetched.commit:
            # A checkout may be ahead of its package.json's release: say exactly which.
            version += f"+git.{fetched.commit[:12]}"
    if not VERSION_RE.match(version.split("+", 1)[0]):
        raise SystemExit(f"version {version!r} is not a semantic version")
    license_id = (pkg or {}).get("license", "MIT" if pkg is None else None)
    if license_id != "MIT":
        raise SystemExit(
            f"{fetched.location} is licensed {license_id!r}, not MIT: review before vendoring "
            "(schemas/LICENSE.md assumes MIT)"
        )
    return Provenance(
        kind=fetched.kind,
        source=fetched.location,
        version=version,
        commit=fetched.commit,
        content_sha256=content_sha256(fetched.files),
        extra=dict(fetched.extra),
        license=license_id,
        author=_author(pkg, previous),
        files=len(fetched.files),
    )


def read_docs(schemas_dir: Path) -> dict[str, dict[str, Any]]:
    """``path`` -> document of every schema under ``schemas_dir`` (empty if it is missing)."""
    if not schemas_dir.is_dir():
        return {}
    return {
        p.relative_to(schemas_dir).as_posix(): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(schemas_dir.rglob("*.schema.json"))
    }


def merged_namer(config: Config, old_dir: Path, new_dir: Path) -> Namer:
    """Python spellings from the new set, falling back to the old one (removed things)."""
    new = namer_for(config, new_dir)
    if not old_dir.is_dir():
        return new
    old = namer_for(config, old_dir)
    return Namer({**old.classes, **new.classes}, {**old.methods, **new.methods}, new.field_names)


def unacknowledged(changes: list[Change], config: Config) -> list[Change]:
    """The breaking changes not listed in ``acknowledged-breaking``."""
    known = set(config.acknowledged_breaking)
    return [c for c in changes if c.kind == BREAKING and c.key not in known]


def vendor(
    source: str,
    root: Path = ROOT,
    *,
    version: str | None = None,
    fail_on_breaking: bool = False,
    changelog: bool = True,
) -> VendorResult:
    """Vendor ``source`` into ``root``'s schemas directory; see the module docstring."""
    config = load_config(root)
    dest = config.schemas_dir
    if source == "latest":
        source = _latest()
    fetched = fetch(source)
    docs = check_layout(fetched)
    previous = read_source(dest)
    prov = provenance(fetched, version, previous)

    # Build the new tree beside the old one, then swap, so a failure leaves schemas/ intact.
    staging = dest.with_name(dest.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for rel, blob in fetched.files.items():
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(blob)
        (staging / "SOURCE.toml").write_text(source_toml(prov), encoding="utf-8")
        (staging / "LICENSE.md").write_text(license_md(prov), encoding="utf-8")
        load_schemas(replace(config, schemas_dir=staging)).app_verb_files()  # resolvable

        changes = diff_sets(read_docs(dest), docs, merged_namer(config, dest, staging))
        new_desc = describe(read_source(staging))
        report = format_report(describe(previous), new_desc, changes)
        blocked = unacknowledged(changes, config) if fail_on_breaking else []
        if blocked:
            shutil.rmtree(staging)
            return VendorResult(prov, changes, report, written=False)
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if changelog and previous.get("content-sha256") != prov.content_sha256:
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        title = f"Schema bump to {PACKAGE} {prov.version} ({today})"
        prepend_entry(root / CHANGELOG, changelog_entry(title, new_desc, changes))
    return VendorResult(prov, changes, report, written=True)


def _latest() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH: it is needed to look up the latest version")
    proc = subprocess.run(
        [npm, "view", PACKAGE, "version"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"npm view {PACKAGE} version failed:\n{proc.stderr}")
    return proc.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m codegen vendor SOURCE``)."""
    parser = argparse.ArgumentParser(
        prog="python -m codegen vendor",
        description="Replace schemas/ with a @jambonz/schema set from npm, a tarball or a "
        "directory; print the change report and record it in CHANGELOG.md.",
    )
    parser.add_argument(
        "source", help="exact npm version (0.4.15), 'latest', a .tgz file, or a directory"
    )
    parser.add_argument(
        "--fail-on-breaking",
        action="store_true",
        help="exit 1 without writing anything if a breaking change is not acknowledged in "
        "[tool.jambonz-codegen] acknowledged-breaking",
    )
    parser.add_argument(
        "--version", help="version to record (a directory without package.json needs it)"
    )
    parser.add_argument("--no-changelog", action="store_true", help="do not touch CHANGELOG.md")
    args = parser.parse_args(argv)
    result = vendor(
        args.source,
        version=args.version,
        fail_on_breaking=args.fail_on_breaking,
        changelog=not args.no_changelog,
    )
    print(result.report)
    if not result.written:
        blocked = unacknowledged(result.changes, load_config(ROOT))
        print(
            f"\n{len(blocked)} breaking change(s) not acknowledged; nothing was written. "
            "Review them, then add to [tool.jambonz-codegen] in pyproject.toml:\n\n"
            "acknowledged-breaking = [\n"
            + "".join(f"    {_toml_str(c.key)},\n" for c in blocked)
            + "]",
            file=sys.stderr,
        )
        return 1
    p = result.provenance
    print(
        f"\nvendored {PACKAGE} {p.version} ({p.kind} {p.source}) into schemas/: "
        f"{p.files} schema files, content sha256 {p.content_sha256}"
    )
    print(
        "next: run `python -m codegen` to regenerate src/jambonz_types, review the report "
        f"(also in {CHANGELOG}) and `git diff`, then run the tests"
    )
    return 0
