"""Reading fixture documents: YAML parsing, and a record reader that collects every problem.

`fakeserver.fixtures` (and `fixture_scripts` for the `agent:` sections) describe what each record
holds; this module walks the records and words the problems as `file: path: message`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import yaml

from fakeserver import fixture_values as v

T = TypeVar("T")
D = TypeVar("D")

YAML_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: several times faster on the default fixture."""


def pure_python_yaml_error(text: str) -> yaml.YAMLError:
    """The pure-Python parser's error for a text libyaml refused: its messages are clearer."""
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as error:
        return error
    return yaml.YAMLError("the document could not be parsed")


def describe_yaml_error(error: yaml.YAMLError) -> str:
    """One line: where the parser stopped and why."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
    return str(error).replace("\n", " ")


class FixtureError(ValueError):
    """A fixture could not be loaded; `problems` lists every `file: path: message`."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("invalid fixture:\n  " + "\n  ".join(self.problems))


@dataclass
class Problems:
    found: list[str] = field(default_factory=list)

    def add(self, source: str, path: str, message: str) -> None:
        self.found.append(f"{source}: {path}: {message}" if path else f"{source}: {message}")


class Record:
    """Reads one mapping of a fixture, recording problems instead of stopping at the first."""

    def __init__(
        self, data: Any, source: str, path: str, problems: Problems, known: set[str] | None
    ):
        self.source, self.path, self.problems = source, path, problems
        self.valid = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not self.valid:
            problems.add(source, path, f"expected a mapping, got {type(data).__name__}")
        unknown = [key for key in self.data if known is not None and key not in known]
        for key in unknown:
            expected = ", ".join(sorted(known or ()))
            problems.add(source, self._at(str(key)), f"unknown key (expected one of: {expected})")

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def required(self, key: str, reader: v.ValueReader[T]) -> T | None:
        """The value, or None after recording why there is none."""
        if key not in self.data:
            if self.valid:
                self.problems.add(self.source, self._at(key), "is required")
            return None
        return self.optional(key, reader, None)

    def optional(self, key: str, reader: v.ValueReader[T], default: D) -> T | D:
        if key not in self.data:
            return default
        try:
            return reader(self.data[key])
        except v.InvalidValue as problem:
            self.problems.add(self.source, self._at(key), str(problem))
            return default

    def records(self, key: str, known: set[str] | None) -> Iterator[Record]:
        items = self.data.get(key, [])
        if not isinstance(items, list):
            self.problems.add(self.source, self._at(key), "expected a list")
            return
        for index, item in enumerate(items):
            yield Record(item, self.source, f"{self._at(key)}[{index}]", self.problems, known)


@dataclass
class Located:
    """A parsed record and where it came from, for reference errors after merging."""

    value: Any
    source: str
    path: str
    refs: dict[str, Any] = field(default_factory=dict)
