"""Read a @jambonz/schema set from any source into memory, and check its layout.

Schemas come from three places: npm releases (``0.4.15``), a local tarball (an
``npm pack`` file, or an archive of the repository), and a directory (a checkout of the
jambonz/schema repository, which moves ahead of npm, or the copy another SDK bundles).
Each reader returns the same :class:`Fetched`: the schema files as bytes, keyed by
their path under ``schemas/``, plus what the source says about itself. Nothing is
extracted to disk, so a hostile archive path cannot escape.

:func:`check_layout` then refuses a set this codegen cannot build from: no app root,
an empty group, a file that is not a JSON object with an ``$id``, a duplicate ``$id``,
or a ``$ref`` to a schema the set does not contain.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schemas import APP_SCHEMA, GROUPS

__all__ = [
    "PACKAGE",
    "Fetched",
    "check_layout",
    "content_sha256",
    "fetch",
    "from_directory",
    "from_npm",
    "from_tarball",
    "select_schema_files",
    "sri_sha512",
]

PACKAGE = "@jambonz/schema"
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
REQUIRED_GROUPS = ("verbs", "components", "callbacks")
"""Groups that must hold at least one schema (``commands`` may be absent in old sets)."""


@dataclass(frozen=True)
class Fetched:
    """A schema set read from a source, before it is written to ``schemas/``."""

    kind: str
    """``npm``, ``tarball`` or ``directory``."""
    location: str
    """What was asked for: ``@jambonz/schema@0.4.15``, a tarball's or directory's name."""
    files: Mapping[str, bytes]
    """``verbs/say.schema.json`` -> bytes, exactly as the source has them."""
    package_json: Mapping[str, Any] | None
    commit: str | None = None
    """Git commit of a directory source (``+dirty`` when it has uncommitted changes)."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Source-specific provenance (npm integrity, tarball sha256, tarball URL)."""

    @property
    def version(self) -> str | None:
        value = (self.package_json or {}).get("version")
        return str(value) if isinstance(value, str) else None


def sri_sha512(data: bytes) -> str:
    """The ``sha512-<base64>`` integrity string npm records for a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def content_sha256(files: Mapping[str, bytes]) -> str:
    """sha256 of the ``sha256sum``-style listing of the files (sorted by path).

    The same for a set whatever source it came from, so it is what ``SOURCE.toml``
    records in every case, and a test can recompute it from ``schemas/``.
    """
    listing = "".join(
        f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files)
    )
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def _wanted(rel: list[str]) -> bool:
    return rel == [APP_SCHEMA] or (
        len(rel) == 2 and rel[0] in GROUPS and rel[1].endswith(".schema.json")
    )


def select_schema_files(names: list[str]) -> dict[str, str]:
    """Archive member name -> path under ``schemas/``, for the members that belong there.

    The set's root is the directory that holds ``jambonz-app.schema.json`` (``package/``
    in an npm tarball, ``schema-<sha>/`` in a repository archive); below it, only
    ``*.schema.json`` directly inside one of the four groups, plus the app root.
    """
    roots = sorted(
        (n.removesuffix(APP_SCHEMA) for n in names if n.split("/")[-1] == APP_SCHEMA),
        key=lambda r: (r.count("/"), r),
    )
    if not roots:
        return {}
    root = roots[0]
    picked = {}
    for name in names:
        if name.startswith(root):
            rel = name[len(root) :].split("/")
            if ".." not in rel and _wanted(rel):
                picked[name] = "/".join(rel)
    return dict(sorted(picked.items()))


def _npm(args: list[str], cwd: Path) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH: it is needed to fetch @jambonz/schema")
    proc = subprocess.run([npm, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"npm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def _read_tarball(data: bytes, kind: str, location: str, extra: dict[str, str]) -> Fetched:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            members = {m.name.removeprefix("./"): m for m in tar.getmembers() if m.isfile()}
            wanted = select_schema_files(list(members))
            if not wanted:
                raise SystemExit(f"{location}: no {APP_SCHEMA} in the archive")
            root = next(iter(wanted)).removesuffix(next(iter(wanted.values())))
            files: dict[str, bytes] = {}
            for name, rel in wanted.items():
                handle = tar.extractfile(members[name])
                assert handle is not None  # regular files always have a payload
                files[rel] = handle.read()
            package_json = None
            if root + "package.json" in members:
                handle = tar.extractfile(members[root + "package.json"])
                assert handle is not None
                package_json = json.loads(handle.read())
    except tarfile.TarError as exc:
        raise SystemExit(f"{location}: not a readable tarball ({exc})") from None
    return Fetched(kind, location, files, package_json, extra=extra)


def from_npm(version: str) -> Fetched:
    """``npm pack @jambonz/schema@VERSION``, checked against the registry's integrity."""
    if not VERSION_RE.match(version):
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
    extra = {
        "integrity": integrity,
        "tarball-sha256": hashlib.sha256(data).hexdigest(),
        "tarball": str(registry.get("tarball", "")),
    }
    fetched = _read_tarball(data, "npm", spec, extra)
    if fetched.version != version:
        raise SystemExit(f"{spec}: package.json says version {fetched.version!r}")
    return fetched


def from_tarball(path: Path) -> Fetched:
    """A local ``.tgz`` (``npm pack`` output or a repository archive)."""
    data = path.read_bytes()
    extra = {"tarball-sha256": hashlib.sha256(data).hexdigest(), "integrity": sri_sha512(data)}
    return _read_tarball(data, "tarball", path.name, extra)


def _git(path: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    proc = subprocess.run(
        [git, "-C", str(path), *args], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def _directory_files(path: Path) -> Iterator[tuple[str, Path]]:
    app = path / APP_SCHEMA
    if app.is_file():
        yield APP_SCHEMA, app
    for group in GROUPS:
        for file in sorted((path / group).glob("*.schema.json")):
            if file.is_file():
                yield f"{group}/{file.name}", file


def from_directory(path: Path) -> Fetched:
    """A directory laid out like the package (a checkout of jambonz/schema, an SDK's copy)."""
    if not (path / APP_SCHEMA).is_file():
        raise SystemExit(
            f"{path}: no {APP_SCHEMA}: expected a @jambonz/schema layout "
            f"({APP_SCHEMA} plus {', '.join(g + '/' for g in GROUPS)})"
        )
    files = {rel: file.read_bytes() for rel, file in _directory_files(path)}
    pkg = path / "package.json"
    package_json = json.loads(pkg.read_text(encoding="utf-8")) if pkg.is_file() else None
    commit = None
    top = _git(path, "rev-parse", "--show-toplevel")
    if top is not None and Path(top).resolve() == path.resolve():
        commit = _git(path, "rev-parse", "HEAD")
        if commit is not None and _git(path, "status", "--porcelain", "--", "."):
            commit += "+dirty"
    return Fetched("directory", path.resolve().name, files, package_json, commit)


def fetch(source: str) -> Fetched:
    """Dispatch on what ``source`` is: an existing directory, a tarball, or a version."""
    path = Path(source)
    if path.is_dir():
        return from_directory(path)
    if path.is_file():
        return from_tarball(path)
    if VERSION_RE.match(source):
        return from_npm(source)
    raise SystemExit(
        f"{source!r} is neither a directory, a tarball nor an exact npm version (like 0.4.15)"
    )


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def check_layout(fetched: Fetched) -> dict[str, dict[str, Any]]:
    """Parse and check every file; return ``path`` -> document, or exit naming each problem."""
    problems: list[str] = []
    docs: dict[str, dict[str, Any]] = {}
    if APP_SCHEMA not in fetched.files:
        problems.append(f"no {APP_SCHEMA}")
    for group in REQUIRED_GROUPS:
        if not any(name.startswith(group + "/") for name in fetched.files):
            problems.append(f"no {group}/*.schema.json")
    ids: dict[str, str] = {}
    for name, data in sorted(fetched.files.items()):
        try:
            doc = json.loads(data)
        except ValueError as exc:
            problems.append(f"{name}: not JSON ({exc})")
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("$id"), str):
            problems.append(f"{name}: not a JSON Schema object with an $id")
            continue
        if doc["$id"] in ids:
            problems.append(f"{name}: $id {doc['$id']} is also the $id of {ids[doc['$id']]}")
        ids[doc["$id"]] = name
        docs[name] = doc
    for name, doc in docs.items():
        for ref in _refs(doc):
            url = ref.partition("#")[0]
            if url and urllib.parse.urljoin(doc["$id"], url) not in ids:
                problems.append(f"{name}: $ref {ref!r} names no schema of the set")
    app = docs.get(APP_SCHEMA, {})
    if APP_SCHEMA in docs and not isinstance(
        app.get("$defs", {}).get("Verb", {}).get("oneOf"), list
    ):
        problems.append(f"{APP_SCHEMA}: no $defs/Verb/oneOf (the verb union codegen reads)")
    if problems:
        raise SystemExit(
            f"{fetched.kind} {fetched.location} is not a @jambonz/schema set codegen can use:\n  "
            + "\n  ".join(problems)
        )
    return docs
