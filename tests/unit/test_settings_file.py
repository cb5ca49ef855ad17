"""Settings file: atomic JSON in the config directory, profiles without the license."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from navtalk_desktop.core.profile import DEFAULT_URL, LOCAL_SIMULATOR, ConnectionProfile
from navtalk_desktop.core.settings import AppSettings
from navtalk_desktop.infra.settings_file import SettingsFile, SettingsFileError


def test_defaults_when_missing_and_round_trip(app_home: Path) -> None:
    store = SettingsFile()
    assert store.path.parent == app_home / "config"
    settings = store.load()
    assert settings.active().name == LOCAL_SIMULATOR
    custom = ConnectionProfile(name="Prod", avatar_id="abc", voice="cedar", answer_deadline_s=3.5)
    updated = AppSettings(settings.profiles, "Prod", {"auto_answer": True}).with_profile(custom)
    store.save(updated)
    loaded = store.load()
    assert loaded == updated
    assert loaded.active() == custom
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["settings.json"]  # no temp left


def test_license_never_written(tmp_path: Path) -> None:
    store = SettingsFile(tmp_path / "s.json")
    profile = ConnectionProfile(name="P")
    # Even if a caller smuggles a license into the URL after validation, it is stripped.
    object.__setattr__(profile, "url", DEFAULT_URL + "?license=sk_navtalk_Leak123&x=1")
    store.save(AppSettings((profile,), "P"))
    text = store.path.read_text()
    assert "sk_navtalk_Leak123" not in text
    assert "license" not in text
    assert json.loads(text)["profiles"][0]["url"] == DEFAULT_URL + "?x=1"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{broken", "not valid JSON"),
        ("[]", "settings must be a JSON object"),
        ('{"version": 99}', "newer than this app"),
        ('{"profiles": [{"name": "a", "url": "http://x"}]}', "profile #1"),
        ('{"profiles": [{"name": "a"}, {"name": "a"}]}', "unique"),
    ],
)
def test_bad_file_gives_clear_error_and_is_left_alone(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(SettingsFileError, match=reason) as info:
        SettingsFile(path).load()
    assert str(path) in str(info.value)
    assert path.read_text() == content


def test_preferences_must_be_json() -> None:
    with pytest.raises(ValueError, match="JSON values"):
        AppSettings(preferences={"x": object()})
    settings = AppSettings().without_profile(LOCAL_SIMULATOR)
    assert settings.active().name == "NavTalk v2"
