"""The bench is not run by `make test` (it is long and wants a quiet machine), but its scripts
must still import against the package as it is: each one answers `--help`; and its RESULTS.md
is what its report writes, nothing more."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize("script", sorted(BENCH.glob("*.py")), ids=lambda path: path.name)
def test_every_bench_script_imports_and_answers_help(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_results_md_is_exactly_what_the_report_writes_from_results_json() -> None:
    """RESULTS.md holds only generated results (the history is docs/performance.md): the report
    rebuilds it, byte for byte, from results.json."""
    rebuild = (
        "import json, sys; sys.path.insert(0, 'bench'); from measure import report; "
        "sys.stdout.write(report.markdown(json.load(open('bench/results.json'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", rebuild],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (BENCH / "RESULTS.md").read_text(encoding="utf-8")
