"""Load fixture files (YAML or JSON) into a validated, indexed `Seed`.

Every problem is reported with the file, the path inside it (`conversations[2].queue[0].content`)
and what is wrong; loading is all or nothing. Several files merge in order: a later record with
the same id replaces an earlier one. The format is documented in docs/fixture-format.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar

from fakeserver.domain.models import (
    DEFAULT_ORGANIZATION,
    Conversation,
    PersonalApiKey,
    Project,
    User,
)
from fakeserver.domain.scripts import AgentScript
from fakeserver.domain.store import Seed
from fakeserver.fixture_files import schema
from fakeserver.fixture_files import values as v
from fakeserver.fixture_files.conversations import read_conversation
from fakeserver.fixture_files.ids import derived_id
from fakeserver.fixture_files.organizations import OrganizationsReader, read_ai_usage
from fakeserver.fixture_files.records import (
    FixtureError as FixtureError,  # part of this module's API
)
from fakeserver.fixture_files.records import (
    FixtureSyntaxError,
    Located,
    Problems,
    Record,
    claim,
    parse_fixture_text,
    refuse_lone_surrogates,
)
from fakeserver.fixture_files.scripts import AGENT_KEYS, read_agent_script
from fakeserver.fixture_files.tasks import TasksReader

T = TypeVar("T")
D = TypeVar("D")

DEFAULT_FIXTURE: Final = "default.yaml"


def default_fixture_path() -> Path:
    """The default fixture: `fixtures/default.yaml` of the repository, which a wheel carries
    inside this package (pyproject's force-include): a checkout and a `pip install` both find it."""
    bundled = Path(str(resources.files("fakeserver.fixture_files") / DEFAULT_FIXTURE))
    if bundled.is_file():
        return bundled
    return Path(__file__).resolve().parents[2] / "fixtures" / DEFAULT_FIXTURE


class _FixtureReader:
    """Parses fixture files one by one, then merges and cross-checks them into a `Seed`."""

    def __init__(self, loaded_at: datetime):
        self.loaded_at = loaded_at
        self.problems = Problems()
        self.projects: dict[int, Located] = {}
        self.users: dict[int, Located] = {}
        self.conversations: dict[str, Located] = {}
        self.agent_script = AgentScript()
        """Later files' rules are tried first, so a fixture can override the one it extends."""
        self.organizations = OrganizationsReader(self.problems)
        self.tasks = TasksReader(self.problems, loaded_at)

    def read_file(self, path: Path) -> None:
        source = str(path)
        try:
            if path.exists() and not path.is_file():
                self.problems.add(source, "", "cannot read file: not a regular file")
                return
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            self.problems.add(source, "", f"cannot read file: {error.strerror or error}")
            return
        except UnicodeDecodeError as error:
            self.problems.add(source, "", f"not UTF-8 text: {error.reason} at byte {error.start}")
            return
        self.read_text(FixtureText(text, source))

    def read_text(self, fixture: FixtureText) -> None:
        try:
            data = parse_fixture_text(fixture.text, is_json=fixture.is_json)
        except FixtureSyntaxError as error:
            self.problems.add(fixture.filename, "", str(error))
            return
        self.read_data(data, fixture.filename)

    def read_document(self, data: dict[str, Any], source: str) -> None:
        """Read a fixture given as data, not as a file."""
        try:
            refuse_lone_surrogates(data)
        except FixtureSyntaxError as error:
            self.problems.add(source, "", str(error))
            return
        self.read_data(data, source)

    def read_data(self, data: Any, source: str) -> None:
        """Read one parsed fixture document (what a YAML or JSON file holds)."""
        top = Record({} if data is None else data, source, "", self.problems, schema.TOP_KEYS)
        self.organizations.read(top)
        for record in top.records("projects", schema.PROJECT_KEYS):
            self._project(record)
        for record in top.records("users", schema.USER_KEYS):
            self._user(record)
        self.tasks.read(top)
        for index, record in enumerate(top.records("conversations", schema.CONVERSATION_KEYS)):
            self._conversation(record, index)
        if "agent" in top.data:
            agent = top.record("agent", AGENT_KEYS)
            self.agent_script = read_agent_script(agent).then(self.agent_script)

    def _project(self, record: Record) -> None:
        project_id = record.required("id", v.integer)
        name = record.optional("name", v.string, f"Project {project_id}")
        organization = record.optional("organization", v.non_blank_string, DEFAULT_ORGANIZATION)
        exempt = record.optional("research_exempt", v.boolean, False)
        pool_full = record.optional("sandbox_pool_full", v.boolean, False)
        usage = read_ai_usage(record)
        if project_id is not None and claim(self.projects, project_id, record, "project"):
            project = Project(project_id, name, organization, exempt, pool_full, usage)
            self.projects[project_id] = Located(project, record.source, record.path)

    def _user(self, record: Record) -> None:
        user_id = record.required("id", v.integer)
        email = record.required("email", schema.USER_READERS["email"])
        keys = [
            self._api_key(key_record)
            for key_record in record.records("personal_api_keys", schema.API_KEY_KEYS)
        ]
        readers = schema.USER_READERS
        fields = {
            "uuid": record.optional("uuid", readers["uuid"], derived_id("user", user_id)),
            "first_name": record.optional("first_name", readers["first_name"], ""),
            "last_name": record.optional("last_name", readers["last_name"], ""),
            "distinct_id": record.optional(
                "distinct_id", readers["distinct_id"], derived_id("distinct", user_id)
            ),
            "is_email_verified": record.optional(
                "is_email_verified", readers["is_email_verified"], True
            ),
            "role_at_organization": record.optional(
                "role_at_organization", readers["role_at_organization"], None
            ),
            "hedgehog_config": record.optional("hedgehog_config", readers["hedgehog_config"], None),
            "session": record.optional("session", v.nullable(v.non_blank_string), None),
            "sandbox_mode": record.optional("sandbox_mode", v.boolean, False),
        }
        refs = {
            "projects": record.optional("projects", v.nullable(v.list_of(v.integer)), None),
            "current_project": record.optional("current_project", v.nullable(v.integer), None),
            "keys": keys,
        }
        if user_id is None or email is None or not claim(self.users, user_id, record, "user"):
            return
        self.users[user_id] = Located(
            dict(fields, id=user_id, email=email), record.source, record.path, refs
        )

    def _api_key(self, record: Record) -> Located:
        value = record.required("key", v.non_blank_string)
        scopes = record.optional("scopes", v.list_of(schema.read_scope), ["*"])
        projects = record.optional("projects", v.nullable(v.list_of(v.integer)), None)
        return Located((value, frozenset(scopes), projects), record.source, record.path)

    def _conversation(self, record: Record, index: int) -> None:
        located = read_conversation(record, index, self.loaded_at, self.problems)
        if located is None:
            return
        conversation_id = located.value.id
        if claim(self.conversations, conversation_id, record, "conversation"):
            self.conversations[conversation_id] = located

    # Merge and cross-check ---------------------------------------------------------------

    def seed(self) -> Seed:
        users = [self._resolve_user(located) for located in self.users.values()]
        keys = self._resolve_keys()
        conversations = [
            self._resolve_conversation(located) for located in self.conversations.values()
        ]
        organizations = self.organizations.resolve(self.projects)
        tasks = self.tasks.resolve(self.projects, self.users, self.conversations)
        if self.problems.found:
            raise FixtureError(self.problems.found)
        return Seed.build(
            projects=[located.value for located in self.projects.values()],
            users=users,
            api_keys=keys,
            conversations=conversations,
            agent_script=self.agent_script,
            conversation_scripts={
                conversation_id: located.refs["script"]
                for conversation_id, located in self.conversations.items()
                if located.refs["script"] is not None
            },
            organizations=organizations,
            limits=self.organizations.limits,
            tasks=tasks,
        )

    def _missing(self, located: Located, key: str, kind: str, ident: Any) -> None:
        self.problems.add(located.source, f"{located.path}.{key}", f"no {kind} with id {ident}")

    def _memberships(self, located: Located) -> list[int]:
        """The user's projects: as listed, or every project when the fixture lists none."""
        listed: list[int] | None = located.refs["projects"]
        return list(self.projects) if listed is None else listed

    def _resolve_user(self, located: Located) -> User:
        project_ids = self._memberships(located)
        for project_id in project_ids:
            if project_id not in self.projects:
                self._missing(located, "projects", "project", project_id)
        current = located.refs["current_project"]
        if current is not None and current not in project_ids:
            self.problems.add(
                located.source,
                f"{located.path}.current_project",
                f"project {current} is not one of the user's projects",
            )
        if current is None and project_ids:
            current = project_ids[0]
        return User(project_ids=frozenset(project_ids), current_project_id=current, **located.value)

    def _resolve_keys(self) -> list[PersonalApiKey]:
        keys: dict[str, PersonalApiKey] = {}
        sessions: dict[str, str] = {}
        for user in self.users.values():
            session = user.value["session"]
            if session is not None:
                if session in sessions:
                    self.problems.add(
                        user.source,
                        f"{user.path}.session",
                        f"session {session!r} is already used at {sessions[session]}",
                    )
                sessions[session] = user.path
            for key in user.refs["keys"]:
                value, scopes, projects = key.value
                if value is None:
                    continue
                if value in keys:
                    self.problems.add(key.source, f"{key.path}.key", "duplicate personal API key")
                for project_id in projects or ():
                    if project_id not in self.projects:
                        self._missing(key, "projects", "project", project_id)
                restricted = frozenset(projects) if projects is not None else None
                keys[value] = PersonalApiKey(value, user.value["id"], scopes, restricted)
        return list(keys.values())

    def _resolve_conversation(self, located: Located) -> Conversation:
        conversation: Conversation = located.value
        if conversation.project_id not in self.projects:
            self._missing(located, "project", "project", conversation.project_id)
        owner = self.users.get(conversation.user_id)
        if owner is None:
            self._missing(located, "user", "user", conversation.user_id)
        elif (
            conversation.project_id in self.projects
            and conversation.project_id not in self._memberships(owner)
        ):
            self.problems.add(
                located.source,
                f"{located.path}.user",
                f"user {conversation.user_id} is not a member of project {conversation.project_id}",
            )
        return conversation


@dataclass(frozen=True)
class FixtureText:
    """A fixture file's content without the file (an upload): `filename` names it in problems
    and, by its suffix, says whether it is JSON or YAML."""

    text: str
    filename: str

    @property
    def is_json(self) -> bool:
        return self.filename.lower().endswith(".json")


FixtureSource = Path | str | Mapping[str, Any] | FixtureText
"""A fixture file, a fixture document already parsed (a dict in the file format), or a file's
text."""


def load_seed(paths: Sequence[FixtureSource], loaded_at: datetime | None = None) -> Seed:
    """Read, validate and merge fixtures in order. Raises `FixtureError` naming every problem."""
    reader = _FixtureReader(loaded_at or datetime.now(UTC))
    for index, source in enumerate(paths):
        if isinstance(source, Mapping):
            reader.read_document(dict(source), f"<fixture #{index}>")
        elif isinstance(source, FixtureText):
            reader.read_text(source)
        else:
            reader.read_file(Path(source))
    return reader.seed()


def check_fixture(paths: Sequence[Path | str]) -> list[str]:
    """Every problem in the given fixture files, or an empty list when they load."""
    try:
        load_seed(paths)
    except FixtureError as error:
        return error.problems
    return []
