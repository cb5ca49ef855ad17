"""ConnectionPanel: profiles, the license (keychain), Connect/Disconnect and server messages."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.profile import (
    ConnectionProfile,
    license_from_url,
    strip_license,
)
from navtalk_desktop.ui.connection.license_box import LicenseBox
from navtalk_desktop.ui.connection.profile_groups import ProtocolGroup, ReconnectGroup
from navtalk_desktop.ui.connection.server_messages import MAX_SERVER_MESSAGES, ServerMessages
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.notifications import Banner
from navtalk_desktop.ui.shell.shortcuts import with_shortcut
from navtalk_desktop.ui.shell.status_bar import adds_to_label, describe_state
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.accessible_names import name_form_fields

log = logging.getLogger(__name__)

VOICES = ("marin", "cedar", "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse")


class ConnectionPanel(QWidget):
    """Edit connection profiles, store the license, connect and watch the connection.

    Edits apply as soon as they are valid; invalid input is explained under the form and
    changes nothing. The license never leaves the keychain (or, when there is none and the
    user agrees, this process's memory).

    Args:
        bridge: the session bridge (provides the secret store and connects).
        profiles: the profiles to offer (the active one is the bridge's).

    Signals:
        profiles_changed(list): the profile list changed; app.py persists it.
        notification_requested(str, str): level and text for a non-modal notification.
    """

    profiles_changed = Signal(list)
    notification_requested = Signal(str, str)

    def __init__(
        self,
        bridge: EngineAdapter,
        profiles: list[ConnectionProfile],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connection_panel")
        # Wide enough for a readable URL; the form itself sets the least width it needs.
        self.setMinimumWidth(200)
        self.bridge = bridge
        self._profiles: list[ConnectionProfile] = list(profiles) or [bridge.profile]
        if all(p.name != bridge.profile.name for p in self._profiles):
            self._profiles.insert(0, bridge.profile)
        self._loading = False
        self._build_ui()
        self._reload_profile_combo(bridge.profile.name)
        self._load_profile(bridge.profile)
        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(250)
        self._apply_timer.timeout.connect(self.apply_form)
        bridge.state_changed.connect(self._on_bridge_state_changed)
        bridge.profile_changed.connect(self._on_bridge_profile_changed)
        bridge.error_reported.connect(self._on_bridge_error)
        self._on_bridge_state_changed(bridge.state, "")
        name_form_fields(self)

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)

        # Profile chooser row.
        row = QHBoxLayout()
        self.profile_combo = QComboBox()
        self.profile_combo.setObjectName("profile_combo")
        self.profile_combo.setToolTip("Connection profile: endpoint, avatar and protocol variants")
        self.profile_combo.setAccessibleName("Connection profile")
        self.profile_combo.currentIndexChanged.connect(self._on_profile_combo_changed)
        row.addWidget(self.profile_combo, 1)
        self.profile_menu_button = QToolButton()
        self.profile_menu_button.setText("⋯")
        self.profile_menu_button.setToolTip("New, duplicate or delete profiles")
        self.profile_menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.new_action = QAction("New Profile…", self)
        self.new_action.triggered.connect(self._on_new_profile)
        self.duplicate_action = QAction("Duplicate Profile", self)
        self.duplicate_action.triggered.connect(self._on_duplicate_profile)
        self.delete_action = QAction("Delete Profile", self)
        self.delete_action.triggered.connect(self._on_delete_profile)
        for action in (self.new_action, self.duplicate_action, self.delete_action):
            self.profile_menu_button.addAction(action)
        row.addWidget(self.profile_menu_button)
        outer.addLayout(row)

        # Connect button + state.
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("connect_button")
        self.connect_button.setToolTip(with_shortcut("Connect with this profile", "connect"))
        self.connect_button.setMinimumHeight(32)
        self.connect_button.clicked.connect(self.toggle_connection)
        outer.addWidget(self.connect_button)
        self.state_label = QLabel()
        self.state_label.setObjectName("connection_state")
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.state_label)
        self.url_label = QLabel()
        self.url_label.setObjectName("masked_url")
        self.url_label.setWordWrap(True)
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setToolTip("The URL that will be opened; the license is always shown as ***")
        outer.addWidget(self.url_label)

        self.banner = Banner()
        self.banner.setObjectName("keychain_banner")
        outer.addWidget(self.banner)

        # The form scrolls; the connect button and messages stay visible.
        form_host = QWidget()
        form_layout = QVBoxLayout(form_host)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addWidget(self._build_endpoint_group())
        form_layout.addWidget(self._build_license_group())
        form_layout.addWidget(self._build_protocol_group())
        form_layout.addWidget(self._build_reconnect_group())
        form_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setAccessibleName("Connection settings")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(form_host)
        # The form scrolls only vertically: the column is never narrower than the form,
        # or its right edge (fields, the license buttons) would be cut off.
        scroll.setMinimumWidth(
            form_host.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        )
        self.form_scroll = scroll
        outer.addWidget(scroll, 1)

        self.form_error = QLabel()
        self.form_error.setObjectName("form_error")
        self.form_error.setWordWrap(True)
        self.form_error.hide()
        outer.addWidget(self.form_error)

        messages_label = QLabel("Server messages")
        messages_label.setObjectName("server_messages_title")
        outer.addWidget(messages_label)
        self.messages = ServerMessages()
        self.messages.setAccessibleName("Server messages")
        outer.addWidget(self.messages)

    def _line(self, name: str, tooltip: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setToolTip(tooltip)
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.textEdited.connect(self._schedule_apply)
        return edit

    def _build_endpoint_group(self) -> QGroupBox:
        group = QGroupBox("Endpoint and avatar")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # In a narrow dock, labels go above their fields instead of squeezing them.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.url_edit = self._line(
            "url_edit",
            "WebSocket endpoint (ws:// or wss://). Paste a URL with ?license=… and the key\n"
            "is moved into the keychain field instead of being saved with the profile.",
            "wss://transfer.navtalk.ai/wss/v2/realtime-chat",
        )
        self.url_edit.textEdited.connect(self._on_url_edited)
        self.url_edit.editingFinished.connect(self._move_license_out_of_url)
        self._url_text = ""
        form.addRow("&Endpoint:", self.url_edit)
        self.avatar_name_edit = self._line(
            "avatar_name_edit", "Avatar name (URL parameter name=…)", "navtalk.Emily"
        )
        form.addRow("Avatar &name:", self.avatar_name_edit)
        self.avatar_id_edit = self._line(
            "avatar_id_edit", "Avatar id (avatarId=…); wins over the name when both are set", ""
        )
        form.addRow("Avatar &id:", self.avatar_id_edit)
        self.model_edit = self._line(
            "model_edit",
            "Optional model URL parameter, e.g. transparency or gpt-realtime",
            "(server default)",
        )
        form.addRow("&Model:", self.model_edit)
        self.voice_combo = QComboBox()
        self.voice_combo.setObjectName("voice_combo")
        self.voice_combo.setEditable(True)
        self.voice_combo.addItems(["", *VOICES])
        self.voice_combo.setToolTip("Voice sent in realtime.input_config (empty: the avatar's own)")
        self.voice_combo.currentTextChanged.connect(self._schedule_apply)
        form.addRow("&Voice:", self.voice_combo)
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setObjectName("prompt_edit")
        self.prompt_edit.setPlaceholderText("Instructions for the avatar (optional)")
        self.prompt_edit.setToolTip("Prompt sent in realtime.input_config")
        self.prompt_edit.setTabChangesFocus(True)
        self.prompt_edit.setFixedHeight(64)
        self.prompt_edit.textChanged.connect(self._schedule_apply)
        form.addRow("&Prompt:", self.prompt_edit)
        return group

    def _build_license_group(self) -> QGroupBox:
        box = self.license_box = LicenseBox(self.bridge, self.banner)
        box.notification_requested.connect(self.notification_requested)
        # The box's widgets under the panel's own names (tests and shortcuts use them).
        self.license_group = box
        self.license_edit = box.edit
        self.reveal_button = box.reveal_button
        self.save_license_button = box.save_button
        self.forget_license_button = box.forget_button
        self.license_status = box.status
        return box

    def _build_protocol_group(self) -> QGroupBox:
        self.protocol_group = ProtocolGroup()
        self.protocol_group.changed.connect(self._schedule_apply)
        return self.protocol_group

    def _build_reconnect_group(self) -> QGroupBox:
        self.reconnect_group = ReconnectGroup()
        self.reconnect_group.changed.connect(self._schedule_apply)
        return self.reconnect_group

    # ------------------------------------------------------------------ profiles
    @property
    def profiles(self) -> list[ConnectionProfile]:
        """The profiles the panel offers (a copy)."""
        return list(self._profiles)

    @property
    def current_profile(self) -> ConnectionProfile:
        """The selected profile as last applied."""
        return self.bridge.profile

    def _reload_profile_combo(self, select: str) -> None:
        with QSignalBlocker(self.profile_combo):
            self.profile_combo.clear()
            for profile in self._profiles:
                self.profile_combo.addItem(profile.name)
            index = self.profile_combo.findText(select)
            self.profile_combo.setCurrentIndex(max(0, index))

    def select_profile(self, name: str) -> None:
        """Switch to the profile called ``name``."""
        index = self.profile_combo.findText(name)
        if index < 0:
            raise KeyError(name)
        self.profile_combo.setCurrentIndex(index)

    @Slot(int)
    def _on_profile_combo_changed(self, index: int) -> None:
        if not 0 <= index < len(self._profiles):
            return
        self.apply_form()  # keep unsaved valid edits of the previous profile
        profile = self._profiles[index]
        self.bridge.set_profile(profile)
        self._load_profile(profile)

    @Slot()
    def _on_bridge_profile_changed(self) -> None:
        # A new session (other profile) starts idle: show that, not the old session's end.
        self._on_bridge_state_changed(self.bridge.state, "")
        if self.bridge.profile.local_simulator:
            # The simulator starts after the window is shown: its real URL may have just
            # become known. The field is not editable input for this profile.
            url = self.bridge.effective_profile().url
            if self.url_edit.text() != url:
                self._loading = True
                try:
                    self.url_edit.setText(url)
                    self.url_edit.setCursorPosition(0)
                    self._url_text = url
                finally:
                    self._loading = False

    def _load_profile(self, profile: ConnectionProfile) -> None:
        self._loading = True
        try:
            shown = self.bridge.effective_profile() if profile.local_simulator else profile
            self.url_edit.setText(shown.url)
            self.url_edit.setCursorPosition(0)
            self._url_text = shown.url
            self.avatar_name_edit.setText(profile.avatar_name)
            self.avatar_id_edit.setText(profile.avatar_id)
            self.model_edit.setText(profile.model)
            self.voice_combo.setCurrentText(profile.voice)
            self.prompt_edit.setPlainText(profile.prompt)
            self.protocol_group.load(profile)
            self.reconnect_group.load(profile)
        finally:
            self._loading = False
        simulator = profile.local_simulator
        self.url_edit.setEnabled(not simulator)
        self.url_edit.setToolTip(
            "The built-in simulator runs inside the app on a free local port"
            if simulator
            else self.url_edit.toolTip()
        )
        self.delete_action.setEnabled(len(self._profiles) > 1)
        self._show_form_error("")
        self._update_url_label()
        self.license_box.load(profile)

    @Slot()
    def _schedule_apply(self) -> None:
        if not self._loading:
            self._apply_timer.start()

    def form_profile(self) -> ConnectionProfile:
        """The profile the form describes.

        Raises:
            ValueError: with a readable explanation when a field is invalid.
        """
        base = self.bridge.profile
        return base.with_changes(
            url=self.url_edit.text().strip() if not base.local_simulator else base.url,
            avatar_name=self.avatar_name_edit.text().strip(),
            avatar_id=self.avatar_id_edit.text().strip(),
            model=self.model_edit.text().strip(),
            voice=self.voice_combo.currentText().strip(),
            prompt=self.prompt_edit.toPlainText(),
            **self.protocol_group.changes(),
            **self.reconnect_group.changes(base.reconnect),
        )

    @Slot()
    def apply_form(self) -> bool:
        """Apply the form to the current profile; return False (and explain) if invalid."""
        self._apply_timer.stop()
        if self._loading:
            return True
        try:
            profile = self.form_profile()
        except ValueError as error:
            self._show_form_error(str(error))
            return False
        self._show_form_error("")
        if profile != self.bridge.profile:
            self._replace_profile(self.bridge.profile.name, profile)
            self.bridge.set_profile(profile)
            self.profiles_changed.emit(self.profiles)
        self._update_url_label()
        return True

    def _replace_profile(self, name: str, profile: ConnectionProfile) -> None:
        for index, existing in enumerate(self._profiles):
            if existing.name == name:
                self._profiles[index] = profile
                return
        self._profiles.append(profile)

    def _show_form_error(self, text: str) -> None:
        self.form_error.setText(text)
        self.form_error.setStyleSheet(f"color: {colors(self.palette()).error};")
        self.form_error.setVisible(bool(text))
        self._update_connect_button()

    def _unique_name(self, wanted: str) -> str:
        names = {p.name for p in self._profiles}
        candidate, n = wanted, 2
        while candidate in names:
            candidate = f"{wanted} ({n})"
            n += 1
        return candidate

    def add_profile(self, profile: ConnectionProfile) -> ConnectionProfile:
        """Add ``profile`` (renamed if the name is taken), select it and return it."""
        profile = profile.with_changes(name=self._unique_name(profile.name))
        self._profiles.append(profile)
        self._reload_profile_combo(self.profile_combo.currentText())
        self.profiles_changed.emit(self.profiles)
        self.select_profile(profile.name)
        return profile

    def _on_new_profile(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("New profile")
        dialog.setLabelText("Name of the new profile:")
        dialog.setTextValue("NavTalk")
        # open(), never exec(): no nested event loop under qasync (P2).
        dialog.textValueSelected.connect(
            lambda name: self.add_profile(ConnectionProfile(name=name.strip() or "NavTalk"))
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _on_duplicate_profile(self) -> None:
        source = self.bridge.profile
        self.add_profile(source.with_changes(name=f"{source.name} copy"))

    def _on_delete_profile(self) -> None:
        if len(self._profiles) <= 1:
            return
        name = self.bridge.profile.name
        self._profiles = [p for p in self._profiles if p.name != name]
        self._reload_profile_combo(self._profiles[0].name)
        self._on_profile_combo_changed(0)
        self.profiles_changed.emit(self.profiles)
        self.notification_requested.emit("info", f"Profile “{name}” deleted")

    def _on_url_edited(self, text: str) -> None:
        # A pasted URL (many characters at once) with ?license=… : move the key at once.
        # While typing, wait until editing ends so a half-typed key is never split.
        pasted = len(text) - len(self._url_text) > 1
        self._url_text = text
        if pasted:
            self._move_license_out_of_url()

    @Slot()
    def _move_license_out_of_url(self) -> None:
        """Move a ``license=`` in the endpoint to the license field (never into settings)."""
        text = self.url_edit.text()
        key = license_from_url(text)
        if key:
            self._url_text = strip_license(text)
            self.url_edit.setText(self._url_text)
            self.license_box.set_text(key)
            self.notification_requested.emit(
                "info", "The license in the pasted URL was moved to the License field (masked)."
            )
            self._schedule_apply()

    def _update_url_label(self) -> None:
        profile = self.bridge.profile
        if profile.local_simulator:
            self.url_label.setText(
                f"<small>Built-in simulator: {self.bridge.connect_url_masked()}</small>"
            )
        else:
            self.url_label.setText(f"<small>{self.bridge.connect_url_masked()}</small>")

    @Slot()
    def save_license(self) -> None:
        """Store the typed license in the keychain (in the background)."""
        self.license_box.save()

    @Slot()
    def forget_license(self) -> None:
        """Remove this profile's license from the keychain and from memory."""
        self.license_box.forget()

    # ------------------------------------------------------------------ connection
    @Slot()
    def toggle_connection(self) -> None:
        """Connect when idle; disconnect when connecting or connected."""
        if self.bridge.is_active:
            self.bridge.disconnect_session()
            return
        if not self.apply_form():
            self.notification_requested.emit(
                "error", "Fix the profile first: " + self.form_error.text()
            )
            return
        if self.license_box.pending:
            # Typed but not saved: use it now (memory only) rather than connecting without it.
            self.bridge.set_session_license(self.bridge.profile.name, self.license_box.pending)
        self.bridge.connect_session()

    @Slot(str, str)
    def _on_bridge_state_changed(self, state: str, message: str) -> None:
        label, attribute = describe_state(state)
        color = getattr(colors(self.palette()), attribute)
        text = f"<span style='color:{color}; font-size:14pt'>●</span> <b>{label}</b>"
        if adds_to_label(label, message):
            text += f"<br>{html.escape(message, quote=False)}"
        self.state_label.setText(text)
        if message or state != "idle":
            self.messages.add(message or label)
        self._update_connect_button()
        self._update_url_label()

    @Slot(str)
    def _on_bridge_error(self, message: str) -> None:
        # "Connect failed: X" right after the state change that said X adds nothing.
        last = self.messages.last_text()
        if last is not None and last in message:
            return
        self.messages.add(message, keep=None)

    def _update_connect_button(self) -> None:
        active = self.bridge.is_active
        self.connect_button.setText("Disconnect" if active else "Connect")
        tip = "Disconnect" if active else "Connect with this profile"
        self.connect_button.setToolTip(with_shortcut(tip, "connect"))
        self.connect_button.setEnabled(active or not self.form_error.isVisible())
        self.profile_combo.setEnabled(not active)


__all__ = ["MAX_SERVER_MESSAGES", "ConnectionPanel"]
