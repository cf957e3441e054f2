"""Running the scenario on one side (the target, or one of verify's fakes) and keeping its answers.

A side signs each step in as the step says (a key or a session) and remembers what later steps
need (the ids of queued messages). On a fake, runs are held: an agent run emits nothing after
the human message until the side lets it go, so the queue steps that run during a create's
stream always find the run going, however slow the machine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from fakeserver.conformance.client import Answer, ApiClient, Credentials
from fakeserver.conformance.scenario import SESSION, Context, Step


class HeldRuns:
    """A run pacer (`RunPacer`) whose runs wait, frame after frame, until `release()`: a
    cancel ends them first. Safe to release from any thread."""

    def __init__(self) -> None:
        self._released = False
        self._lock = threading.Lock()
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def before_frame(self, conversation_id: str) -> None:
        event = asyncio.Event()
        with self._lock:
            if self._released:
                return
            self._waiting.append((asyncio.get_running_loop(), event))
        await event.wait()

    def release(self) -> None:
        with self._lock:
            self._released = True
            waiting, self._waiting = self._waiting, []
        for loop, event in waiting:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)


@dataclass
class Side:
    """One side of the comparison: a client, how it signs steps in, and what it remembered."""

    client: ApiClient
    context: Context
    key: Credentials
    session: Credentials | None
    """None when verify has no session: the session steps are not run."""
    queued_ids: Callable[[str], list[str]] | None = None
    """A fake's own view of a conversation's queue, for answers that do not show it (the
    documented profile answers queue calls with the Conversation)."""
    held: HeldRuns | None = None

    def __post_init__(self) -> None:
        self.values = self.context.values()

    def runs(self, step: Step) -> bool:
        return step.auth != SESSION or self.session is not None

    def run_all(self, plan: list[Step], skipped: set[str]) -> dict[str, Answer]:
        answers: dict[str, Answer] = {}
        for step in plan:
            if step.name in skipped or not self.runs(step):
                continue
            for done, answer in self.run(step, skipped):
                answers[done.name] = answer
        return answers

    def run(self, step: Step, skipped: set[str]) -> list[tuple[Step, Answer]]:
        """The step's answer, then those of the steps it runs while its stream is open."""
        path = step.target_path(self.values)
        credentials = self.session if step.auth == SESSION else self.key
        with self.client.stream(
            step.method,
            path,
            body=step.request_body(self.values),
            params=step.params,
            headers=step.request_headers(self.values),
            credentials=credentials,
        ) as response:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                answer = self.client.read(step.method, path, response)
                self._remember(step, answer)
                return [(step, answer), *self._during(step, skipped)]
            # Read up to the first message (the run has started), act during the run, read on.
            names = self.client.events(response)
            events: list[str] = []
            for name in names:
                events.append(name)
                if name == "message":
                    break
            during = self._during(step, skipped)
            events += names
            answer = Answer(step.method, path, response.status_code, "text/event-stream")
            answer.events = events
            return [(step, answer), *during]

    def _during(self, step: Step, skipped: set[str]) -> list[tuple[Step, Answer]]:
        inner = [s for s in step.during if s.name not in skipped and self.runs(s)]
        done = [item for s in inner for item in self.run(s, skipped)]
        if step.during and self.held is not None:
            self.held.release()  # a run the steps did not cancel ends as its script says
        return done

    def _remember(self, step: Step, answer: Answer) -> None:
        if step.remembers is None:
            return
        queued = _queued_ids(answer)
        if not queued and self.queued_ids is not None:
            queued = self.queued_ids(self.values["created"])
        if queued:
            self.values[step.remembers] = queued[-1]


def _queued_ids(answer: Answer) -> list[str]:
    """The ids of the queued messages in a queue envelope (if this answer is one)."""
    body = answer.json if answer.is_json else None
    if not isinstance(body, dict) or "max_queue_messages" not in body:
        return []  # the documented answer, a Conversation, has messages of another kind
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [str(item.get("id")) for item in messages if isinstance(item, dict)]
