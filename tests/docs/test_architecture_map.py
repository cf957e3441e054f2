"""ARCHITECTURE.md's map names every module of the package, so a newcomer finds each one there;
its feature-to-test table names every test file."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "fakeserver"


def _map() -> str:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    found = re.search(r"```\nfakeserver/\n(.*?)```", text, re.DOTALL)
    assert found is not None, "ARCHITECTURE.md lost its map"
    return found.group(1)


def test_the_map_names_every_module_and_folder() -> None:
    listed = _map()
    names = set(re.findall(r"[\w.]+(?:\.py|/)", listed))
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        if path.name == "__init__.py" and path.parent != PACKAGE:
            wanted = path.parent.name + "/"
        else:
            wanted = path.name
        if wanted not in names:
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def _feature_table() -> str:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    start = text.find("\n## Where each feature is tested\n")
    assert start != -1, "ARCHITECTURE.md lost its feature-to-test table"
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_feature_table_names_every_test_file_and_only_files_that_exist() -> None:
    rows = "\n".join(line for line in _feature_table().splitlines() if line.startswith("|"))
    named = set(re.findall(r"tests/[\w/]+\.py", rows))
    test_files = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("test_*.py")
        if "__pycache__" not in path.parts
    }
    assert sorted(test_files - named) == [], "test files the table does not name"
    assert sorted(named - test_files) == [], "files the table names that do not exist"
