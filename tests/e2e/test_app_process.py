"""The real ``navtalk-desktop`` process starts, shows its window and shuts down cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage


def test_app_starts_shows_window_and_quits_cleanly(tmp_path: Path) -> None:
    shot = tmp_path / "main.png"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "NAVTALK_DESKTOP_HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        # The subprocess must never reach a developer's real keychain.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    result = subprocess.run(
        [sys.executable, "-m", "navtalk_desktop", "--screenshot", str(shot), "--quit-after", "2"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "main window shown" in log
    assert "shutting down" in log
    for noise in ("Traceback", "Event loop is closed", "Task was destroyed but it is pending"):
        assert noise not in log, log
    image = QImage(str(shot))
    assert not image.isNull()
    assert image.width() >= 800
    assert image.height() >= 500
