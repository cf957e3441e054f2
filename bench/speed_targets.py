"""Measure fakeserver against its speed targets; write results.json and RESULTS.md.

    python bench/speed_targets.py [--quick] [--only live,in_process,startup,scale]

Settings from the environment: BENCH_RUNS (5), BENCH_SECONDS (3), BENCH_WARMUP_SECONDS (1),
BENCH_CONNECTIONS (32), BENCH_THREADS (1), BENCH_LOADGEN (auto | wrk | python),
BENCH_MAX_REQUESTS (the Python client's per-run budget, 200000). Exits 0 when every
measurement ran, whether or not the targets are met (the table says which are missed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import report
from measure.in_process import measure_in_process
from measure.live import measure_live
from measure.load import Shape, ensure_wrk
from measure.machine import machine_info
from measure.scale import SIZES, measure_scale
from measure.startup import measure_startup

PARTS = ("live", "in_process", "startup", "scale")


def _setting(name: str, default: float) -> float:
    return float(os.environ.get(f"BENCH_{name}", default))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer and shorter runs, sizes up to 10k (a smoke test of the bench)",
    )
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="directory for results.json and RESULTS.md (default: bench/, or a temporary "
        "directory with --quick or --only, so a partial run never replaces the full results)",
    )
    args = parser.parse_args(argv)
    partial = args.quick or args.only != ",".join(PARTS)
    if args.output is None:
        args.output = (
            Path(tempfile.mkdtemp(prefix="fakeserver-bench-"))
            if partial
            else Path(__file__).resolve().parent
        )
    parts = [part for part in args.only.split(",") if part]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")

    runs = 3 if args.quick else int(_setting("RUNS", 5))
    shape = Shape(
        connections=int(_setting("CONNECTIONS", 32)),
        threads=int(_setting("THREADS", 1)),
        seconds=1 if args.quick else _setting("SECONDS", 3),
        warmup_seconds=_setting("WARMUP_SECONDS", 1),
        max_requests=int(_setting("MAX_REQUESTS", 200_000)),
    )
    choice = os.environ.get("BENCH_LOADGEN", "auto")
    tool, note = ensure_wrk() if choice in ("auto", "wrk") else ("python", "BENCH_LOADGEN=python")
    if choice == "wrk" and tool != "wrk":
        print(f"wrk requested but unavailable: {note}", file=sys.stderr)
        return 1
    print(f"fakeserver bench: load generator {tool} ({note}); {runs} runs", flush=True)

    results: dict[str, Any] = {
        "machine": machine_info(),
        "settings": {
            "runs": runs,
            "loadgen": tool,
            "loadgen_note": note,
            "connections": shape.connections,
            "threads": shape.threads,
            "seconds": shape.seconds,
            "warmup_seconds": shape.warmup_seconds,
            "quick": args.quick,
            "parts": parts,
        },
    }
    with tempfile.TemporaryDirectory() as workdir:
        if "live" in parts:
            results["live"] = measure_live(tool, shape, runs, Path(workdir))
        if "in_process" in parts:
            results["in_process"] = measure_in_process(
                Path(workdir), samples=500 if args.quick else 2000, runs=runs
            )
        if "startup" in parts:
            results["startup"] = measure_startup(runs)
        if "scale" in parts:
            results["scale"] = measure_scale(
                repeat=50 if args.quick else 200, sizes=SIZES[:2] if args.quick else SIZES
            )
    results["targets"] = report.evaluate(results)
    report.write(results, args.output)
    print()
    print(report.markdown(results).split(report.TARGETS_HEADING + "\n", 1)[1].split("\n## ", 1)[0])
    print(f"written: {args.output / 'results.json'}, {args.output / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
