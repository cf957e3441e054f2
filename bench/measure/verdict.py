"""A timing's line against its target: median and p99 in milliseconds, and whether p99 is under
the target (the small benches' shared report: bench/tooling_bench.py, bench/dashboard_bench.py)."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def report(name: str, samples: list[float], target: float) -> bool:
    median, p99 = statistics.median(samples), percentile(samples, 0.99)
    verdict = "ok" if p99 < target else "OVER TARGET"
    print(
        f"{name:<46} median {median:8.3f} ms  p99 {p99:8.3f} ms  "
        f"(target < {target:g} ms: {verdict})"
    )
    return p99 < target
