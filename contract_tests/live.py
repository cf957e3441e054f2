"""The shipped schemathesis configuration against a live server, as a user runs it, under five
fixed seeds per profile.

    python contract_tests/live.py [--profile documented|actual] [--seeds 11,23,37,59,83]
        [--max-examples N]

Each run starts a fresh `fakeserver serve --profile P --port 0`, prints the configuration with
`fakeserver schemathesis-config --profile P --base-url URL` into a `schemathesis.toml` in an
empty folder, and runs `schemathesis run URL/api/schema/ --checks all --seed N` there: the steps
of docs/contract-testing.md, with the phases a seed changes (fuzzing and stateful) and a small
`--max-examples`, so that ten runs take what one run per profile took before. The coverage phase
hardly depends on the seed: the recipe test (test_recipe.py) runs every phase of the shipped
configuration, as written and under a fixed seed. The two profiles run side by side. A run passes
when schemathesis finds no failure and warns of neither missing test data nor failed
authentication (`contract_tests/seed_sweep.py` runs the same check over seeds 1..20, every phase).

Exit status: 0 when every run passes. Each server start and each schemathesis run is bounded in
time; the server is stopped whatever happens.
"""

from __future__ import annotations

import argparse
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

PROFILES: Final = ("documented", "actual")
SEEDS: Final = (11, 23, 37, 59, 83)
"""Fixed, so that `make test` passes or fails the same way every time."""
MAX_EXAMPLES: Final = 5
PHASES: Final = "fuzzing,stateful"
"""The phases a seed changes."""
START_TIMEOUT: Final = 20.0
RUN_TIMEOUT: Final = 150.0
STOP_TIMEOUT: Final = 10.0
BASE_URL_LABEL: Final = "base URL"
BLOCKING_WARNINGS: Final = ("Missing test data", "Authentication failed")
"""Warnings that mean some operations were never really tested: they fail a run."""


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


@contextmanager
def serving(command: list[str], transcript: Path | None = None) -> Iterator[str]:
    """A `fakeserver serve ... --port 0` (the command) started; yields its base URL from the
    banner, and stops it whatever happens (then writes what it printed to `transcript`)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    output: list[str] = []
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"fakeserver did not start in {START_TIMEOUT} s") from None
            if line is None:
                raise RuntimeError("fakeserver exited before it was ready:\n" + "".join(output))
            output.append(line)
            if line.strip().startswith(BASE_URL_LABEL):
                yield line.split()[-1]
                return
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if transcript is not None:
            output.extend(iter(lines.get, None))
            transcript.write_text("".join(output))


@dataclass(frozen=True, slots=True)
class Outcome:
    """One schemathesis run, as its summary tells it."""

    profile: str
    seed: int
    exit_code: int | None
    """None: the run did not finish in time."""
    failures: list[str]
    warnings: list[str]
    seconds: float

    @property
    def passed(self) -> bool:
        blocking = [w for w in self.warnings if w.startswith(BLOCKING_WARNINGS)]
        return self.exit_code == 0 and not self.failures and not blocking

    def row(self) -> str:
        result = "pass" if self.passed else ("timeout" if self.exit_code is None else "FAIL")
        failures = "; ".join(self.failures) or "-"
        warnings = "; ".join(self.warnings) or "-"
        return (
            f"| {self.profile} | {self.seed} | {result} | {failures} | {warnings} "
            f"| {self.seconds:.0f} |"
        )


TABLE_HEAD: Final = (
    "| profile | seed | result | failures | warnings | seconds |\n|---|---|---|---|---|---|"
)


def summary_lines(output: str, title: str) -> list[str]:
    """The lines of one section (`Failures`, `Warnings`) of schemathesis' SUMMARY."""
    if "SUMMARY" not in output:
        return []
    summary = output[output.rindex("SUMMARY") :]
    section = re.search(rf"^{title}:\n((?:  .*\n)+)", summary, re.MULTILINE)
    if section is None:
        return []
    return [line.strip().lstrip("❌⚠️ ").strip() for line in section.group(1).splitlines()]


def run_recipe(
    fakeserver: Sequence[str],
    schemathesis: str,
    profile: str,
    seed: int,
    workdir: Path,
    extra: Sequence[str] = (),
    timeout: float = RUN_TIMEOUT,
) -> Outcome:
    """The documented steps once, in `workdir` (left holding the config, server and run logs)."""
    started = time.monotonic()
    serve = [*fakeserver, "serve", "--host", "127.0.0.1", "--port", "0", "--profile", profile]
    with serving([*serve, "--access-log"], workdir / "server.log") as base_url:
        config = subprocess.run(
            [*fakeserver, "schemathesis-config", "--profile", profile, "--base-url", base_url],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        (workdir / "schemathesis.toml").write_text(config)
        command = [schemathesis, "run", f"{base_url}/api/schema/", "--checks", "all"]
        command += ["--seed", str(seed), "--no-color", *extra]
        try:
            done = subprocess.run(
                command, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False
            )
            exit_code: int | None = done.returncode
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            exit_code, output = None, str(expired.stdout or "")
    (workdir / "output.txt").write_text(output)
    return Outcome(
        profile,
        seed,
        exit_code,
        summary_lines(output, "Failures"),
        summary_lines(output, "Warnings"),
        time.monotonic() - started,
    )


def run_profile(
    profile: str, seeds: Sequence[int], max_examples: int, folder: Path
) -> list[Outcome]:
    fakeserver = [sys.executable, "-m", "fakeserver"]
    schemathesis = str(Path(sys.executable).with_name("schemathesis"))
    extra = ["--max-examples", str(max_examples), "--phases", PHASES]
    outcomes = []
    for seed in seeds:
        workdir = folder / f"{profile}-{seed}"
        workdir.mkdir()
        outcome = run_recipe(fakeserver, schemathesis, profile, seed, workdir, extra)
        if not outcome.passed:
            print((workdir / "output.txt").read_text(), flush=True)
        outcomes.append(outcome)
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=PROFILES, action="append")
    parser.add_argument("--seeds", type=lambda text: [int(s) for s in text.split(",")])
    parser.add_argument("--max-examples", type=int, default=MAX_EXAMPLES)
    args = parser.parse_args()
    profiles = args.profile or PROFILES
    with (
        tempfile.TemporaryDirectory(prefix="fakeserver-contract-") as folder,
        ThreadPoolExecutor(len(profiles)) as pool,
    ):
        runs = [
            pool.submit(run_profile, profile, args.seeds or SEEDS, args.max_examples, Path(folder))
            for profile in profiles
        ]
        outcomes = [outcome for run in runs for outcome in run.result()]
    print(f"{TABLE_HEAD}\n" + "\n".join(outcome.row() for outcome in outcomes))
    failed = [outcome for outcome in outcomes if not outcome.passed]
    if failed:
        print(f"live contract runs failed: {len(failed)} of {len(outcomes)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
