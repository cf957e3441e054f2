"""ARCHITECTURE.md's map names every module of the package, so a newcomer finds each one there."""

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
