"""The package's fixture-file reader, under the name each measured version gives it.

bench/ab.py runs this bench's code against older revisions too, and those call the reader
`fakeserver.fixtures` (renamed `fakeserver.fixture_files` when the package was reorganised).
"""

from __future__ import annotations

try:
    from fakeserver.fixture_files import default_fixture_path, derived_id, load_seed
except ImportError:  # a revision from before the rename
    from fakeserver.fixtures import (  # type: ignore[import-not-found,no-redef]
        default_fixture_path,
        derived_id,
        load_seed,
    )

__all__ = ["default_fixture_path", "derived_id", "load_seed"]
