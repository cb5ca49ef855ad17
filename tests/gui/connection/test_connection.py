"""Connection panel: profiles, the license in the keychain (or not), server messages."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit

from navtalk_desktop import app as app_module
from navtalk_desktop.simulator.config import SimulatorConfig
from tests.gui.ui_support import workbench_factory
from tests.helpers.memory_keyring import MemoryKeyring

__all__ = ["workbench_factory"]

Factory = Callable[..., app_module.Workbench]
SECRET = "sk_navtalk_connection_test_key"


def _to_v2(qtbot: Any, workbench: app_module.Workbench) -> Any:
    panel = workbench.panels["connection"]
    panel.select_profile("NavTalk v2")
    qtbot.waitUntil(lambda: panel.license_status.text() != "Checking the keychain…", timeout=20_000)
    return panel


def test_license_is_saved_to_the_keychain_masked_and_revealed_on_demand(
    qtbot: Any, workbench_factory: Factory, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    workbench = workbench_factory()
    panel = _to_v2(qtbot, workbench)
    assert panel.license_group.isEnabled()
    assert panel.license_edit.echoMode() == QLineEdit.EchoMode.Password
    qtbot.keyClicks(panel.license_edit, SECRET)
    assert panel.save_license_button.isEnabled()
    qtbot.mouseClick(panel.save_license_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: ("navtalk-desktop", "NavTalk v2") in memory_keyring.passwords, timeout=20_000
    )
    assert memory_keyring.passwords[("navtalk-desktop", "NavTalk v2")] == SECRET
    # The keychain is written off the GUI thread; the status follows once the task resumes.
    qtbot.waitUntil(lambda: "system keychain" in panel.license_status.text(), timeout=20_000)
    panel.reveal_button.click()
    assert panel.license_edit.echoMode() == QLineEdit.EchoMode.Normal
    assert panel.reveal_button.text() == "Hide"
    panel.reveal_button.click()
    assert panel.license_edit.echoMode() == QLineEdit.EchoMode.Password
    # The license never reaches the settings file.
    qtbot.waitUntil(lambda: (tmp_path / "settings.json").exists(), timeout=20_000)
    assert SECRET not in (tmp_path / "settings.json").read_text()
    # Switching away and back loads it from the keychain again.
    panel.select_profile("Local simulator")
    assert not panel.license_group.isEnabled()
    _to_v2(qtbot, workbench)
    qtbot.waitUntil(lambda: panel.license_edit.text() == SECRET, timeout=20_000)
    # Forget removes it.
    panel.forget_license_button.click()
    qtbot.waitUntil(
        lambda: ("navtalk-desktop", "NavTalk v2") not in memory_keyring.passwords, timeout=20_000
    )


def test_without_a_keychain_the_user_chooses_session_only_or_cancel(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # no Secret Service at all
    workbench = workbench_factory()
    panel = _to_v2(qtbot, workbench)
    assert panel.license_status.text().startswith("No keychain available")
    assert "gnome-keyring" in panel.license_status.toolTip()  # what to install
    assert not panel.banner.isVisible()  # nothing to decide before a license is typed

    qtbot.keyClicks(panel.license_edit, SECRET)
    panel.save_license_button.click()
    qtbot.waitUntil(panel.banner.isVisible, timeout=20_000)
    assert "there is no system keychain" in panel.banner.label.text()
    panel.banner.button("cancel").click()
    assert not panel.banner.isVisible()
    assert not workbench.bridge.has_session_license("NavTalk v2")
    assert panel.license_status.text() == "The license was not stored."

    panel.save_license_button.click()
    qtbot.waitUntil(panel.banner.isVisible, timeout=20_000)
    panel.banner.button("session_only").click()
    assert workbench.bridge.has_session_license("NavTalk v2")
    assert "this session only" in panel.license_status.text()
    # Memory only: nothing on disk mentions it.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_pasted_url_with_license_moves_the_key_out_of_the_url(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    workbench = workbench_factory()
    panel = _to_v2(qtbot, workbench)
    panel.url_edit.selectAll()
    QGuiApplication.clipboard().setText(
        f"wss://example.invalid/wss/v2/realtime-chat?license={SECRET}"
    )
    panel.url_edit.paste()
    assert SECRET not in panel.url_edit.text()
    assert panel.license_edit.text() == SECRET
    assert panel.license_edit.echoMode() == QLineEdit.EchoMode.Password
    assert panel.apply_form()
    assert workbench.bridge.profile.url == "wss://example.invalid/wss/v2/realtime-chat"
    assert "license=***" in panel.url_label.text()
    # Typed by hand: the key moves once editing ends, never split half-way.
    panel.url_edit.setFocus()
    panel.url_edit.end(False)
    qtbot.keyClicks(panel.url_edit, "?license=sk_typed_key")
    assert panel.license_edit.text() == SECRET
    panel.url_edit.editingFinished.emit()
    assert panel.license_edit.text() == "sk_typed_key"
    assert panel.url_edit.text() == "wss://example.invalid/wss/v2/realtime-chat"
    qtbot.waitUntil(
        lambda: (
            (tmp_path / "settings.json").exists()
            and "example.invalid" in (tmp_path / "settings.json").read_text()
        ),
        timeout=20_000,
    )
    settings = (tmp_path / "settings.json").read_text()
    assert SECRET not in settings
    assert "sk_typed_key" not in settings


def test_invalid_endpoint_is_explained_and_blocks_connect(
    qtbot: Any, workbench_factory: Factory
) -> None:
    workbench = workbench_factory()
    panel = _to_v2(qtbot, workbench)
    before = workbench.bridge.profile
    panel.url_edit.setText("http://not-a-websocket")
    assert not panel.apply_form()
    assert panel.form_error.isVisible()
    assert "ws:// or wss://" in panel.form_error.text()
    assert not panel.connect_button.isEnabled()
    assert workbench.bridge.profile == before
    panel.url_edit.setText("wss://transfer.navtalk.ai/wss/v2/realtime-chat")
    assert panel.apply_form()
    assert panel.connect_button.isEnabled()


def test_profiles_can_be_added_and_deleted(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path
) -> None:
    workbench = workbench_factory()
    panel = workbench.panels["connection"]
    added = panel.add_profile(
        workbench.bridge.profile.with_changes(
            name="Staging", local_simulator=False, url="wss://staging.invalid/ws"
        )
    )
    assert added.name == "Staging"
    assert workbench.bridge.profile.name == "Staging"
    again = panel.add_profile(added)
    assert again.name == "Staging (2)"
    qtbot.waitUntil(
        lambda: (
            (tmp_path / "settings.json").exists()
            and "Staging (2)" in (tmp_path / "settings.json").read_text()
        ),
        timeout=20_000,
    )
    panel.delete_action.trigger()
    names = [p["name"] for p in json.loads((tmp_path / "settings.json").read_text())["profiles"]]
    qtbot.waitUntil(
        lambda: (
            "Staging (2)"
            not in json.loads((tmp_path / "settings.json").read_text())["active_profile"]
            and "Staging (2)"
            not in [
                p["name"] for p in json.loads((tmp_path / "settings.json").read_text())["profiles"]
            ]
        ),
        timeout=20_000,
    )
    assert "Local simulator" in names


def test_settings_writes_never_finish_out_of_order(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbench = workbench_factory()
    panel = workbench.panels["connection"]
    save = workbench.settings_file.save
    calls: list[str] = []
    finished: list[str] = []
    disk_free = threading.Event()

    def slow_first_save(settings: Any) -> None:
        # A slow disk on the first write: a second write started meanwhile would finish
        # first and then be overwritten by the older settings. The disk stays busy until
        # the test has made its other changes (a gate, not a sleep: a loaded machine
        # cannot let the first write finish early).
        calls.append(settings.active_profile)
        if settings.active_profile == "First":
            assert disk_free.wait(30), "the test never released the first write"
        save(settings)
        finished.append(settings.active_profile)

    monkeypatch.setattr(workbench.settings_file, "save", slow_first_save)
    base = workbench.bridge.profile.with_changes(local_simulator=False, url="wss://x.invalid/ws")
    panel.add_profile(base.with_changes(name="First"))
    qtbot.waitUntil(lambda: "First" in calls, timeout=20_000)  # the slow write is under way
    panel.add_profile(base.with_changes(name="Second"))
    panel.add_profile(base.with_changes(name="Third"))
    disk_free.set()
    qtbot.waitUntil(lambda: "Third" in finished and len(finished) == len(calls), timeout=20_000)
    document = json.loads((tmp_path / "settings.json").read_text())
    assert document["active_profile"] == "Third"
    assert {"First", "Second", "Third"} <= {p["name"] for p in document["profiles"]}
    assert calls[-1] == "Third"
    assert "Second" not in calls  # changes made during a write are merged into one


@pytest.mark.parametrize("wrong_profile", ["No such profile"])
def test_unknown_profile_option_is_reported_not_fatal(
    workbench_factory: Factory, wrong_profile: str
) -> None:
    workbench = workbench_factory("--profile", wrong_profile)
    assert workbench.bridge.profile.name == "Local simulator"
    notes = workbench.window.notifications.history
    assert any(wrong_profile in n.message and n.level == "error" for n in notes)


def test_server_refusal_is_shown_plainly(qtbot: Any, workbench_factory: Factory) -> None:
    # The simulator accepts only another license: the server's own words must show up.
    config = SimulatorConfig(
        timings=SimulatorConfig.fast().timings, licenses=frozenset({"sk_other"}), speech="tone"
    )
    workbench = workbench_factory("--connect", simulator_config=config)
    panel = workbench.panels["connection"]
    qtbot.waitUntil(lambda: workbench.bridge.state == "failed", timeout=20_000)
    assert "Invalid license key" in panel.state_label.text()
    assert "Failed" in panel.state_label.text()
    assert panel.connect_button.text() == "Connect"
    texts = [panel.messages.item(i).text() for i in range(panel.messages.count())]
    assert any("Invalid license key" in t for t in texts)
    assert "Invalid license key" in workbench.window.status.state_label.text()
