"""``python -m codegen changes --against REF|DIR [--fail-on-breaking]``: the bump report for CI.

``vendor`` reports and gates a bump made through it; this gates one however it was made.
It diffs ``schemas/`` against the schemas of a git revision (``origin/main``, a tag) or a
directory, prints the same report, and with ``--fail-on-breaking`` exits 1 when a
breaking change is not listed in ``acknowledged-breaking``: a pull request that vendors
breaking schemas stops in CI until a maintainer has acknowledged each change.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .changelog import format_report
from .changes import Change, diff_sets
from .config import ROOT, Config, load_config
from .vendor import describe, merged_namer, read_docs, read_source, unacknowledged

__all__ = ["compare", "main"]


def _git_schemas(ref: str, root: Path, config: Config, dest: Path) -> Path:
    """Extract the schemas directory of git revision ``ref`` into ``dest``."""
    git = shutil.which("git")
    if git is None:
        raise SystemExit("git is not on PATH: give a directory to compare against instead")
    rel = config.schemas_dir.relative_to(root).as_posix()
    proc = subprocess.run(
        [git, "-C", str(root), "archive", "--format=tar", ref, rel],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"git archive {ref} {rel} failed:\n{proc.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if member.isfile() and ".." not in parts and member.name.startswith(rel + "/"):
                handle = tar.extractfile(member)
                assert handle is not None
                out = dest / member.name[len(rel) + 1 :]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(handle.read())
    return dest


def compare(against: str, root: Path = ROOT) -> tuple[list[Change], str]:
    """Changes from ``against`` (a directory or a git revision) to ``root``'s schemas."""
    config = load_config(root)
    with tempfile.TemporaryDirectory(prefix="jambonz-changes-") as tmp:
        old_dir = Path(against)
        if not old_dir.is_dir():
            old_dir = _git_schemas(against, root, config, Path(tmp) / "schemas")
        new_dir = config.schemas_dir
        changes = diff_sets(
            read_docs(old_dir), read_docs(new_dir), merged_namer(config, old_dir, new_dir)
        )
        old = describe(read_source(old_dir)) + f" [{against}]"
    return changes, format_report(old, describe(read_source(new_dir)), changes)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m codegen changes``)."""
    parser = argparse.ArgumentParser(
        prog="python -m codegen changes",
        description="Report the schema changes of schemas/ since a git revision or directory.",
    )
    parser.add_argument(
        "--against", required=True, help="git revision (origin/main, v1.2.0) or schemas directory"
    )
    parser.add_argument(
        "--fail-on-breaking",
        action="store_true",
        help="exit 1 if a breaking change is not in [tool.jambonz-codegen] acknowledged-breaking",
    )
    args = parser.parse_args(argv)
    changes, report = compare(args.against)
    print(report)
    blocked = unacknowledged(changes, load_config(ROOT)) if args.fail_on_breaking else []
    if blocked:
        print(
            f"\n{len(blocked)} breaking change(s) not acknowledged in [tool.jambonz-codegen] "
            "acknowledged-breaking: " + "; ".join(c.key for c in blocked),
            file=sys.stderr,
        )
        return 1
    return 0
