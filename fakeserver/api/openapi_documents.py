"""Each profile's OpenAPI document, built once from one data file.

`openapi/documented.yaml` is the one source: the `documented` profile's document, written for the
/api/projects/ paths only. Every profile's document serves each of those paths again under
/api/environments/, with `environments_` before every operationId (PostHog's own ids), so a path
is written once. The `actual` document is the documented one with the JSON Patches (RFC 6902) of
`openapi/actual-patches.yaml` applied: one list of patch operations per row of
`fakeserver.api.divergences` (the change that difference makes to the contract; `[]` for a row
that changes no document), plus `wording` (the title and summary, and notes that only explain the
documented profile). The actual document also drops every `x-fakeserver-undocumented` marker: that
marker says "the docs are silent, this follows PostHog's server", and the actual profile follows
the server throughout.

How to make a PostHog change once: edit `documented.yaml` (a new field, status or operation
appears in both profiles); when the actual server differs from the docs, add a row to
`divergences.py` and, under that row's id in `actual-patches.yaml`, the patch operations that turn
the documented contract into the actual one. A patch that no longer applies after an edit fails
loudly, naming its key (PatchError); a `test` operation guards a patch that depends on a
position, such as an insert into a `required` list. tests/api/test_openapi_documents.py checks the
keys against the table and that both documents are valid OpenAPI 3.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, Final, TypeAlias

import jsonpatch
import yaml

from fakeserver.domain.posthog_version import posthog_mirror

Document: TypeAlias = dict[str, Any]

PROJECTS_PREFIX: Final = "/api/projects/"
ENVIRONMENTS_PREFIX: Final = "/api/environments/"
WORDING: Final = "wording"
"""The key of `actual-patches.yaml` whose patches change text only, for no divergence."""
UNDOCUMENTED_MARKER: Final = "x-fakeserver-undocumented"
MIRROR_EXTENSION: Final = "x-posthog-mirror"


def read_data_file(name: str) -> Any:
    text = (resources.files("fakeserver.api") / "openapi" / name).read_text("utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def actual_patches() -> dict[str, list[dict[str, Any]]]:
    """Divergence id (or `wording`) -> its JSON Patch operations, in the file's order."""
    patches: dict[str, list[dict[str, Any]]] = read_data_file("actual-patches.yaml")
    return patches


def with_environments_paths(document: Document) -> Document:
    """The document with each /api/projects/ path repeated under /api/environments/."""
    paths: dict[str, Any] = document["paths"]
    for path, item in list(paths.items()):
        if path.startswith(PROJECTS_PREFIX):
            twin = ENVIRONMENTS_PREFIX + path.removeprefix(PROJECTS_PREFIX)
            paths[twin] = with_prefixed_operation_ids(copy.deepcopy(item))
    return document


def with_prefixed_operation_ids(node: Any) -> Any:
    """`environments_` before every operationId in `node`, the targets of links included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "operationId":
                node[key] = "environments_" + value
            else:
                with_prefixed_operation_ids(value)
    elif isinstance(node, list):
        for value in node:
            with_prefixed_operation_ids(value)
    return node


def without_key(node: Any, unwanted: str) -> Any:
    if isinstance(node, dict):
        node.pop(unwanted, None)
        for value in node.values():
            without_key(value, unwanted)
    elif isinstance(node, list):
        for value in node:
            without_key(value, unwanted)
    return node


def documented_source() -> Document:
    """`documented.yaml` as written: the /api/projects/ paths only."""
    source: Document = read_data_file("documented.yaml")
    return source


class PatchError(ValueError):
    """A patch of `actual-patches.yaml` that no longer fits `documented.yaml`."""


def patched(document: Document, patches: dict[str, list[dict[str, Any]]]) -> Document:
    for key, operations in patches.items():
        try:
            document = jsonpatch.apply_patch(document, operations, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
            raise PatchError(f"actual-patches.yaml, {key}: {error}") from error
    return document


def build_documented() -> Document:
    return with_environments_paths(documented_source())


def build_actual() -> Document:
    document = patched(documented_source(), actual_patches())
    return with_environments_paths(without_key(document, UNDOCUMENTED_MARKER))


BUILDERS: Final[dict[str, Callable[[], Document]]] = {
    "documented": build_documented,
    "actual": build_actual,
}


@cache
def openapi_document(profile: str) -> Document:
    """The profile's document, built on first use and kept: callers must not change it. Its
    `info` names the PostHog the fake mirrors (`x-posthog-mirror`, from the one data file)."""
    document = BUILDERS[profile]()
    document["info"][MIRROR_EXTENSION] = posthog_mirror().as_dict()
    return document


def as_yaml(profile: str) -> str:
    header = (
        f"# fakeserver: OpenAPI document of the `{profile}` profile, served at /api/schema/.\n"
        "# Built from fakeserver/api/openapi/documented.yaml (fakeserver/api/openapi_documents.py"
        " says how).\n"
    )
    body = yaml.dump(
        openapi_document(profile),
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return header + body
