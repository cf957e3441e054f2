"""Fixture files (YAML or JSON): reading, validating with paths in every error, and building the
domain's `Seed`. The default fixture is the repository's `fixtures/default.yaml`, which a
wheel carries here."""

from fakeserver.fixture_files.ids import derived_id
from fakeserver.fixture_files.loader import (
    FixtureSource,
    FixtureText,
    check_fixture,
    default_fixture_path,
    load_seed,
)
from fakeserver.fixture_files.records import FixtureError

__all__ = [
    "FixtureError",
    "FixtureSource",
    "FixtureText",
    "check_fixture",
    "default_fixture_path",
    "derived_id",
    "load_seed",
]
