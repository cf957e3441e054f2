"""The public API is what `fakeserver.__all__` names: each name resolves, and the documentation
imports nothing from the package's inside."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import fakeserver

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("name", sorted(set(fakeserver.__all__) - {"__version__"}))
def test_every_public_name_resolves_from_the_top(name: str) -> None:
    value = getattr(fakeserver, name)
    assert value.__name__ == name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        fakeserver.Nothing  # noqa: B018


def test_importing_the_package_imports_no_server_code() -> None:
    # `import fakeserver` runs for the CLI and the pytest plugin's discovery: it must stay cheap.
    code = "import sys, fakeserver; print(sorted(m for m in sys.modules if 'fakeserver' in m))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "['fakeserver']", loaded.stderr


@pytest.mark.parametrize("page", DOCS, ids=lambda page: page.name)
def test_the_documentation_imports_only_the_public_api(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    inner = re.findall(r"^\s*(?:from|import) (fakeserver\.[\w.]+)", text, re.M)
    assert inner == []
    imported = re.findall(r"^\s*from fakeserver import (.+)$", text, re.M)
    for names in imported:
        for name in re.split(r",\s*", names.strip("() ")):
            assert name in fakeserver.__all__, f"{page.name} imports {name}"
