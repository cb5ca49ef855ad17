"""Where NavTalk Desktop keeps its files: XDG/platform directories, overridable for tests."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "navtalk-desktop"
# One variable moves everything (config, data, logs) somewhere else: tests, portable use.
HOME_OVERRIDE_ENV = "NAVTALK_DESKTOP_HOME"


def _override() -> Path | None:
    value = os.environ.get(HOME_OVERRIDE_ENV)
    return Path(value) if value else None


def config_dir() -> Path:
    """Settings files (profiles, preferences). Never holds the license."""
    base = _override()
    path = base / "config" if base else Path(platformdirs.user_config_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Tool sets, recordings, example databases."""
    base = _override()
    path = base / "data" if base else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    """Application logs (license always redacted)."""
    base = _override()
    path = base / "logs" if base else Path(platformdirs.user_log_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path
