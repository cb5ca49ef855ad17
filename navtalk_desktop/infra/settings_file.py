"""Settings as a JSON file in the platform config directory, written atomically, never the license."""

from __future__ import annotations

import json
from pathlib import Path

from navtalk_desktop.core.profile import strip_license
from navtalk_desktop.core.settings import AppSettings
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.atomic_file import atomic_write_text

SETTINGS_FILENAME = "settings.json"


class SettingsFileError(Exception):
    """The settings file exists but cannot be used; it is left untouched for the user.

    Attributes:
        path: the file.
        reason: what is wrong.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"Cannot use the settings file {path}: {reason}")
        self.path = path
        self.reason = reason


class SettingsFile:
    """Load and save :class:`~navtalk_desktop.core.settings.AppSettings`.

    Args:
        path: the file (default: ``settings.json`` in :func:`paths.config_dir`).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / SETTINGS_FILENAME

    def load(self) -> AppSettings:
        """The saved settings, or the defaults when there is no file yet.

        Raises:
            SettingsFileError: when the file is unreadable, not JSON or invalid (the file is
                not modified, so nothing is lost).
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AppSettings()
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsFileError(self.path, str(error)) from None
        try:
            data = json.loads(text)
        except ValueError as error:
            raise SettingsFileError(self.path, f"not valid JSON ({error})") from None
        try:
            return AppSettings.from_dict(data)
        except ValueError as error:
            raise SettingsFileError(self.path, str(error)) from None

    def save(self, settings: AppSettings) -> None:
        """Write ``settings`` atomically (temp file + fsync + rename).

        URLs are stored without any ``license`` parameter, whatever the profile holds.
        """
        data = settings.to_dict()
        for profile in data["profiles"]:
            profile["url"] = strip_license(profile["url"])
            profile.pop("license", None)
        atomic_write_text(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
