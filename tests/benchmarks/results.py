"""Benchmark results: one row per figure, rendered as a table and written as JSON."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from navtalk_desktop.infra.atomic_file import atomic_write_text

RESULTS_FORMAT = "navtalk-desktop.bench"
RESULTS_VERSION = 1


@dataclass(slots=True)
class Row:
    """One figure next to its same-run baseline.

    Attributes:
        id: benchmark number from the issue (``B1`` … ``B6``).
        what: what was measured.
        figure: which figure of it (``frames/s``, ``p99``…).
        unit: unit of ``value`` and ``baseline``.
        value: the measured figure (``None`` when the run failed).
        baseline: the same-run baseline figure.
        baseline_what: what the baseline is.
        ratio: ``value / baseline``.
        target: the target in words.
        passed: whether the target is met (``None``: not judged, e.g. failed run).
        notes: anything a reader needs to interpret the row.
        details: supporting numbers (repeats, distributions …).
    """

    id: str
    what: str
    figure: str
    unit: str
    value: float | None
    baseline: float | None
    baseline_what: str
    target: str
    passed: bool | None = None
    ratio: float | None = None
    notes: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.baseline:
            self.ratio = self.value / self.baseline


def _fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit in ("frames/s",):
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MB":
        return f"{value:,.1f} MB"
    if unit == "s":
        return f"{value:.3f} s"
    return f"{value:,.3g} {unit}"


def render_table(rows: list[Row]) -> str:
    """A plain-text table of every row (fits a 160-column terminal)."""
    header = ("#", "What", "Figure", "Value", "Baseline (same run)", "Ratio", "Target", "Result")
    lines = [header]
    for row in rows:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}x"
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[row.passed]
        baseline = f"{_fmt(row.baseline, row.unit)} ({row.baseline_what})"
        lines.append(
            (
                row.id,
                row.what,
                row.figure,
                _fmt(row.value, row.unit),
                baseline,
                ratio,
                row.target,
                verdict,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    notes = [f"{row.id} {row.figure}: {row.notes}" for row in rows if row.notes]
    if notes:
        out.append("")
        out.extend(notes)
    return "\n".join(out)


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    with contextlib.suppress(OSError):
        info["load_average"] = os.getloadavg()
    for module in ("PySide6", "websockets", "qasync"):
        try:
            info[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            info[module] = None
    return info


def write_results(
    path: Path, rows: list[Row], config: dict[str, Any], started: str, runs: dict[str, Any]
) -> None:
    """Write every row, the configuration and the raw child results as one JSON file."""
    document = {
        "format": RESULTS_FORMAT,
        "version": RESULTS_VERSION,
        "started": started,
        "machine": machine_info(),
        "config": config,
        "rows": [asdict(row) for row in rows],
        "runs": runs,
    }
    atomic_write_text(path, json.dumps(document, indent=2, default=str))
