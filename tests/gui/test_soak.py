"""Soak guard for the PySide6 pin (DEVELOPERS.md known trap, architecture reference P14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("soak_worker.py")


@pytest.mark.soak
def test_qasync_callbacks_and_model_inserts_survive_in_one_process() -> None:
    # A child process: the failure mode is an interpreter abort, which must become a
    # clear test failure rather than killing the whole pytest run.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, str(WORKER)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"soak worker failed ({result.returncode}):\n{output}"
    assert "callbacks=200000 rows=100000" in result.stdout
    assert "deallocating None" not in output
