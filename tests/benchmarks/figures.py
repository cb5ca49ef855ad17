"""Figures from the children's results: throughputs, medians, RSS points and ratio rows."""

from __future__ import annotations

from typing import Any

from tests.benchmarks.measure import median
from tests.benchmarks.results import Row


def _fps(result: dict[str, Any]) -> float | None:
    value = result.get("fps")
    return float(value) if isinstance(value, int | float) and "error" not in result else None


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    # A failed repeat makes the figure unreliable: report nothing rather than a partial median.
    return median(present) if present and len(present) == len(values) else None


def _per_second(count: object, seconds: object) -> float | None:
    if isinstance(count, int | float) and isinstance(seconds, int | float) and seconds > 0:
        return float(count) / float(seconds)
    return None


def _scaled(summary: object, factor: float) -> dict[str, float] | None:
    """A :meth:`Distribution.to_json` summary with every figure but ``count`` scaled."""
    if not isinstance(summary, dict):
        return None
    return {k: v if k == "count" else v * factor for k, v in summary.items()}


def _lag_p99(result: dict[str, Any]) -> float | None:
    lag = result.get("lag")
    if "error" in result or not isinstance(lag, dict):
        return None
    return float(lag["p99"]) * 1000


def _rss_at(samples: list[Any], index: int, count: int) -> float | None:
    """RSS when sample field ``index`` (0: frames, 1: audio frames) reached ``count``.

    Interpolated between the two samples around it; None if the run never got there.
    """
    previous: list[Any] | None = None
    for sample in samples:
        if sample[index] >= count:
            if previous is None or sample[index] == previous[index]:
                return float(sample[2])
            share = (count - previous[index]) / (sample[index] - previous[index])
            return float(previous[2] + share * (sample[2] - previous[2]))
        previous = sample
    return None


def _ratio_row(
    id: str,
    what: str,
    figure: str,
    value: float | None,
    baseline: float | None,
    baseline_what: str,
    minimum_ratio: float | None,
    details: dict[str, Any],
    *,
    unit: str = "frames/s",
) -> Row:
    row = Row(
        id=id,
        what=what,
        figure=figure,
        unit=unit,
        value=value,
        baseline=baseline,
        baseline_what=baseline_what,
        target="" if minimum_ratio is None else f"≥ {minimum_ratio:g}x baseline",
        details=details,
    )
    if minimum_ratio is not None and row.ratio is not None:
        row.passed = row.ratio >= minimum_ratio
    return row
