"""`fakeserver verify`: the scenario against a target and a fake seeded from it, compared.

The fake runs in this process, live on 127.0.0.1 (so both sides go through the same HTTP client),
seeded from what the target said (`seeding.py`): the same project id, the conversations it lists,
a placeholder key with the scopes the target's key has, and a placeholder session. A value the
fixture format cannot take is reported as a new difference, never a reason to stop. With
`--profile documented` a second fake in `actual` tells a known divergence (the target answers as
`actual` does, and the step names the table's row) from a new difference; the documented fake is
asked the session steps with the key, as PostHog's docs show every call.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

from fakeserver.api.divergences import DIVERGENCES
from fakeserver.conformance.client import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    Answer,
    ApiClient,
    ApiKey,
    TargetError,
)
from fakeserver.conformance.compare import Difference, compare
from fakeserver.conformance.runner import HeldRuns, Side
from fakeserver.conformance.scenario import Context, Step, flattened, steps
from fakeserver.conformance.seeding import READS, Seeding, SeedProblem, seed_fixture
from fakeserver.conformance.session import WebSession, sign_in
from fakeserver.conformance.snapshot import (
    PLACEHOLDER_KEY,
    PLACEHOLDER_SESSION,
    Snapshot,
    conversations_path,
    read_snapshot,
)
from fakeserver.server import CSRF_TOKEN, FakeServer

READ_SCOPE: Final = "conversation:read"
WRITE_SCOPE: Final = "conversation:write"
KNOWN_IDS: Final = frozenset(divergence.id for divergence in DIVERGENCES)
SAME, KNOWN, NEW, SKIPPED, NEEDS_SESSION = "same", "known", "new", "skipped", "needs-session"
VERDICTS: Final = (SAME, KNOWN, NEW, SKIPPED, NEEDS_SESSION)


@dataclass(frozen=True)
class VerifyOptions:
    target: str
    api_key: str
    project_id: int
    profile: str = "actual"
    allow_writes: bool = False
    session_cookie: str | None = None
    csrf_token: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    sleep: Callable[[float], None] = time.sleep


@dataclass
class StepResult:
    step: Step
    path: str
    target: Answer | None
    fake: Answer | None
    verdict: str
    """One of `VERDICTS`."""
    divergences: tuple[str, ...] = ()
    differences: list[Difference] = field(default_factory=list)
    fake_actual: Answer | None = None
    """The `actual` fake's answer (the same as `fake` unless the profile is `documented`)."""


@dataclass
class VerifyReport:
    target: str
    project_id: int
    profile: str
    allow_writes: bool
    conversations: int
    scopes: tuple[str, ...]
    results: list[StepResult]
    session: bool = False
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """The session's values (the CSRF token may come from the target): never in a report."""

    @property
    def new_differences(self) -> int:
        return sum(result.verdict == NEW for result in self.results)


def probe_scopes(client: ApiClient, project_id: int) -> tuple[str, ...]:
    """The key's conversation scopes: a DELETE of a conversation that cannot exist is refused
    for a missing write scope before anything is looked up, and is a 404 otherwise."""
    answer = client.request("DELETE", f"{conversations_path(project_id)}{uuid.uuid4()}/")
    if answer.status == 404:
        return (READ_SCOPE, WRITE_SCOPE)
    return (READ_SCOPE,)


def verify(options: VerifyOptions) -> VerifyReport:
    """Run the scenario on both sides and judge each step. Raises TargetError (one line)."""
    with ApiClient(
        options.target,
        options.api_key,
        timeout=options.timeout,
        retries=options.retries,
        sleep=options.sleep,
    ) as client:
        session = _signed_in(client, options)
        # Only the first is retrieved: the others are only ever listed, so the list's view of
        # them seeds the fake, and a big project costs one request per page, not per conversation.
        snapshot = read_snapshot(client, options.project_id, retrieve=1, session=session)
        if session is not None:
            _check_same_user(client, options.project_id, session, snapshot)
        scopes = probe_scopes(client, options.project_id)
        seeding = seed_fixture(snapshot, scopes=scopes)
        ids = snapshot.conversation_ids
        context = Context(options.project_id, ids[0] if ids else None)
        plan = steps(options.allow_writes)
        skipped = {s.name for s in flattened(plan) if s.needs_conversation and not ids}
        target = Side(client, context, ApiKey(options.api_key), session)
        target_answers = target.run_all(plan, skipped)
        profiles = ["documented", "actual"] if options.profile == "documented" else ["actual"]
        fake_answers = _ask_fakes(seeding, profiles, context, plan, skipped, options, session)
    results = [
        _seeding_result(read, seeding.problems, options.project_id)
        for read in _reads(seeding.problems)
    ]
    results += [
        _judge(step, context, target_answers, fake_answers, options.profile, session is not None)
        for step in flattened(plan)
    ]
    return VerifyReport(
        target=client.origin,
        project_id=options.project_id,
        profile=options.profile,
        allow_writes=options.allow_writes,
        conversations=len(ids),
        scopes=scopes,
        results=results,
        session=session is not None,
        secrets=session.secrets if session is not None else (),
    )


def _signed_in(client: ApiClient, options: VerifyOptions) -> WebSession | None:
    if not options.session_cookie:
        if options.allow_writes:
            raise TargetError(
                "--allow-writes needs --session-cookie: the queue, cancel and append steps "
                "refuse personal API keys"
            )
        return None
    return sign_in(
        client, options.project_id, options.session_cookie, csrf_token=options.csrf_token
    )


def _check_same_user(
    client: ApiClient, project_id: int, session: WebSession, snapshot: Snapshot
) -> None:
    """PostHog lists each user's own conversations: the key's and the session's lists match
    when they are the same user's."""
    answer = client.request(
        "GET", conversations_path(project_id), params={"limit": "1"}, credentials=session
    )
    page = answer.json if answer.is_json else None
    count = page.get("count") if isinstance(page, dict) else None
    if isinstance(count, int) and count != len(snapshot.listed):
        raise TargetError(
            f"the session cookie and the personal API key are not the same user's (their lists "
            f"hold {count} and {len(snapshot.listed)} conversations); sign in as the key's owner"
        )


@contextlib.contextmanager
def _fakes(
    seeding: Seeding, profiles: list[str]
) -> Iterator[dict[str, tuple[FakeServer, HeldRuns]]]:
    with contextlib.ExitStack() as stack:
        fakes = {}
        for profile in profiles:
            held = HeldRuns()
            server = FakeServer(
                seeding.fixture, profile, live=True, control=False, pacer=held, seed=seeding.seed
            )
            fakes[profile] = (stack.enter_context(server), held)
        yield fakes


def _ask_fakes(
    seeding: Seeding,
    profiles: list[str],
    context: Context,
    plan: list[Step],
    skipped: set[str],
    options: VerifyOptions,
    session: WebSession | None,
) -> dict[str, dict[str, Answer]]:
    answers = {}
    with _fakes(seeding, profiles) as servers:
        for profile, (server, held) in servers.items():
            key = ApiKey(PLACEHOLDER_KEY)
            fake_session = None
            if session is not None:
                # The docs know no sessions: the documented fake is asked with the key.
                fake_session = (
                    key
                    if profile == "documented"
                    else WebSession(PLACEHOLDER_SESSION, CSRF_TOKEN, server.url.rstrip("/"))
                )
            with ApiClient(server.url, PLACEHOLDER_KEY, timeout=options.timeout) as fake:
                side = Side(fake, context, key, fake_session, _queued_ids_of(server), held)
                answers[profile] = side.run_all(plan, skipped)
    return answers


def _queued_ids_of(server: FakeServer) -> Callable[[str], list[str]]:
    def queued_ids(conversation_id: str) -> list[str]:
        try:
            return [message.id for message in server.queue(conversation_id)]
        except KeyError:
            return []

    return queued_ids


def _reads(problems: list[SeedProblem]) -> list[str]:
    return list(dict.fromkeys(problem.read for problem in problems))


def _seeding_result(read: str, problems: list[SeedProblem], project_id: int) -> StepResult:
    """A report line for one read the fake could not be seeded with all of: a new difference
    per value, naming the conversation, the field and both values."""
    operation, suffix = READS[read]
    step = Step(read, "GET", conversations_path(project_id) + suffix, operation)
    differences = [
        Difference(p.path, p.target, p.seeded, f"conversation {p.conversation}: {p.reason}")
        if p.conversation
        else Difference(p.path, p.target, p.seeded, p.reason)
        for p in problems
        if p.read == read
    ]
    return StepResult(step, step.path, None, None, NEW, (), differences)


def _judge(
    step: Step,
    context: Context,
    target_answers: dict[str, Answer],
    fake_answers: dict[str, dict[str, Answer]],
    profile: str,
    signed_in: bool,
) -> StepResult:
    target = target_answers.get(step.name)
    fake = fake_answers[profile].get(step.name)
    fake_actual = fake_answers["actual"].get(step.name)
    path = step.path.format(**context.values())
    if step.auth == "session" and not signed_in:
        return StepResult(step, path, None, None, NEEDS_SESSION)
    if target is None or fake is None:
        return StepResult(step, path, target, fake, SKIPPED)
    path = target.path
    differences = compare(target, fake)
    if not differences:
        return StepResult(step, path, target, fake, SAME, fake_actual=fake_actual)
    if profile == "documented" and fake_actual is not None:
        remaining = compare(target, fake_actual)
        declared = tuple(name for name in step.divergences if name in KNOWN_IDS)
        if not remaining and declared:
            return StepResult(step, path, target, fake, KNOWN, declared, differences, fake_actual)
        if remaining:
            differences = remaining
    return StepResult(step, path, target, fake, NEW, (), differences, fake_actual)
