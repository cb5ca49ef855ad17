"""RespondersTab: a tool's responder chain, script trust, webhook consent and the try-call box."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QSplitter, QToolButton, QVBoxLayout, QWidget

from navtalk_desktop.core.responders.config import ResponderKind, ScriptConfig
from navtalk_desktop.core.tools.ports import ScriptTrustStore
from navtalk_desktop.core.tools.toolset import ToolEntry
from navtalk_desktop.ui.tools.responder_editor import ResponderChainEditor
from navtalk_desktop.ui.tools.try_call_box import TestCallBox


def script_path(entry: ToolEntry | None, row: int, folder: Path | None) -> Path | None:
    """The file the script step ``row`` of ``entry`` runs.

    A relative path starts from ``folder`` (the tool set file's), or from the working
    directory while the set has no file.
    """
    if entry is None or not 0 <= row < len(entry.chain.steps):
        return None
    config = entry.chain.steps[row].config
    if not isinstance(config, ScriptConfig) or not config.path:
        return None
    path = Path(config.path).expanduser()
    if path.is_absolute():
        return path
    return (folder if folder is not None else Path.cwd()) / path


class RespondersTab(QWidget):
    """The Responders tab: chain editor above the try-call box.

    The script page gets "Trust this script" (an explicit user action, for this exact
    content at this place) and the webhook page "Review trust…" (hosts get call data
    only once allowed, see ``consent_dialog``).

    Args:
        current: the selected tool and the folder of the tool set file (None: no file yet).
        script_trust: which scripts may run; without it, scripts show their state only.
        can_fire: whether test calls can run (a responder runner is configured).
        parent: optional parent widget.

    Signals:
        trust_review_requested(): the user asked to review what the tool set runs.
        notification_requested(str, str): message and level.
    """

    trust_review_requested = Signal()
    notification_requested = Signal(str, str)

    def __init__(
        self,
        current: Callable[[], tuple[ToolEntry | None, Path | None]],
        script_trust: ScriptTrustStore | None,
        *,
        can_fire: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._current = current
        self._script_trust = script_trust
        self.chain_editor = ResponderChainEditor(self)
        self.chain_editor.setObjectName("chain_editor")
        self.chain_editor.steps_list.currentRowChanged.connect(self.update_script_trust)
        self.trust_button = QToolButton(self)
        self.trust_button.setObjectName("trust_script")
        self.trust_button.setText("Trust this script")
        self.trust_button.setToolTip(
            "Allow this exact file content to run from this folder. Editing the file (or a "
            "copy elsewhere) makes it untrusted again."
        )
        self.trust_button.clicked.connect(self.trust_selected_script)
        script_layout = self.chain_editor.script_page.layout()
        assert script_layout is not None
        script_layout.addWidget(self.trust_button)
        self.review_trust_button = QToolButton(self)
        self.review_trust_button.setObjectName("review_trust")
        self.review_trust_button.setText("Review trust…")
        self.review_trust_button.setToolTip(
            "Show the scripts this tool set runs and the hosts its webhooks call, and allow "
            "them. Loopback hosts (this computer) need no consent."
        )
        self.review_trust_button.clicked.connect(self.trust_review_requested)
        webhook_layout = self.chain_editor.pages[ResponderKind.WEBHOOK].layout()
        assert webhook_layout is not None
        webhook_layout.addWidget(self.review_trust_button)
        self.test_box = TestCallBox(self)
        self.test_box.fire_button.setEnabled(can_fire)
        if not can_fire:
            self.test_box.fire_button.setToolTip("No responder runner is configured")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.chain_editor)
        splitter.addWidget(self.test_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter)

    def selected_script_path(self) -> Path | None:
        """The script file of the selected step, if it is a script step with a path."""
        entry, folder = self._current()
        return script_path(entry, self.chain_editor.steps_list.currentRow(), folder)

    @Slot()
    def update_script_trust(self, *args: Any) -> None:
        """Show whether the selected script may run, and offer to trust it."""
        del args
        entry, _ = self._current()
        row = self.chain_editor.steps_list.currentRow()
        is_script = (
            entry is not None
            and 0 <= row < len(entry.chain.steps)
            and entry.chain.steps[row].config.kind is ResponderKind.SCRIPT
        )
        page = self.chain_editor.script_page
        if not is_script:
            return
        path = self.selected_script_path()
        if path is None:
            page.show_trust(False, "Choose the script file.")
            self.trust_button.setEnabled(False)
            return
        if not path.is_file():
            page.show_trust(False, f"{path} does not exist (yet).")
            self.trust_button.setEnabled(False)
            return
        trusted = self._script_trust is not None and self._script_trust.is_trusted(path)
        if trusted:
            page.show_trust(
                True, f"Trusted: {path.name} may run (this exact content, in this folder)."
            )
        else:
            page.show_trust(
                False,
                f"Not trusted: {path.name} will not run until you trust it. Read it first — "
                "a script runs with your user's rights.",
            )
        self.trust_button.setEnabled(self._script_trust is not None and not trusted)

    @Slot()
    def trust_selected_script(self) -> None:
        """Trust the script of the selected step (explicit user action)."""
        path = self.selected_script_path()
        if path is None or self._script_trust is None:
            return
        try:
            self._script_trust.trust(path)
        except OSError as error:
            reason = error.strerror or str(error)
            self.notification_requested.emit(f"Cannot trust {path.name}: {reason}", "error")
        else:
            self.notification_requested.emit(f"{path.name} may now run as a responder", "success")
        self.update_script_trust()


__all__ = ["RespondersTab", "script_path"]
