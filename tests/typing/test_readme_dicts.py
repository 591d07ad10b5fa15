"""The README's "Dicts or models" example type-checks as it claims.

The python block and the ``text`` block after it (the mistakes, shown as text so the
docs' sample runner does not execute them) are cut out of README.md and checked
together with mypy --strict: the lines marked ``# error:`` must be errors and nothing
else may be.
"""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]


def test_readme_dict_example_errors_exactly_where_it_says(tmp_path: Path) -> None:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Dicts or models", 1)[1]
    match = re.search(r"```python\n(.*?)```.*?```text\n(.*?)```", section, re.S)
    assert match is not None, "README.md: no python + text blocks under '### Dicts or models'"
    code = match.group(1) + match.group(2)
    path = tmp_path / "readme_dicts.py"
    path.write_text(code, encoding="utf-8")
    want = {i for i, line in enumerate(code.splitlines(), 1) if "# error:" in line}
    assert len(want) == 2
    stdout, _, _ = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            str(path),
        ]
    )
    # Matched by file name: with the shared cache mypy may print an earlier run's path.
    got = {int(match.group(1)) for match in re.finditer(r"readme_dicts\.py:(\d+): error:", stdout)}
    assert got == want, stdout
