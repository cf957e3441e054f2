"""The package uses only the public API of its libraries: no `_private` module of Starlette (or
of any other library), which may change in any release."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fakeserver"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def test_no_module_imports_a_private_module_of_a_library() -> None:
    private = [
        f"{path.relative_to(PACKAGE.parent)}: {module}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for module in _imported_modules(path)
        if not module.startswith("fakeserver")
        and any(part.startswith("_") and part != "__future__" for part in module.split("."))
    ]
    assert private == []
