"""``python -m codegen vendor`` from a tarball and a directory, and what it refuses.

npm itself is not called here (no network in tests): the npm path is the tarball path
plus the registry's integrity check. Every case vendors into a temporary repository
root (pyproject + schemas), never into this checkout.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from codegen.compare import compare
from codegen.compare import main as changes_main
from codegen.config import ROOT
from codegen.sources import content_sha256, select_schema_files
from codegen.vendor import describe, read_source, vendor

SCHEMAS = ROOT / "schemas"


def _schema_files() -> dict[str, bytes]:
    return {
        p.relative_to(SCHEMAS).as_posix(): p.read_bytes()
        for p in sorted(SCHEMAS.rglob("*.schema.json"))
    }


def test_committed_source_toml_matches_the_files() -> None:
    """A hand edit of a vendored schema shows up as a content hash mismatch."""
    source = read_source(SCHEMAS)
    assert source["content-sha256"] == content_sha256(_schema_files())
    assert source["files"] == len(_schema_files())
    assert source["kind"] in ("npm", "tarball", "directory")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(SCHEMAS, root / "schemas")
    return root


PACKAGE_JSON = {"name": "@jambonz/schema", "version": "9.9.9", "license": "MIT", "author": "A"}


def _tarball(path: Path, prefix: str, extra: dict[str, bytes] | None = None) -> Path:
    files = {**_schema_files(), "package.json": json.dumps(PACKAGE_JSON).encode()}
    files.update(extra or {})
    with tarfile.open(path, "w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_vendor_from_a_tarball(repo: Path, tmp_path: Path) -> None:
    tgz = _tarball(tmp_path / "schema-9.9.9.tgz", "package/", {"../evil.schema.json": b"{}"})
    result = vendor(str(tgz), repo)
    assert result.written
    source = read_source(repo / "schemas")
    assert (source["kind"], source["source"], source["version"]) == (
        "tarball",
        "schema-9.9.9.tgz",
        "9.9.9",
    )
    assert source["content-sha256"] == content_sha256(_schema_files())
    assert len(source["tarball-sha256"]) == 64
    assert source["author"] == "A"
    assert not (repo / "evil.schema.json").exists()
    assert result.changes == []  # same content as the committed set
    assert "no schema changes" in result.report
    assert describe(source) == (
        f"@jambonz/schema 9.9.9 (tarball schema-9.9.9.tgz, sha256 {source['content-sha256'][:12]})"
    )


def test_a_repository_archive_is_found_below_its_top_directory() -> None:
    names = ["schema-abc/README.md", "schema-abc/jambonz-app.schema.json",
             "schema-abc/verbs/say.schema.json", "schema-abc/test/verbs/x.schema.json",
             "schema-abc/verbs/nested/y.schema.json"]  # fmt: skip
    assert select_schema_files(names) == {
        "schema-abc/jambonz-app.schema.json": "jambonz-app.schema.json",
        "schema-abc/verbs/say.schema.json": "verbs/say.schema.json",
    }


def test_vendor_from_a_directory_records_the_change_and_changelog(
    repo: Path, tmp_path: Path
) -> None:
    checkout = tmp_path / "schema"
    shutil.copytree(SCHEMAS, checkout, ignore=shutil.ignore_patterns("*.md", "*.toml"))
    (checkout / "package.json").write_text(json.dumps(PACKAGE_JSON), encoding="utf-8")
    say = checkout / "verbs" / "say.schema.json"
    doc = json.loads(say.read_text(encoding="utf-8"))
    del doc["properties"]["instructions"]
    say.write_text(json.dumps(doc), encoding="utf-8")

    result = vendor(str(checkout), repo)
    assert [(c.kind, c.where, c.python) for c in result.changes] == [
        ("breaking", "verbs/say#/properties/instructions", "Verbs.say(instructions=...)")
    ]
    source = read_source(repo / "schemas")
    assert (source["kind"], source["source"], source["version"]) == (
        "directory",
        "schema",
        "9.9.9",
    )
    assert "commit" not in source  # not a git checkout
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n\n## Schema bump to @jambonz/schema 9.9.9 (")
    assert (
        "  * ⚠ Breaking: `Verbs.say(instructions=...)`: property removed "
        "(`verbs/say#/properties/instructions`)\n"
    ) in changelog

    # Vendoring the same content again adds no second entry.
    vendor(str(checkout), repo)
    assert (repo / "CHANGELOG.md").read_text(encoding="utf-8") == changelog


def test_fail_on_breaking_writes_nothing(repo: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "schema"
    shutil.copytree(SCHEMAS, checkout, ignore=shutil.ignore_patterns("*.md", "*.toml"))
    (checkout / "verbs" / "tag.schema.json").unlink()
    app_file = checkout / "jambonz-app.schema.json"
    app = json.loads(app_file.read_text(encoding="utf-8"))
    app["$defs"]["Verb"]["oneOf"].remove({"$ref": "verbs/tag"})
    app_file.write_text(json.dumps(app), encoding="utf-8")
    before = (repo / "schemas" / "SOURCE.toml").read_text(encoding="utf-8")
    result = vendor(str(checkout), repo, version="9.9.10", fail_on_breaking=True)
    assert not result.written
    assert [(c.kind, c.where, c.what) for c in result.changes] == [
        ("breaking", "verbs/tag", "verb removed")
    ]
    assert (repo / "schemas" / "verbs" / "tag.schema.json").is_file()
    assert (repo / "schemas" / "SOURCE.toml").read_text(encoding="utf-8") == before
    assert not (repo / "CHANGELOG.md").exists()
    assert not (repo / "schemas.new").exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "jambonz-app.schema.json").unlink(), "no jambonz-app.schema.json"),
        (lambda d: shutil.rmtree(d / "callbacks"), "no callbacks/*.schema.json"),
        (
            lambda d: (d / "verbs" / "say.schema.json").write_text("{not json"),
            "verbs/say.schema.json: not JSON",
        ),
        (
            lambda d: (d / "components" / "synthesizer.schema.json").unlink(),
            "names no schema of the set",
        ),
        (
            lambda d: (d / "verbs" / "x.schema.json").write_bytes(
                (d / "verbs" / "say.schema.json").read_bytes()
            ),
            "verbs/x.schema.json: $id https://jambonz.org/schema/verbs/say is also the $id",
        ),
    ],
    ids=["no-app", "no-group", "not-json", "dangling-ref", "duplicate-id"],
)
def test_a_broken_layout_is_refused_and_nothing_changes(
    repo: Path, tmp_path: Path, damage: object, message: str
) -> None:
    checkout = tmp_path / "schema"
    shutil.copytree(SCHEMAS, checkout, ignore=shutil.ignore_patterns("*.md", "*.toml"))
    damage(checkout)  # type: ignore[operator]
    before = sorted(p.as_posix() for p in (repo / "schemas").rglob("*"))
    with pytest.raises(SystemExit) as info:
        vendor(str(checkout), repo, version="9.9.10")
    assert message in str(info.value)
    assert sorted(p.as_posix() for p in (repo / "schemas").rglob("*")) == before


def test_a_directory_without_version_needs_one(repo: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "bundled"
    shutil.copytree(SCHEMAS, checkout, ignore=shutil.ignore_patterns("*.md", "*.toml"))
    with pytest.raises(SystemExit, match=r"has no package\.json version: give --version"):
        vendor(str(checkout), repo)


def test_an_unknown_source_is_explained(repo: Path) -> None:
    with pytest.raises(SystemExit, match="neither a directory, a tarball nor an exact npm"):
        vendor("no-such-thing", repo)


def test_a_non_mit_package_is_refused(repo: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "schema"
    shutil.copytree(SCHEMAS, checkout, ignore=shutil.ignore_patterns("*.md", "*.toml"))
    (checkout / "package.json").write_text(
        json.dumps({**PACKAGE_JSON, "license": "GPL-3.0"}), encoding="utf-8"
    )
    with pytest.raises(SystemExit, match=r"licensed 'GPL-3\.0', not MIT"):
        vendor(str(checkout), repo)


def test_changes_against_a_directory_gates_breaking_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m codegen changes``: what schemas/ changed since an older set."""
    older = tmp_path / "older"
    shutil.copytree(SCHEMAS, older, ignore=shutil.ignore_patterns("*.md", "*.toml"))
    say = older / "verbs" / "say.schema.json"
    doc = json.loads(say.read_text(encoding="utf-8"))
    doc["properties"]["oldKey"] = {"type": "string"}
    say.write_text(json.dumps(doc), encoding="utf-8")

    changes, report = compare(str(older))
    assert [(c.kind, c.where, c.python) for c in changes] == [
        ("breaking", "verbs/say#/properties/oldKey", "Verbs.say(old_key=...)")
    ]
    assert report.startswith(f"Schema change report: (a set with no SOURCE.toml) [{older}] -> ")
    assert changes_main(["--against", str(older)]) == 0
    assert changes_main(["--against", str(older), "--fail-on-breaking"]) == 1
    err = capsys.readouterr().err
    assert "1 breaking change(s) not acknowledged" in err
    assert "verbs/say#/properties/oldKey: property removed" in err


def test_changes_against_a_git_revision() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    # HEAD's schemas: the same as the working tree's unless a bump is under way.
    changes, report = compare("HEAD")
    assert report.startswith("Schema change report: @jambonz/schema ")
    assert " [HEAD] -> " in report.splitlines()[0]
    assert all(c.where.split("/")[0] in ("verbs", "components", "callbacks", "commands")
               for c in changes)  # fmt: skip
    with pytest.raises(SystemExit, match="git archive no-such-rev"):
        compare("no-such-rev")
