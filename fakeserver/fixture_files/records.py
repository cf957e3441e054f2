"""Reading fixture documents: parsing (JSON or YAML), and a record reader that collects every
problem.

`fakeserver.fixture_files` (and `fixture_scripts` for the `agent:` sections) describe what each
record holds; this module walks the records and words the problems as `file: path: message`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn, TypeVar

import yaml

from fakeserver.fixture_files import values as v

T = TypeVar("T")
D = TypeVar("D")

YAML_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: several times faster on the default fixture."""


class FixtureSyntaxError(ValueError):
    """A fixture file that does not parse; the message says where and why."""


def parse_fixture_text(text: str, is_json: bool) -> Any:
    """A fixture file's document. A `.json` file is read as JSON (RFC 8259: a number like
    `1e5` is a number, which YAML 1.1 reads as a string; and libyaml is ~80x slower on a large
    file), any other file as YAML (which reads most JSON too)."""
    if not is_json:
        try:
            return yaml.load(text, Loader=YAML_LOADER)
        except yaml.YAMLError:
            problem = describe_yaml_error(pure_python_yaml_error(text))
            raise FixtureSyntaxError(f"not valid YAML or JSON: {problem}") from None
        except (ValueError, RecursionError) as error:
            raise FixtureSyntaxError(f"not valid YAML or JSON: {_unreadable(error)}") from None
    try:
        # A byte order mark is not JSON, but editors write one and RFC 8259 lets readers skip it.
        document = json.loads(text.removeprefix("\ufeff"), parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise FixtureSyntaxError(f"not valid JSON: {where}: {error.msg}") from None
    except (ValueError, RecursionError) as error:
        raise FixtureSyntaxError(f"not valid JSON: {_unreadable(error)}") from None
    if _SURROGATE_ESCAPE.search(text):  # UTF-8 text has none: only an escape makes one
        refuse_lone_surrogates(document)
    return document


def refuse_lone_surrogates(document: Any) -> None:
    """For a document given already parsed (the control API's, a Python caller's): raise
    `FixtureSyntaxError` naming the first string that holds half a surrogate pair."""
    try:
        text = json.dumps(document, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        return  # not JSON in other ways, which the record readers report
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        _name_lone_surrogate(document, "")


_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _name_lone_surrogate(value: Any, at: str) -> None:
    """JSON lets `\\ud800` stand alone, but it is half a character, and no answer holding it
    could be sent (UTF-8 has no encoding for it). A pair has become one character by now."""
    if isinstance(value, str):
        found = _SURROGATE.search(value)
        if found is not None:
            code = f"U+{ord(found.group()):04X}"
            raise FixtureSyntaxError(f"{at}: {code} is half of a surrogate pair, not a character")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _name_lone_surrogate(item, f"{at}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _name_lone_surrogate(key, at or "(a key)")
            _name_lone_surrogate(item, f"{at}.{key}" if at else key)


def _unreadable(error: ValueError | RecursionError) -> str:
    """A value the parser found but Python could not make (an integer of more than 4300
    digits, a date that does not exist such as YAML's `2024-13-45`, JSON's NaN), or nesting
    past the recursion limit."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error).split(";")[0]  # not Python's advice on sys.set_int_max_str_digits()


def _refuse_constant(name: str) -> NoReturn:
    """Python's json reads NaN and Infinity; JSON has no such values."""
    raise ValueError(f"{name} is not a JSON value")


def pure_python_yaml_error(text: str) -> yaml.YAMLError:
    """The pure-Python parser's error for a text libyaml refused: its messages are clearer."""
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as error:
        return error
    except RecursionError:
        return yaml.YAMLError("nested too deeply")
    except ValueError:  # constructing a value libyaml had already refused
        pass
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
        self, data: Any, source: str, path: str, problems: Problems, known: AbstractSet[str] | None
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

    def record(self, key: str, known: AbstractSet[str] | None) -> Record:
        """The mapping under `key`, read at its own path (a problem if it is not a mapping)."""
        return Record(self.data.get(key), self.source, self._at(key), self.problems, known)

    def records(self, key: str, known: AbstractSet[str] | None) -> Iterator[Record]:
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


def claim(table: Mapping[Any, Located], key: Any, record: Record, kind: str) -> bool:
    """Refuse a duplicate id inside one file; a later file replaces the earlier record."""
    earlier = table.get(key)
    if earlier is not None and earlier.source == record.source:
        record.problems.add(
            record.source, record.path, f"duplicate {kind} id {key} (also at {earlier.path})"
        )
        return False
    return True
