"""A wheel built from this checkout, beside a virtualenv with nothing installed: what the
recipe tests and the seed sweep install fakeserver from, as a user installs it."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT = 180


class FreshInstall(NamedTuple):
    bin_dir: Path
    """The empty virtualenv's bin folder (its python, pip and, once installed, fakeserver)."""
    wheel: Path


def wheel_and_empty_venv(into: Path) -> FreshInstall:
    """Build the wheel into `into/dist` and create an empty virtualenv in `into/venv`."""
    dist = into / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
        timeout=BUILD_TIMEOUT,
    )
    (wheel,) = dist.glob("fakeserver-*.whl")
    venv.create(into / "venv", with_pip=True)
    return FreshInstall(into / "venv" / "bin", wheel)
