"""Interleaved A/B of two versions of fakeserver on this machine: did a change cost anything?

    .venv/bin/python bench/ab.py OLD NEW [--runs 8] [--loads cycle,clear] [--parts live,targets]

OLD and NEW are git revisions, or `.` for the working tree. Each revision is copied out with
`git archive` and run from its copy through PYTHONPATH, from a directory outside any checkout
(docs/performance.md, fifth round: a server started inside a checkout imports that checkout's code).
This checkout's bench and virtualenv drive both.

- live: both servers run side by side; for each load of the bench, runs alternate A B B A ...
  (wrk, or the Python load generator), and each server's CPU per request comes from /proc.
- instructions: bench/instructions.py for each version (callgrind: deterministic, needs valgrind).
- targets: bench/speed_targets.py --only in_process,startup,scale for each version, A B B A,
  `--rounds` times; each figure is the median over a version's rounds.

Prints one markdown table per part: line, A, B, and B's change against A.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure.live import empty_queues, sample_bodies
from measure.load import Load, Shape, ensure_wrk, run_load
from measure.package import default_fixture_path
from measure.servers import RunningServer, fakeserver
from measure.workload import live_loads, write_extra_fixture

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PARTS = ("live", "instructions", "targets")
LOAD_KEYS = ("get_documented", "get_actual", "cycle", "list", "clear")
"""Short names of the bench's live loads, in `live_loads` order (as bench/instructions.py)."""


def checkout(revision: str, into: Path) -> Path:
    """A directory whose `fakeserver/` is the revision's package (`.`: the working tree)."""
    if revision == ".":
        return REPO
    target = into / re.sub(r"[^\w.-]", "_", revision)
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "fakeserver", "fixtures"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def environment(code: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code)}


def _change(a: float, b: float) -> str:
    return f"{(b - a) / a * 100:+.1f}%" if a else "n/a"


# Live --------------------------------------------------------------------------------------


def _one_run(tool: str, server: RunningServer, load: Load, shape: Shape) -> dict[str, float]:
    empty_queues(server.base_url, load)
    cpu_before = server.cpu_seconds()
    result = run_load(tool, server.base_url, load, shape)
    spent = server.cpu_seconds() - cpu_before
    return {"rps": result["rps"], "cpu_us": spent / max(result["requests"], 1) * 1e6}


def live_ab(
    codes: tuple[Path, Path], workdir: Path, loads: list[str], runs: int, shape: Shape
) -> list[tuple[str, float, float, float, float]]:
    """Per load: (name, A req/s, B req/s, A CPU us, B CPU us), medians of interleaved runs."""
    tool, note = ensure_wrk()
    print(f"live: load generator {tool} ({note}); {runs} runs per version and load", flush=True)
    extra = write_extra_fixture(workdir)
    rows = []
    with ExitStack() as stack:
        servers = [
            stack.enter_context(fakeserver([default_fixture_path(), extra], python_path=code))
            for code in codes
        ]
        bench_loads = live_loads(shape.cycle_conversations)
        assert len(bench_loads) == len(LOAD_KEYS), "LOAD_KEYS must name every live load"
        for key, load in zip(LOAD_KEYS, bench_loads, strict=True):
            if loads and key not in loads:
                continue
            for server in servers:
                sample_bodies(server.base_url, load)  # the load works on this version
                empty_queues(server.base_url, load)
                run_load(tool, server.base_url, load, shape, warmup=True)
            results: list[list[dict[str, float]]] = [[], []]
            for index in range(runs):
                order = (0, 1) if index % 2 == 0 else (1, 0)
                for which in order:
                    results[which].append(_one_run(tool, servers[which], load, shape))
            a, b = (
                {k: statistics.median(r[k] for r in side) for k in ("rps", "cpu_us")}
                for side in results
            )
            print(
                f"  {load.name}: A {a['rps']:.0f} req/s {a['cpu_us']:.1f} us, "
                f"B {b['rps']:.0f} req/s {b['cpu_us']:.1f} us",
                flush=True,
            )
            rows.append((load.name, a["rps"], b["rps"], a["cpu_us"], b["cpu_us"]))
    return rows


def live_table(rows: list[tuple[str, float, float, float, float]]) -> str:
    lines = [
        "| load | A req/s | B req/s | change | A CPU us/request | B CPU us/request | change |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, a_rps, b_rps, a_cpu, b_cpu in rows:
        lines.append(
            f"| {name} | {a_rps:,.0f} | {b_rps:,.0f} | {_change(a_rps, b_rps)} | "
            f"{a_cpu:.1f} | {b_cpu:.1f} | {_change(a_cpu, b_cpu)} |"
        )
    return "\n".join(lines)


# Instructions ------------------------------------------------------------------------------

_ROW = re.compile(r"^\| (.+?) \| ([\d,]+) \|$")


def instructions_of(code: Path, workdir: Path) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, str(BENCH / "instructions.py")],
        cwd=workdir,
        env=environment(code),
        capture_output=True,
        text=True,
        check=True,
    )
    found = {
        m[1]: int(m[2].replace(",", "")) for m in map(_ROW.match, done.stdout.splitlines()) if m
    }
    if not found:
        raise RuntimeError(f"instructions.py printed no counts:\n{done.stdout}\n{done.stderr}")
    return found


def count_table(a: dict[str, float], b: dict[str, float], unit: str) -> str:
    lines = [f"| line | A {unit} | B {unit} | change |", "|---|---|---|---|"]
    for name in a:
        if name in b:
            lines.append(
                f"| {name} | {a[name]:,.4g} | {b[name]:,.4g} | {_change(a[name], b[name])} |"
            )
    return "\n".join(lines)


# Targets -----------------------------------------------------------------------------------


def _target_lines(results: dict[str, Any]) -> Iterator[tuple[str, float]]:
    for row in results.get("in_process", []):
        yield f"in-process p50 ms: {row['name']}", row["p50_ms"]
    startup = results.get("startup")
    if startup:
        yield "serve ready s", startup["serve_ready_s"]
        yield "import fakeserver.app s", startup["import_s"]
        yield "first create_app() s", startup["first_create_s"]
    for row in results.get("scale", []):
        size = f"{row['conversations']:,}"
        yield f"scale {size}: fixture load (.json) s", row["fixture_load_s"]
        yield f"scale {size}: bytes per conversation", row["bytes_per_conversation"]
        yield f"scale {size}: list page (HTTP) ms", row["list_page_http_ms"]
        yield f"scale {size}: reset ms", row["reset_ms"]


def targets_of(code: Path, workdir: Path, parts: str, quick: bool) -> dict[str, float]:
    output = Path(tempfile.mkdtemp(dir=workdir))
    command = [sys.executable, str(BENCH / "speed_targets.py"), "--only", parts]
    command += ["--output", str(output)] + (["--quick"] if quick else [])
    subprocess.run(command, cwd=workdir, env=environment(code), check=True, capture_output=True)
    return dict(_target_lines(json.loads((output / "results.json").read_text())))


def interleaved(rounds: int, measure: Callable[[int], dict[str, float]]) -> list[dict[str, float]]:
    """Medians per version of `measure(version)` over rounds run A B B A ..."""
    seen: list[list[dict[str, float]]] = [[], []]
    for index in range(rounds * 2):
        which = (0, 1, 1, 0)[index % 4]
        print(f"targets: round {index // 2 + 1}, version {'AB'[which]}", flush=True)
        seen[which].append(measure(which))
    return [
        {line: statistics.median(run[line] for run in runs) for line in runs[0]} for runs in seen
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="the old version: a git revision, or . for the working tree")
    parser.add_argument("b", help="the new version")
    parser.add_argument("--parts", default="live,instructions,targets")
    parser.add_argument("--runs", type=int, default=8, help="live runs per version and load")
    parser.add_argument("--loads", default="", help=f"live loads to run: {', '.join(LOAD_KEYS)}")
    parser.add_argument("--rounds", type=int, default=2, help="targets runs per version")
    parser.add_argument("--targets", default="in_process,startup,scale")
    parser.add_argument("--quick", action="store_true", help="targets: --quick sizes and samples")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    shape = Shape(
        connections=int(os.environ.get("BENCH_CONNECTIONS", 32)),
        threads=int(os.environ.get("BENCH_THREADS", 1)),
        seconds=float(os.environ.get("BENCH_SECONDS", 3)),
        warmup_seconds=float(os.environ.get("BENCH_WARMUP_SECONDS", 1)),
        max_requests=int(os.environ.get("BENCH_MAX_REQUESTS", 200_000)),
    )
    with tempfile.TemporaryDirectory(prefix="fakeserver-ab-") as temporary:
        workdir = Path(temporary)
        codes = (checkout(args.a, workdir), checkout(args.b, workdir))
        print(f"A = {args.a}, B = {args.b}\n", flush=True)
        if "live" in parts:
            loads = [key for key in args.loads.split(",") if key]
            if set(loads) - set(LOAD_KEYS):
                parser.error(f"unknown loads {sorted(set(loads) - set(LOAD_KEYS))}")
            print(live_table(live_ab(codes, workdir, loads, args.runs, shape)) + "\n", flush=True)
        if "instructions" in parts:
            counts = [instructions_of(code, workdir) for code in codes]
            print(count_table(*counts, "instructions per call") + "\n", flush=True)  # type: ignore[arg-type]
        if "targets" in parts:
            medians = interleaved(
                args.rounds,
                lambda which: targets_of(codes[which], workdir, args.targets, args.quick),
            )
            print(count_table(medians[0], medians[1], "median") + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
