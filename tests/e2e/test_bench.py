"""The benchmark command runs end to end in its tiny configuration.

Speed is never asserted here (the benchmark itself judges targets); this checks that
``python -m tests.benchmarks --quick`` measures every figure of B1-B6 next to its
same-run baseline, prints the table and writes the JSON file.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_ROWS = {
    ("B1", "frames/s, mixed"),
    ("B2", "frames/s, mixed"),
    ("B2", "frames/s, small frames"),
    ("B3", "p50"),
    ("B3", "p99"),
    ("B3", "p99, engine alone"),
    ("B3", "p99, bot beside GUI"),
    ("B4", None),  # after N mixed frames
    ("B5", "seconds (median)"),
    ("B6", None),  # p99 at N frames/s
}


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_quick_benchmark_prints_table_and_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "results" / "bench.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,  # tests.benchmarks is not installed: it is found from the repository root
        capture_output=True,
        text=True,
        timeout=600,  # generous: the quick run is slow with both cores busy
        env=env,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "Traceback" not in log, log

    document = json.loads(out.read_text())
    assert document["format"] == "navtalk-desktop.bench"
    assert document["config"]["quick"] is True
    rows = document["rows"]
    assert {row["id"] for row in rows} == {"B1", "B2", "B3", "B4", "B5", "B6"}
    for row_id, figure in EXPECTED_ROWS:
        matching = [r for r in rows if r["id"] == row_id and figure in (None, r["figure"])]
        assert matching, (
            f"no {row_id} {figure or ''} row in {[(r['id'], r['figure']) for r in rows]}"
        )
    for row in rows:
        where = f"{row['id']} {row['figure']}"
        # Every figure sits next to a baseline measured in the same run, as a ratio.
        assert _positive(row["baseline"]), f"{where}: baseline {row['baseline']!r}"
        # Values may be zero or negative (memory growth can be), but never missing.
        assert isinstance(row["value"], int | float), f"{where}: value {row['value']!r}"
        assert row["ratio"] is not None, where
        assert math.isclose(row["ratio"], row["value"] / row["baseline"], rel_tol=1e-9), where
        assert row["target"], where
        assert row["passed"] in (True, False, None), where
    judged = [row for row in rows if row["passed"] is not None]
    assert len(judged) >= 7, [(r["id"], r["figure"]) for r in rows if r["passed"] is None]

    # The printed table has the same rows, each with its ratio.
    table = result.stdout[result.stdout.index("Baseline (same run)") :]
    for row in rows:
        line = next(
            (ln for ln in table.splitlines() if ln.startswith(row["id"]) and row["figure"] in ln),
            None,
        )
        assert line is not None, f"{row['id']} {row['figure']} missing from the table:\n{table}"
        assert f"{row['ratio']:.2f}x" in line, line
    assert f"Results written to {out}" in result.stdout
