"""The documented schemathesis recipe under many seeds, as a user runs it, and a table of results.

    .venv/bin/python contract_tests/seed_sweep.py [--seeds 1-20] [--profile documented|actual]
        [--max-examples 25] [--run-timeout 300] [--venv DIR] [--logs DIR]

From a wheel of this checkout in a fresh virtualenv (`pip install <wheel> schemathesis`; or an
existing environment with `--venv`), for each profile and seed: a fresh `fakeserver serve
--profile P` on a free port, `fakeserver schemathesis-config --profile P --base-url URL >
schemathesis.toml`, then `schemathesis run URL/api/schema/ --checks all --seed N --max-examples
25` (the recipe's value) in that folder, every phase (docs/contract-testing.md). Heavy: each run
takes tens of seconds on two cores; run it by hand, not in `make test` (which runs a few fixed
seeds: contract_tests/live.py).

A run passes when schemathesis finds no failure and warns of neither missing test data nor
failed authentication; other warnings are listed in the table. Exit status: 0 when every run
passes. Each run's folder (configuration, server log, schemathesis output) stays in the logs
folder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fresh_install import wheel_and_empty_venv
from live import PROFILES, TABLE_HEAD, run_recipe

INSTALL_TIMEOUT: Final = 300


def seed_range(text: str) -> list[int]:
    """`1-20`, `7` or `3,5,9-11`."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds.extend(range(int(first), int(last or first) + 1))
    return seeds


def fresh_environment(into: Path) -> Path:
    """A virtualenv holding only the wheel of this checkout and schemathesis: its bin folder."""
    bin_dir, wheel = wheel_and_empty_venv(into)
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel), "schemathesis"],
        check=True,
        timeout=INSTALL_TIMEOUT,
    )
    return bin_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=seed_range, default=seed_range("1-20"))
    parser.add_argument("--profile", choices=PROFILES, action="append")
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--run-timeout", type=float, default=300.0)
    parser.add_argument("--venv", type=Path, help="an environment with fakeserver and schemathesis")
    parser.add_argument("--logs", type=Path, help="where each run's folder goes (default: temp)")
    args = parser.parse_args()
    logs: Path = args.logs or Path(tempfile.mkdtemp(prefix="fakeserver-sweep-"))
    logs.mkdir(parents=True, exist_ok=True)
    bin_dir = args.venv.resolve() / "bin" if args.venv else fresh_environment(logs)
    version = subprocess.run(
        [str(bin_dir / "schemathesis"), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"{version}; --max-examples {args.max_examples}; logs in {logs}", flush=True)
    outcomes = []
    for profile in args.profile or PROFILES:
        for seed in args.seeds:
            workdir = Path(tempfile.mkdtemp(prefix=f"{profile}-{seed}-", dir=logs))
            outcome = run_recipe(
                [str(bin_dir / "fakeserver")],
                str(bin_dir / "schemathesis"),
                profile,
                seed,
                workdir,
                ["--max-examples", str(args.max_examples)],
                args.run_timeout,
            )
            outcomes.append(outcome)
            print(outcome.row(), flush=True)
    print(f"\n{TABLE_HEAD}\n" + "\n".join(outcome.row() for outcome in outcomes))
    passed = sum(outcome.passed for outcome in outcomes)
    print(f"\n{passed} of {len(outcomes)} runs passed")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
