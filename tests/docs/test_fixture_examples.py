"""The example fixture files in `fixtures/`: each loads the way its first lines say (through
`fakeserver check-fixture`), and every whole fixture the documentation shows is one of them, as
it is (a block starting `# fixtures/NAME.yaml`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
EXAMPLES = sorted(FIXTURES.glob("*.yaml"))
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
WHOLE_FIXTURE_KEYS = {"projects", "users"}
"""A YAML block with one of these top-level keys shows a whole fixture (which must be a file);
a block without them (an `agent:` rule, say) is a snippet of one."""


def _header(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.startswith("#"))


def _serve_fixtures(path: Path) -> list[str]:
    """The files the example's header says to serve it with (`fakeserver serve --fixture ...`)."""
    if path.name == "default.yaml":
        return ["fixtures/default.yaml"]
    header = _header(path).replace("\n# ", " ")
    command = re.search(r"fakeserver serve((?: --fixture \S+)+)", header)
    assert command is not None, f"{path.name}: its first lines should say how to serve it"
    files = re.findall(r"--fixture (\S+)", command.group(1))
    assert f"fixtures/{path.name}" in files, f"{path.name}: its command does not load it"
    return files


def _yaml_blocks() -> list[tuple[Path, str]]:
    return [
        (page, block)
        for page in DOCS
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text("utf-8"), re.DOTALL)
    ]


def test_there_are_examples_beside_the_default() -> None:
    assert {path.name for path in EXAMPLES} >= {
        "default.yaml",
        "every-field.yaml",
        "agent-scripts.yaml",
        "limits.yaml",
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_each_example_passes_check_fixture_as_its_header_says(example: Path) -> None:
    files = _serve_fixtures(example)
    checked = subprocess.run(
        [sys.executable, "-m", "fakeserver", "check-fixture", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("ok: ")


def test_every_fixture_the_docs_show_is_an_example_file_as_it_is() -> None:
    shown: set[str] = set()
    for page, block in _yaml_blocks():
        first = block.splitlines()[0] if block else ""
        named = re.match(r"# fixtures/([\w.-]+\.yaml)", first)
        if named is None:
            keys = set(re.findall(r"^([a-z_]+):", block, re.M))
            assert not keys & WHOLE_FIXTURE_KEYS, f"{page.name}: a fixture not in fixtures/"
            continue
        example = FIXTURES / named.group(1)
        assert example.is_file(), f"{page.name} shows {named.group(1)}, which fixtures/ lacks"
        assert block == example.read_text(encoding="utf-8"), f"{page.name}: {example.name} differs"
        shown.add(example.name)
    assert shown == {path.name for path in EXAMPLES} - {"default.yaml"}
