"""Fixture loading: merging, defaults, and an exact message for every kind of mistake."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from fakeserver.fixture_files import (
    FixtureError,
    check_fixture,
    default_fixture_path,
    derived_id,
    load_seed,
)

CONVERSATION_START = (
    "conversations: [{id: 3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10, project: 1, user: 1, "
)
MINIMAL = """
projects: [{id: 1}]
users: [{id: 1, email: a@example.com, personal_api_keys: [{key: phx_a}]}]
"""


def write(tmp_path: Path, text: str, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    return [problem.removeprefix(f"{path}: ") for problem in check_fixture([path])]


@pytest.mark.parametrize(
    "parts", [("message", "3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10", 0), ("user", 7), ("é", None, 1.5)]
)
def test_derived_ids_are_the_uuid5_of_their_parts(parts: tuple[object, ...]):
    # Ids a fixture leaves out must stay what they were: suites and fixtures refer to them.
    namespace = uuid.UUID("6f1c3a52-8d0e-4f7b-9a61-2b5e0c4d7f10")
    assert derived_id(*parts) == str(uuid.uuid5(namespace, "/".join(map(str, parts))))


def test_default_fixture_is_the_repository_file():
    # A wheel carries the same file inside the package (contract_tests/test_recipe.py serves it).
    path = default_fixture_path()
    assert path.resolve() == (Path(__file__).parents[2] / "fixtures" / "default.yaml").resolve()
    assert check_fixture([path]) == []


def test_minimal_fixture_gets_defaults(tmp_path: Path):
    seed = load_seed(
        [
            write(
                tmp_path,
                MINIMAL
                + """
conversations:
  - {id: 3F0C0D6E-1B7A-4C39-9D5E-6A4F8C1E2B10, project: 1, user: 1, title: T,
     queue: [{content: hi}]}
""",
            )
        ]
    )
    user = seed.users[1]
    assert (user.project_ids, user.current_project_id, user.first_name) == (frozenset({1}), 1, "")
    assert seed.api_keys["phx_a"].scopes == frozenset({"*"})
    conversation = seed.conversations["3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10"]
    assert (conversation.status, conversation.type, conversation.agent_runtime) == (
        "idle",
        "assistant",
        "langgraph",
    )
    assert conversation.queue[0].id  # derived, stable across loads
    again = load_seed([tmp_path / "f.yaml"])
    assert again.conversations[conversation.id].queue[0].id == conversation.queue[0].id


def test_an_older_fixtures_drain_flag_loads_and_changes_nothing(tmp_path: Path):
    """PostHog's newest queue has no drain flag, so the fake keeps none; the key still loads."""
    text = MINIMAL + CONVERSATION_START + "title: T, drain_closed: true, queue: [{content: hi}]}]"
    (conversation,) = load_seed([write(tmp_path, text)]).conversations.values()
    assert [q.content for q in conversation.queue] == ["hi"]
    assert not hasattr(conversation, "drain_closed")


def test_json_fixture_and_merge_in_order(tmp_path: Path):
    first = write(tmp_path, MINIMAL, "a.yaml")
    second = write(tmp_path, '{"projects": [{"id": 1, "name": "Renamed"}, {"id": 2}]}', "b.json")
    seed = load_seed([first, second])
    assert seed.projects[1].name == "Renamed"
    assert sorted(seed.projects) == [1, 2]


JSON_CONVERSATION = """{
  "projects": [{"id": 1}],
  "users": [{"id": 1, "email": "a@example.com"}],
  "conversations": [{"id": "3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10", "project": 1, "user": 1,
                     "title": "TITLE", "queue": [{"content": "hi",
                     "ui_context": {"limit": 1e5}}]}]
}"""


def test_a_json_file_is_read_as_json_and_any_other_as_yaml(tmp_path: Path):
    text = JSON_CONVERSATION.replace("TITLE", "\\ud83d\\ude00 \\/")
    as_json = load_seed([write(tmp_path, text, "f.JSON")])
    conversation = as_json.conversations["3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10"]
    assert conversation.queue[0].ui_context == {"limit": 100000.0}
    assert conversation.title == "\N{GRINNING FACE} /"
    # YAML 1.1 reads 1e5 as a string (and libyaml refuses the escaped surrogate pair).
    as_yaml = load_seed([write(tmp_path, JSON_CONVERSATION, "f.yaml")])
    queued = as_yaml.conversations[conversation.id].queue[0]
    assert queued.ui_context == {"limit": "1e5"}


@pytest.mark.parametrize(
    ("title", "code"),
    [("x\\ud800y", "U+D800"), ("\\udfff", "U+DFFF")],
)
def test_a_lone_surrogate_escape_in_a_json_file_is_refused(tmp_path: Path, title: str, code: str):
    # It parses, but no answer showing it could be encoded as UTF-8: each would be a 500.
    path = write(tmp_path, JSON_CONVERSATION.replace("TITLE", title), "f.json")
    half = f"{code} is half of a surrogate pair, not a character"
    assert check_fixture([path]) == [f"{path}: conversations[0].title: {half}"]


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "f.yaml",
            "projects: [{id: 1" + "0" * 5000 + "}]",
            "not valid YAML or JSON: Exceeds the limit (4300 digits) for integer string "
            "conversion: value has 5001 digits",
        ),
        (
            "f.json",
            '{"projects": [{"id": 1' + "0" * 5000 + "}]}",
            "not valid JSON: Exceeds the limit (4300 digits) for integer string conversion: "
            "value has 5001 digits",
        ),
        (
            "f.yaml",
            MINIMAL + CONVERSATION_START + "created_at: 2024-13-45}]",
            "not valid YAML or JSON: month must be in 1..12",
        ),
        ("f.yaml", "[" * 100_000, "not valid YAML or JSON: nested too deeply"),
        ("f.yaml", "a: " + "[" * 5000 + "]" * 5000, "not valid YAML or JSON: nested too deeply"),
    ],
    ids=["long integer", "long integer (JSON)", "no such date", "deep, cut short", "deep"],
)
def test_values_the_parser_reads_but_python_cannot_hold_are_refused(
    tmp_path: Path, name: str, text: str, problem: str
):
    # Each used to end check-fixture and serve with a traceback (and the control API's load).
    path = write(tmp_path, text, name)
    assert check_fixture([path]) == [f"{path}: {problem}"]


def test_a_json_file_may_start_with_a_byte_order_mark(tmp_path: Path):
    seed = load_seed([write(tmp_path, "\ufeff" + '{"projects": [{"id": 7}]}', "f.json")])
    assert list(seed.projects) == [7]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"projects": [', "not valid JSON: line 1, column 15: Expecting value"),
        ("projects: [{id: 1}]", "not valid JSON: line 1, column 1: Expecting value"),
        ('{"projects": [{"id": NaN}]}', "not valid JSON: NaN is not a JSON value"),
        ('{"projects": [{"id": -Infinity}]}', "not valid JSON: -Infinity is not a JSON value"),
        ("[" * 100_000, "not valid JSON: nested too deeply"),
    ],
    ids=["cut short", "yaml", "nan", "infinity", "deep"],
)
def test_a_json_file_that_is_not_json_is_refused(tmp_path: Path, text: str, problem: str):
    path = write(tmp_path, text, "f.json")
    assert check_fixture([path]) == [f"{path}: {problem}"]
    with pytest.raises(FixtureError):
        load_seed([path])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "projects: [{id: 1, colour: red}]",
            "projects[0].colour: unknown key "
            "(expected one of: ai_usage, id, name, organization, research_exempt, "
            "sandbox_pool_full)",
        ),
        ("projects: [{id: one}]", "projects[0].id: expected an integer, got a string"),
        (
            "projects: [{id: 1}, {id: 1}]",
            "projects[1]: duplicate project id 1 (also at projects[0])",
        ),
        ("projects: [{name: x}]", "projects[0].id: is required"),
        ("projects: {id: 1}", "projects: expected a list"),
        ("projects: [1]", "projects[0]: expected a mapping, got int"),
        (
            MINIMAL + "conversations: [{id: nope, project: 1, user: 1}]",
            "conversations[0].id: expected a UUID, got 'nope'",
        ),
        (
            MINIMAL
            + "conversations: [{id: 3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10, project: 7, user: 1}]",
            "conversations[0].project: no project with id 7",
        ),
        (
            MINIMAL
            + "conversations: [{id: 3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10, project: 1, user: 9}]",
            "conversations[0].user: no user with id 9",
        ),
        (
            MINIMAL + CONVERSATION_START + "drain_closed: 'yes'}]",
            "conversations[0].drain_closed: expected true or false, got a string",
        ),
        (
            MINIMAL
            + """conversations: [{id: 3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10, project: 1, user: 1,
           queue: [{content: a}, {content: b}, {content: c}]}]""",
            "conversations[0].queue: holds 3 messages; at most 2 can be queued",
        ),
        (
            MINIMAL
            + """conversations: [{id: 3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10, project: 1, user: 1,
           queue: [{content: 42}]}]""",
            "conversations[0].queue[0].content: expected a string, got int 42",
        ),
        (
            MINIMAL
            + """conversations: [{id: 3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10, project: 1, user: 1,
           status: busy}]""",
            "conversations[0].status: 'busy' is not one of 'idle', 'in_progress', 'canceling'",
        ),
        (
            MINIMAL
            + """conversations: [{id: 3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10, project: 1, user: 1,
           messages: [{content: no type}]}]""",
            "conversations[0].messages[0].type: is required",
        ),
        (
            "users: [{id: 1, email: a@b.c, projects: [5]}]",
            "users[0].projects: no project with id 5",
        ),
        (
            "projects: [{id: 1}]\n"
            "users: [{id: 1, email: a@b.c, personal_api_keys: [{key: k, scopes: [admin]}]}]",
            "users[0].personal_api_keys[0].scopes: item 0: 'admin' is not a scope "
            "(a scope is '*' or '<object>:read' / '<object>:write')",
        ),
        (
            "projects: [{id: 1}, {id: 2}]\nusers: [{id: 1, email: a@b.c, projects: [1]}]\n"
            "conversations: [{id: 3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10, project: 2, user: 1}]",
            "conversations[0].user: user 1 is not a member of project 2",
        ),
        (
            "wat: 1",
            "wat: unknown key (expected one of: agent, conversations, limits, organizations, "
            "projects, tasks, users)",
        ),
        (
            "projects: [",
            "not valid YAML or JSON: line 1, column 12: expected the node content, but found "
            "'<stream end>'",
        ),
    ],
)
def test_problems_name_the_path(tmp_path: Path, text: str, problem: str):
    problems = problems_of(tmp_path, text)
    assert any(p.startswith(problem) for p in problems), problems


NOT_JSON = "is not a JSON number (JSON has no infinity or NaN)"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            CONVERSATION_START + "messages: [{type: human, content: hi, extra: {x: [1, .inf]}}]}]",
            f"conversations[0].messages[0]: at extra.x[1]: inf {NOT_JSON}",
        ),
        (
            CONVERSATION_START + "queue: [{content: hi, ui_context: .nan}]}]",
            f"conversations[0].queue[0].ui_context: nan {NOT_JSON}",
        ),
        (
            CONVERSATION_START + "queue: [{content: hi, billing_context: {at: 2024-01-01}}]}]",
            "conversations[0].queue[0].billing_context: at at: date datetime.date(2024, 1, 1) "
            "is not a JSON value (quote it to keep it a string)",
        ),
        (
            CONVERSATION_START + "queue: [{content: hi, contextual_tools: {2024-01-01: x}}]}]",
            "conversations[0].queue[0].contextual_tools: "
            "the key datetime.date(2024, 1, 1) is not a string",
        ),
        (
            CONVERSATION_START + "pending_approvals: [{blob: !!binary " + "QUJD" * 30 + "}]}]",
            "conversations[0].pending_approvals: item 0: at blob: bytes b'"
            + "ABC" * 11
            + "AB... is not a JSON value",
        ),
        (
            CONVERSATION_START
            + "queue: [{content: hi, ui_context: "
            + ("[" * 101 + "]" * 101)
            + "}]}]",
            "conversations[0].queue[0].ui_context: arrays and objects nest deeper than 100 levels",
        ),
        (
            "projects: [{id: 1}]\nusers: [{id: 1, email: a@b.c, hedgehog_config: {s: !!set {a}}}]",
            "users[0].hedgehog_config: at s: set {'a'} is not a JSON value",
        ),
    ],
    ids=["message", "ui context", "date", "key", "binary", "deep", "set"],
)
def test_free_form_values_must_be_json(tmp_path: Path, text: str, problem: str):
    # Each would have made every answer showing it a 500.
    assert problems_of(tmp_path, MINIMAL + text if text.startswith("conv") else text) == [problem]


def test_a_json_number_past_a_float_is_refused_and_a_deep_enough_value_loads(tmp_path: Path):
    too_big = JSON_CONVERSATION.replace("1e5", "1e400").replace("TITLE", "t")
    path = write(tmp_path, too_big, "f.json")
    problem = f"conversations[0].queue[0].ui_context: at limit: inf {NOT_JSON}"
    assert check_fixture([path]) == [f"{path}: {problem}"]
    deepest = "[" * 99 + "]" * 99  # in "limit": 100 levels, the most there may be
    fine = JSON_CONVERSATION.replace("1e5", deepest).replace("TITLE", "t")
    seed = load_seed([write(tmp_path, fine, "g.json")])
    assert seed.conversations["3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10"].queue[0].ui_context


def test_every_problem_is_reported_and_nothing_is_loaded(tmp_path: Path):
    path = write(tmp_path, "projects: [{id: x}, {id: 2, name: 3}]")
    with pytest.raises(FixtureError) as raised:
        load_seed([path])
    assert raised.value.problems == [
        f"{path}: projects[0].id: expected an integer, got a string",
        f"{path}: projects[1].name: expected a string, got int 3",
    ]


def test_missing_file(tmp_path: Path):
    problems = check_fixture([tmp_path / "nope.yaml"])
    assert problems == [f"{tmp_path / 'nope.yaml'}: cannot read file: No such file or directory"]


def test_duplicate_keys_and_sessions_across_users(tmp_path: Path):
    problems = problems_of(
        tmp_path,
        """
projects: [{id: 1}]
users:
  - {id: 1, email: a@b.c, session: s, personal_api_keys: [{key: k}]}
  - {id: 2, email: b@b.c, session: s, personal_api_keys: [{key: k}]}
""",
    )
    assert problems == [
        "users[1].session: session 's' is already used at users[0]",
        "users[1].personal_api_keys[0].key: duplicate personal API key",
    ]


def test_fixture_problems_with_limits_name_their_paths():
    bad = {
        "limits": "strict",
        "organizations": [{"id": "acme", "customer_id": ""}, {"id": "acme"}],
        "projects": [{"id": 1, "organization": "nope", "research_exempt": 1}],
    }
    with pytest.raises(FixtureError) as raised:
        load_seed([bad])
    assert raised.value.problems == [
        "<fixture #0>: organizations[0].customer_id: must not be blank",
        "<fixture #0>: organizations[1]: duplicate organization id acme (also at organizations[0])",
        "<fixture #0>: limits: 'strict' is not one of 'off', 'posthog', 'posthog-debug'",
        "<fixture #0>: projects[0].research_exempt: expected true or false, got int 1",
        "<fixture #0>: projects[0].organization: no organization with id nope",
    ]
