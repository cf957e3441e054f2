"""The fault rules a server holds: added by the control API, FakeServer and the pytest marker,
picked per request by `fakeserver.harness.faults`."""

from __future__ import annotations

import threading
from typing import Any

from fakeserver.harness.fault_rules import FaultRule


class FaultRegistry:
    """The active rules, in the order they were added; the first that fires wins."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._counter = 0

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._counter += 1
            rule.id = rule.id or f"fault-{self._counter}"
            self._rules.append(rule)
        return rule

    def add_json(self, data: Any) -> FaultRule:
        return self.add(FaultRule.from_json(data, self.seed))

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            kept = [rule for rule in self._rules if rule.id != rule_id]
            removed = len(kept) != len(self._rules)
            self._rules = kept
        return removed

    def clear(self, namespace: str | None = None) -> None:
        """Remove every rule, or only the rules scoped to `namespace`."""
        with self._lock:
            self._rules = (
                []
                if namespace is None
                else [rule for rule in self._rules if rule.namespace != namespace]
            )

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    @property
    def is_empty(self) -> bool:
        """No rule at all. Read without the lock: one reference read, and a rule added at that very
        moment applies from the next request on."""
        return not self._rules

    def pick(
        self, method: str, path: str, operation_id: str | None, namespace: str
    ) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, operation_id, namespace) and rule.fire():
                    return rule
        return None
