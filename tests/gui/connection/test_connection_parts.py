"""The Connection panel's parts on their own: profile groups, server messages, license box."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit

from navtalk_desktop.core.profile import (
    ConnectionProfile,
    Provider,
    RegistrationStyle,
    ResultStyle,
    default_profiles,
)
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.ui.connection.license_box import LicenseBox
from navtalk_desktop.ui.connection.profile_groups import ProtocolGroup, ReconnectGroup
from navtalk_desktop.ui.connection.server_messages import MAX_SERVER_MESSAGES, ServerMessages
from navtalk_desktop.ui.shell.notifications import Banner
from tests.gui.ui_support import make_bridge

WAIT_MS = 20_000
PROFILE = ConnectionProfile(
    name="Staging",
    provider=Provider.ELEVENLABS,
    registration=RegistrationStyle.BOTH,
    result_style=ResultStyle.CONVERSATION_ITEM,
    answer_deadline_s=None,
    reconnect=ReconnectPolicy(
        enabled=False, initial_delay_s=2.0, max_delay_s=30.0, multiplier=3.0, max_attempts=4
    ),
    replay_history=True,
)


def test_profile_groups_show_a_profile_and_give_it_back(qtbot: Any) -> None:
    protocol, reconnect = ProtocolGroup(), ReconnectGroup()
    for group in (protocol, reconnect):
        qtbot.addWidget(group)
    protocol.load(PROFILE)
    reconnect.load(PROFILE)
    assert protocol.deadline_spin.text() == "no deadline"
    assert PROFILE.with_changes(**protocol.changes(), **reconnect.changes(PROFILE.reconnect)) == (
        PROFILE
    )
    with qtbot.waitSignal(protocol.changed, timeout=WAIT_MS):
        protocol.deadline_spin.setValue(7.5)
    with qtbot.waitSignal(reconnect.changed, timeout=WAIT_MS):
        reconnect.max_delay_spin.setValue(1.0)  # below the first wait
    changed = PROFILE.with_changes(**protocol.changes(), **reconnect.changes(PROFILE.reconnect))
    assert changed.answer_deadline_s == 7.5
    assert changed.provider is Provider.ELEVENLABS
    # The longest wait is never shorter than the first; the backoff shape is kept.
    assert (changed.reconnect.max_delay_s, changed.reconnect.multiplier) == (2.0, 3.0)


def test_server_messages_keep_the_newest_with_their_time(qtbot: Any) -> None:
    messages = ServerMessages()
    qtbot.addWidget(messages)
    assert messages.last_text() is None
    for n in range(MAX_SERVER_MESSAGES + 5):
        messages.add(f"event {n}")
    assert messages.count() == MAX_SERVER_MESSAGES
    assert messages.item(0).text().endswith("  event 5")
    assert messages.item(0).text()[:8].count(":") == 2  # HH:MM:SS
    assert messages.last_text() == f"event {MAX_SERVER_MESSAGES + 4}"
    messages.add("Connect failed: refused", keep=None)
    assert messages.count() == MAX_SERVER_MESSAGES + 1
    assert messages.last_text() == "Connect failed: refused"


def test_license_box_masks_marks_unsaved_and_skips_the_simulator(qtbot: Any) -> None:
    banner = Banner()
    bridge = make_bridge()
    box = LicenseBox(bridge, banner)
    qtbot.addWidget(box)
    qtbot.addWidget(banner)
    box.load(default_profiles()[0])  # the built-in simulator: no license, no keychain read
    assert not box.isEnabled()
    assert box.status.text() == "The built-in simulator needs no license."
    assert box.pending == ""

    box.setEnabled(True)
    box.set_text(" sk_navtalk_typed ")
    assert box.pending == "sk_navtalk_typed"
    assert box.save_button.isEnabled()
    assert box.status.text() == "Not saved yet: press Save to Keychain."
    assert box.edit.echoMode() == QLineEdit.EchoMode.Password
    box.reveal_button.click()
    assert box.edit.echoMode() == QLineEdit.EchoMode.Normal
    assert box.reveal_button.text() == "Hide"
    box.reveal_button.click()
    assert box.edit.echoMode() == QLineEdit.EchoMode.Password
    # Loading a profile again drops what was typed for the previous one.
    box.load(default_profiles()[0])
    assert (box.pending, box.edit.text(), box.save_button.isEnabled()) == ("", "", False)
