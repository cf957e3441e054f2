"""The two OpenAPI documents from one source: documented.yaml and, per divergence row, patches."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator, validate

from fakeserver.api.divergences import DIVERGENCES
from fakeserver.api.openapi_documents import (
    UNDOCUMENTED_MARKER,
    WORDING,
    PatchError,
    actual_patches,
    documented_source,
    openapi_document,
    patched,
)

ROW_IDS = [divergence.id for divergence in DIVERGENCES]


def contains_key(node: Any, key: str) -> bool:
    if isinstance(node, dict):
        return key in node or any(contains_key(value, key) for value in node.values())
    if isinstance(node, list):
        return any(contains_key(value, key) for value in node)
    return False


def test_every_patch_belongs_to_a_divergence_row() -> None:
    strangers = set(actual_patches()) - {WORDING, *ROW_IDS}
    assert strangers == set(), "keys of actual-patches.yaml that are no row of divergences.py"


def test_every_divergence_row_says_what_it_does_to_the_document() -> None:
    """A row that changes the contract has its patches; one that does not says so with `[]`."""
    missing = [row_id for row_id in ROW_IDS if row_id not in actual_patches()]
    assert missing == [], "rows of divergences.py with no key in actual-patches.yaml"


def test_a_row_with_patches_changes_the_document() -> None:
    for row_id, operations in actual_patches().items():
        if operations:
            assert {operation["op"] for operation in operations} != {"test"}, row_id


def test_wording_patches_change_text_only() -> None:
    for operation in actual_patches()[WORDING]:
        assert operation["op"] == "replace", operation
        assert operation["path"] == "/info/title" or operation["path"].endswith("/description")


def test_patches_name_project_paths_only() -> None:
    """The /api/environments/ twins are built from the /api/projects/ paths, patches included."""
    for operations in actual_patches().values():
        for operation in operations:
            assert "~1api~1environments~1" not in operation["path"], operation


@pytest.mark.parametrize("profile", ["documented", "actual"])
def test_the_built_document_is_valid_openapi_3(profile: str) -> None:
    document = openapi_document(profile)
    assert document["openapi"].startswith("3.0.")
    validate(document, cls=OpenAPIV30SpecValidator)  # raises on the first problem


@pytest.mark.parametrize("profile", ["documented", "actual"])
def test_every_project_path_is_served_under_environments_too(profile: str) -> None:
    paths = openapi_document(profile)["paths"]
    projects = {p.removeprefix("/api/projects/") for p in paths if p.startswith("/api/projects/")}
    environments = {
        p.removeprefix("/api/environments/") for p in paths if p.startswith("/api/environments/")
    }
    assert projects == environments
    assert len(projects) == len(paths) / 2


def test_environments_operation_ids_are_prefixed_in_links_too() -> None:
    paths = openapi_document("actual")["paths"]
    enqueue = paths["/api/environments/{project_id}/conversations/{conversation}/queue/"]["post"]
    assert enqueue["operationId"] == "environments_conversations_queue_create"
    links = enqueue["responses"]["200"]["links"]
    assert all(link["operationId"].startswith("environments_") for link in links.values())


def test_only_the_documented_profile_marks_what_the_docs_leave_out() -> None:
    assert contains_key(openapi_document("documented"), UNDOCUMENTED_MARKER)
    assert not contains_key(openapi_document("actual"), UNDOCUMENTED_MARKER)


def test_the_patches_make_the_actual_contract() -> None:
    """Spot checks, one per kind of patch: a status replaced, a field added after another."""
    actual = openapi_document("actual")
    conversation = "/api/projects/{project_id}/conversations/{conversation}/"
    responses = actual["paths"][conversation + "append_message/"]["post"]["responses"]
    assert "201" in responses
    assert "200" not in responses
    required = actual["components"]["schemas"]["Conversation"]["required"]
    assert required[required.index("agent_mode") + 1] == "agent_runtime"
    assert required[-1] == "task"
    assert "PatchedConversation" not in actual["components"]["schemas"]
    assert "PatchedConversation" in openapi_document("documented")["components"]["schemas"]


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "/components/schemas/NoSuchSchema"},
        {"op": "test", "path": "/components/schemas/Conversation/required/0", "value": "title"},
    ],
)
def test_a_patch_that_no_longer_fits_names_its_row(operation: dict[str, Any]) -> None:
    with pytest.raises(PatchError, match=r"^actual-patches\.yaml, queue-envelope: "):
        patched(documented_source(), {"queue-envelope": [operation]})
