"""`fakeserver verify`: the scenario against a target and a fake seeded from it, compared.

The fake runs in this process, live on 127.0.0.1 (so both sides go through the same HTTP client),
seeded from a snapshot of the target: the same project id, the conversations the target lists,
and a placeholder key with the scopes the target's key has. With `--profile documented` a second
fake in `actual` tells a known divergence (the target answers as `actual` does, and the step names
the table's row) from a new difference.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from fakeserver.api.divergences import DIVERGENCES
from fakeserver.conformance.client import DEFAULT_RETRIES, DEFAULT_TIMEOUT, Answer, ApiClient
from fakeserver.conformance.client import TargetError as TargetError
from fakeserver.conformance.compare import Difference, compare
from fakeserver.conformance.scenario import Context, Step, steps
from fakeserver.conformance.snapshot import (
    PLACEHOLDER_KEY,
    Snapshot,
    as_fixture,
    conversations_path,
    read_snapshot,
)
from fakeserver.fixture_files import FixtureError
from fakeserver.server import FakeServer

FAKE_REPLY_DELAY: Final = 0.05
"""Seconds between the fake's stream frames, so queue calls land while its run is going."""
READ_SCOPE: Final = "conversation:read"
WRITE_SCOPE: Final = "conversation:write"
KNOWN_IDS: Final = frozenset(divergence.id for divergence in DIVERGENCES)


@dataclass(frozen=True)
class VerifyOptions:
    target: str
    api_key: str
    project_id: int
    profile: str = "actual"
    allow_writes: bool = False
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
    """`same`, `known`, `new` or `skipped`."""
    divergences: tuple[str, ...] = ()
    differences: list[Difference] = field(default_factory=list)


@dataclass
class VerifyReport:
    target: str
    project_id: int
    profile: str
    allow_writes: bool
    conversations: int
    scopes: tuple[str, ...]
    results: list[StepResult]

    @property
    def new_differences(self) -> int:
        return sum(result.verdict == "new" for result in self.results)


def probe_scopes(client: ApiClient, project_id: int) -> tuple[str, ...]:
    """The key's conversation scopes: a DELETE of a conversation that cannot exist is refused
    for a missing write scope before anything is looked up, and is a 404 otherwise."""
    answer = client.request("DELETE", f"{conversations_path(project_id)}{uuid.uuid4()}/")
    if answer.status == 404:
        return (READ_SCOPE, WRITE_SCOPE)
    return (READ_SCOPE,)


class _Side:
    """One side of the comparison: a client, and the values its earlier steps remembered."""

    def __init__(self, client: ApiClient, context: Context) -> None:
        self.client = client
        self.values = context.values()

    def run(self, step: Step) -> list[tuple[Step, Answer]]:
        """The step's answer, then those of the steps it runs while its stream is open."""
        path = step.target_path(self.values)
        with self.client.stream(
            step.method, path, body=step.body, params=step.params, headers=step.headers
        ) as response:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                answer = self.client.read(step.method, path, response)
                self._remember(step, answer)
                return [(step, answer), *self._run_all(step.during)]
            # Read up to the first message (the run has started), act during the run, read on.
            names = self.client.events(response)
            events: list[str] = []
            for name in names:
                events.append(name)
                if name == "message":
                    break
            during = self._run_all(step.during)
            events += names
            answer = Answer(step.method, path, response.status_code, "text/event-stream")
            answer.events = events
            return [(step, answer), *during]

    def _run_all(self, inner: tuple[Step, ...]) -> list[tuple[Step, Answer]]:
        return [done for step in inner for done in self.run(step)]

    def _remember(self, step: Step, answer: Answer) -> None:
        if step.remember is not None:
            self.values.update(step.remember(answer))


def _run_all(side: _Side, plan: list[Step], skipped: set[str]) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for step in plan:
        if step.name in skipped:
            continue
        for done, answer in side.run(step):
            answers[done.name] = answer
    return answers


@contextlib.contextmanager
def _fakes(fixture: dict[str, Any], profiles: list[str]) -> Iterator[dict[str, FakeServer]]:
    try:
        servers = {
            profile: FakeServer(
                fixture, profile, live=True, control=False, reply_delay=FAKE_REPLY_DELAY
            )
            for profile in profiles
        }
    except FixtureError as error:
        raise TargetError(
            f"the target's conversations cannot seed the fake: {error.problems[0]}"
        ) from None
    with contextlib.ExitStack() as stack:
        for server in servers.values():
            stack.enter_context(server)
        yield servers


def _flatten(plan: list[Step]) -> list[Step]:
    return [item for step in plan for item in (step, *_flatten(list(step.during)))]


def verify(options: VerifyOptions) -> VerifyReport:
    """Run the scenario on both sides and judge each step. Raises TargetError (one line)."""
    with ApiClient(
        options.target,
        options.api_key,
        timeout=options.timeout,
        retries=options.retries,
        sleep=options.sleep,
    ) as client:
        # Only the first is retrieved: the others are only ever listed, so the list's view of
        # them seeds the fake, and a big project costs one request per page, not per conversation.
        snapshot = read_snapshot(client, options.project_id, retrieve=1)
        scopes = probe_scopes(client, options.project_id)
        fixture = as_fixture(snapshot, key=PLACEHOLDER_KEY, scopes=scopes)
        context = Context(options.project_id, _first_conversation(snapshot))
        plan = steps(context, options.allow_writes)
        skipped = {
            s.name for s in _flatten(plan) if s.needs_conversation and not context.conversation
        }
        target_answers = _run_all(_Side(client, context), plan, skipped)
        profiles = ["documented", "actual"] if options.profile == "documented" else ["actual"]
        with _fakes(fixture, profiles) as servers:
            fake_answers = {}
            for profile, server in servers.items():
                with ApiClient(server.url, PLACEHOLDER_KEY, timeout=options.timeout) as fake:
                    fake_answers[profile] = _run_all(_Side(fake, context), plan, skipped)
    results = [
        _judge(step, context, target_answers, fake_answers, options.profile)
        for step in _flatten(plan)
    ]
    return VerifyReport(
        target=client.origin,
        project_id=options.project_id,
        profile=options.profile,
        allow_writes=options.allow_writes,
        conversations=len(snapshot.conversations),
        scopes=scopes,
        results=results,
    )


def _first_conversation(snapshot: Snapshot) -> str | None:
    return str(snapshot.conversations[0]["id"]) if snapshot.conversations else None


def _judge(
    step: Step,
    context: Context,
    target_answers: dict[str, Answer],
    fake_answers: dict[str, dict[str, Answer]],
    profile: str,
) -> StepResult:
    target = target_answers.get(step.name)
    fake = fake_answers[profile].get(step.name)
    path = step.path.format(**context.values())
    if target is None or fake is None:
        return StepResult(step, path, target, fake, "skipped")
    path = target.path
    differences = compare(target, fake)
    if not differences:
        return StepResult(step, path, target, fake, "same")
    if profile == "documented":
        remaining = compare(target, fake_answers["actual"][step.name])
        declared = tuple(name for name in step.divergences if name in KNOWN_IDS)
        if not remaining and declared:
            return StepResult(step, path, target, fake, "known", declared, differences)
        if remaining:
            differences = remaining
    return StepResult(step, path, target, fake, "new", (), differences)
