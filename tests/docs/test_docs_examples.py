"""The documentation's promises that code can check: the pytest examples of the README and the
`docs/` pages pass as written, the README stays short, leads to its sections and to every page,
and its table of the default fixture lists the fixture's conversations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from fakeserver.fixture_files import default_fixture_path

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
README_MOST_LINES = 450


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _all_docs() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in [README, *PAGES])


def _python_block(first_line: str) -> str:
    found = re.search(rf"```python\n({re.escape(first_line)}\n.*?)```", _all_docs(), re.DOTALL)
    assert found is not None, f"the documentation lost its example {first_line!r}"
    return found.group(1)


@pytest.mark.parametrize(
    ("file_line", "tests"),
    [("# test_my_client.py", 3), ("# test_first.py", 2), ("# test_backoff.py", 1)],
)
def test_the_pytest_examples_pass_as_written(
    pytester: pytest.Pytester, file_line: str, tests: int
) -> None:
    module = file_line.removeprefix("# ").removesuffix(".py")
    pytester.makepyfile(**{module: _python_block(file_line)})
    # In a process of its own, as a user runs it: an in-process run would drop the modules it
    # imported first (httpcore among them) and leave this session with two copies of them.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=tests)


def _section(heading: str) -> str:
    text = _readme()
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_the_table_of_contents_lists_every_section_in_order() -> None:
    headings = re.findall(r"^## (.+)$", re.sub(r"```.*?```", "", _readme(), flags=re.DOTALL), re.M)
    sections = [heading for heading in headings if heading != "Contents"]
    entries = re.findall(r"^- \[(.+?)\]\(#(.+?)\)$", _section("Contents"), re.M)
    assert [anchor for _title, anchor in entries] == [_github_anchor(h) for h in sections]


def test_the_default_fixture_table_names_every_conversation_of_the_fixture() -> None:
    fixture = yaml.safe_load(default_fixture_path().read_text(encoding="utf-8"))
    ids = {conversation["id"] for conversation in fixture["conversations"]}
    table = _section("The default fixture")
    named = set(re.findall(r"`([0-9a-f]{8}-[0-9a-f-]{27})`", table))
    shortened = re.findall(r"`\.\.\.(\d{3})`", table)  # a second id of the row before
    assert named <= ids
    assert ids - named == {
        next(i for i in ids if i.endswith(suffix) and i not in named) for suffix in shortened
    }
    for user in fixture["users"]:
        for key in user.get("personal_api_keys", []):
            assert f"`{key['key']}`" in table


def test_the_readme_stays_short_and_links_every_page() -> None:
    text = _readme()
    assert len(text.splitlines()) <= README_MOST_LINES
    linked = set(re.findall(r"\]\(docs/([\w.-]+\.md)\)", text))
    assert linked == {page.name for page in PAGES}


def test_links_between_pages_lead_to_headings_that_exist() -> None:
    targets = {README: _readme(), **{page: page.read_text("utf-8") for page in PAGES}}
    anchors = {
        path.resolve(): {_github_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
        for path, text in targets.items()
    }
    for path, text in targets.items():
        for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?#([\w-]+)\)", text):
            page = (path.parent / target).resolve() if target else path.resolve()
            assert anchor in anchors.get(page, set()), f"{path.name}: {target}#{anchor}"
