"""Small statistics over latency samples; nearest-rank percentiles, no interpolation."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: a value that was actually observed, never an interpolation."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def latency_summary(samples_ms: Sequence[float]) -> dict[str, float | int]:
    """p50/p90/p99/max in milliseconds, rounded for reading; the raw samples stay beside it."""
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 2),
        "p90_ms": round(percentile(samples_ms, 90), 2),
        "p99_ms": round(percentile(samples_ms, 99), 2),
        "max_ms": round(max(samples_ms), 2) if samples_ms else math.nan,
        "mean_ms": round(statistics.fmean(samples_ms), 2) if samples_ms else math.nan,
    }
