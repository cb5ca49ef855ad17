"""Shared fixtures and collection rules for the whole suite."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Must happen before pytest-qt's qapp fixture creates the QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep every file the app or Qt writes (QSettings, platformdirs) out of the developer's home.
_SANDBOX = Path(tempfile.mkdtemp(prefix="navtalk-tests-"))
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = str(_SANDBOX / _name.lower())
os.environ["NAVTALK_DESKTOP_HOME"] = str(_SANDBOX / "navtalk-home")
# Workbenches in tests run their engine on a thread (fast to start, and tests may reach
# into it); tests of the app's default child-process engine ask for it (--engine process).
os.environ.setdefault("NAVTALK_ENGINE", "thread")

import keyring  # noqa: E402  (environment above must be set first)
import pytest  # noqa: E402

from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402

TESTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by folder, and mark every test that uses a QApplication as ``gui``."""
    for item in items:
        path = Path(str(item.fspath))
        for folder in ("integration", "gui", "e2e"):
            if (TESTS_DIR / folder) in path.parents:
                item.add_marker(folder)
        if "qapp" in getattr(item, "fixturenames", ()):
            item.add_marker("gui")


@pytest.fixture(autouse=True)
def memory_keyring(request: pytest.FixtureRequest) -> Iterator[MemoryKeyring | None]:
    """Route keyring to memory for every test, unless it is marked ``keychain``."""
    if request.node.get_closest_marker("keychain"):
        yield None
        return
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private NAVTALK_DESKTOP_HOME for one test."""
    home = tmp_path / "navtalk-home"
    monkeypatch.setenv("NAVTALK_DESKTOP_HOME", str(home))
    return home
