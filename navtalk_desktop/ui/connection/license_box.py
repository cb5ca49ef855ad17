"""LicenseBox: a profile's license, kept in the keychain (or for this session only), never on disk."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.ports import SecretStoreUnavailable
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.notifications import Banner
from navtalk_desktop.ui.widgets.flow_layout import FlowLayout


class LicenseBox(QGroupBox):
    """The License group: a masked field, Show, Save to Keychain, Forget and a status line.

    The keychain is read and written off the GUI thread (the bridge's tasks). Without a
    keychain, ``banner`` offers to keep the license in memory for this session only.

    Args:
        bridge: the session bridge (secret store, tasks, session-only licenses).
        banner: where the no-keychain choice is offered.
        parent: optional parent widget.

    Signals:
        notification_requested(str, str): level and text for a non-modal notification.
    """

    notification_requested = Signal(str, str)

    def __init__(
        self, bridge: EngineAdapter, banner: Banner, parent: QWidget | None = None
    ) -> None:
        super().__init__("License", parent)
        self.bridge = bridge
        self.banner = banner
        self.pending = ""  # typed but not saved
        banner.action_triggered.connect(self._on_banner_action)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.edit = QLineEdit()
        self.edit.setObjectName("license_edit")
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("sk_navtalk_…")
        self.edit.setToolTip(
            "Your NavTalk API key. Stored in the system keychain, never in settings files,\n"
            "logs or exports."
        )
        self.edit.setAccessibleName("License key")
        self.edit.textEdited.connect(self.on_edited)
        row.addWidget(self.edit, 1)
        self.reveal_button = QToolButton()
        self.reveal_button.setObjectName("reveal_button")
        self.reveal_button.setText("Show")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setToolTip("Show the license while this is pressed in")
        self.reveal_button.toggled.connect(self._on_reveal_toggled)
        row.addWidget(self.reveal_button)
        layout.addLayout(row)
        # The buttons wrap in a narrow Connection column instead of being cut off.
        buttons_host = QWidget()
        buttons = FlowLayout(buttons_host)
        buttons.setContentsMargins(0, 0, 0, 0)
        self.save_button = QPushButton("Save to Keychain")
        self.save_button.setObjectName("save_license_button")
        self.save_button.setToolTip("Store the license in the system keychain for this profile")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)
        buttons.addWidget(self.save_button)
        self.forget_button = QPushButton("Forget")
        self.forget_button.setObjectName("forget_license_button")
        self.forget_button.setToolTip("Remove this profile's license from the keychain")
        self.forget_button.clicked.connect(self.forget)
        buttons.addWidget(self.forget_button)
        layout.addWidget(buttons_host)
        self.status = QLabel()
        self.status.setObjectName("license_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

    def load(self, profile: ConnectionProfile) -> None:
        """Show ``profile``'s license (read from the keychain in the background)."""
        self.edit.clear()
        self.pending = ""
        self.reveal_button.setChecked(False)
        self.save_button.setEnabled(False)
        self.banner.clear()
        if profile.local_simulator:
            self.setEnabled(False)
            self.status.setText("The built-in simulator needs no license.")
            return
        self.setEnabled(True)
        self.status.setText("Checking the keychain…")
        name = profile.name
        self.bridge.tasks.start(self._fetch(name), name=f"license-load-{name}")

    async def _fetch(self, name: str) -> None:
        try:
            value = await self.bridge.secrets.get(name)
        except SecretStoreUnavailable as error:
            if self.bridge.profile.name == name:
                # Only explained here; the choice is offered when there is a license to keep.
                self.status.setText(
                    "No keychain available: a license can only be kept for this session."
                )
                self.status.setToolTip(error.message)
            return
        if self.bridge.profile.name != name or self.pending:
            return
        if value:
            self.edit.setText(value)
            session_only = self.bridge.has_session_license(name)
            self.status.setText(
                "Using a license kept for this session only (not saved)."
                if session_only
                else "License stored in the system keychain."
            )
        else:
            self.status.setText("No license stored for this profile yet.")

    def set_text(self, text: str) -> None:
        """Put ``text`` in the field as if typed (a license moved out of a pasted URL)."""
        self.edit.setText(text)
        self.on_edited(text)

    def on_edited(self, text: str) -> None:
        """The user typed: the license waits to be saved."""
        self.pending = text.strip()
        self.save_button.setEnabled(bool(self.pending))
        self.status.setText("Not saved yet: press Save to Keychain." if text else "")

    def _on_reveal_toggled(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal_button.setText("Hide" if shown else "Show")

    @Slot()
    def save(self) -> None:
        """Store the typed license in the keychain (in the background)."""
        value = self.edit.text().strip()
        if not value:
            return
        name = self.bridge.profile.name
        self.save_button.setEnabled(False)
        self.bridge.tasks.start(self._store(name, value), name=f"license-save-{name}")

    async def _store(self, name: str, value: str) -> None:
        try:
            await self.bridge.secrets.set(name, value)
        except SecretStoreUnavailable as error:
            self._offer_session_only(error.message)
            return
        self.pending = ""
        self.status.setText("License stored in the system keychain.")
        self.notification_requested.emit("success", f"License saved to the keychain for “{name}”")

    def _offer_session_only(self, reason: str) -> None:
        self.save_button.setEnabled(bool(self.edit.text().strip()))
        self.banner.show_message(
            "<b>The license cannot be saved: there is no system keychain.</b>"
            f"<br><small>{html.escape(reason, quote=False)}</small><br>"
            "Use it for this session only? It stays in memory, is forgotten when the app"
            " quits, and is never written to a file.",
            "warning",
            [("session_only", "Use for This Session Only"), ("cancel", "Cancel")],
        )

    @Slot(str)
    def _on_banner_action(self, key: str) -> None:
        self.banner.clear()
        if key != "session_only":
            self.status.setText("The license was not stored.")
            return
        value = self.edit.text().strip()
        if not value:
            self.status.setText("Type the license first.")
            return
        self.bridge.set_session_license(self.bridge.profile.name, value)
        self.pending = ""
        self.save_button.setEnabled(False)
        self.status.setText("Using the license for this session only (not saved).")

    @Slot()
    def forget(self) -> None:
        """Remove this profile's license from the keychain and from memory."""
        name = self.bridge.profile.name
        self.edit.clear()
        self.pending = ""
        self.bridge.tasks.start(self._delete(name), name=f"license-forget-{name}")

    async def _delete(self, name: str) -> None:
        self.bridge.set_session_license(name, None)
        try:
            await self.bridge.secrets.delete(name)
        except SecretStoreUnavailable as error:
            self.status.setText(f"No keychain: {error.message}")
            return
        self.status.setText("License removed.")


__all__ = ["LicenseBox"]
