"""The consent prompt: what a tool set would run and which hosts it would call, asked once.

A tool set opened from a file (command line, Examples menu) or imported (Import…, drag and
drop) is data until the user agrees to its scripts and remote webhook hosts.
:class:`ConsentPrompter` decides with the core policy whether anything needs consent and,
if so, opens a :class:`ConsentDialog` (non-modal: ``open()``, never ``exec()``). Agreeing
trusts the scripts (real path and content), allows the hosts and remembers the consent
for the file and its current contents; refusing changes nothing, so nothing of it runs.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.tools.consent import (
    ConsentRecord,
    ConsentStore,
    HostAllowList,
    PendingConsent,
    ToolSetReach,
    pending_consent,
    reach_of,
)
from navtalk_desktop.core.tools.toolset import ToolSet

# A list taller than this scrolls (a tool set with dozens of tools stays on screen).
_MAX_LIST_ROWS = 8


class ScriptTrustGrant(Protocol):
    """Asks and gives script trust (``infra.toolset_file.ScriptTrustFile``)."""

    def is_trusted(self, path: Path) -> bool:
        """Whether the file at its real path, with its current content, may run."""
        ...

    def trust(self, path: Path) -> str:
        """Trust the file at its real path with its current content. Raises OSError."""
        ...


class ConsentDialog(QDialog):
    """Lists the scripts a tool set runs and the hosts it sends call data to.

    Attributes:
        scripts: one row per script use (path, function, tool), trusted ones marked.
        hosts: one row per remote host (origin and the tools that call it).
        templated: webhooks whose host is decided per call (URL template shown).
        local: webhooks to this computer (listed for completeness; no consent needed).
        allow_button: agrees (trust, allow, remember).
        deny_button: the default: nothing of the tool set runs.
    """

    def __init__(
        self,
        parent: QWidget | None,
        reach: ToolSetReach,
        pending: PendingConsent,
        source: str,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("consent_dialog")
        self.setWindowTitle("Allow this tool set to run code and send data?")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        layout = QVBoxLayout(self)
        intro = (
            f"<b>{html.escape(source)}</b> has responders that run code on this computer or "
            "send call data (call id, arguments, variables) to other hosts. "
            "<b>Nothing of it runs and no host is contacted until you allow it.</b>"
        )
        if pending.changed:
            intro += "<br>It changed since you last allowed it."
        header = QLabel(intro, self)
        header.setWordWrap(True)
        header.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(header)
        self.scripts = self._section(
            layout,
            "Runs these Python scripts on this computer:",
            [
                f"{use.path}  —  {use.function}() for {use.tool}"
                + (
                    "  (already trusted)"
                    if use.path not in pending.scripts
                    else ("" if use.path.is_file() else "  (file not found)")
                )
                for use in reach.scripts
            ],
            "scripts",
        )
        hosts: dict[str, list[str]] = {}
        for hook in reach.webhooks:
            if hook.origin is not None and not hook.origin.is_loopback:
                hosts.setdefault(str(hook.origin), []).append(
                    f"{hook.tool} ({hook.method} {hook.url})"
                )
        self.hosts = self._section(
            layout,
            "Sends call data to these hosts and gives their replies to the model:",
            [f"{origin}  —  {', '.join(uses)}" for origin, uses in sorted(hosts.items())],
            "hosts",
        )
        self.templated = self._section(
            layout,
            "Decides its host when a call arrives (only this computer and hosts you "
            "allowed will be contacted; others get an error answer):",
            [f"{hook.tool}: {hook.method} {hook.url}" for hook in reach.unknown_hosts],
            "templated",
        )
        self.local = self._section(
            layout,
            "Calls services on this computer (no consent needed):",
            [
                f"{hook.tool}: {hook.origin}"
                for hook in reach.webhooks
                if hook.origin is not None and hook.origin.is_loopback
            ],
            "local",
        )
        note = QLabel(
            "Read the scripts before allowing them. Allowing is remembered for this file "
            "as it is now; a changed file asks again.",
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(self)
        self.allow_button = QPushButton("Allow and run", self)
        self.allow_button.setObjectName("consent_allow")
        self.deny_button = QPushButton("Don't allow", self)
        self.deny_button.setObjectName("consent_deny")
        buttons.addButton(self.allow_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.deny_button, QDialogButtonBox.ButtonRole.RejectRole)
        # Enter must not agree by accident: refusing is the default.
        self.deny_button.setDefault(True)
        self.deny_button.setAutoDefault(True)
        self.allow_button.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(720, self.sizeHint().height())

    def _section(self, layout: QVBoxLayout, title: str, rows: list[str], name: str) -> QListWidget:
        label = QLabel(title, self)
        label.setWordWrap(True)
        rows_list = QListWidget(self)
        rows_list.setObjectName(f"consent_{name}")
        rows_list.addItems(rows)
        rows_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        row_height = max(rows_list.sizeHintForRow(0), 18) if rows else 18
        frame = 2 * rows_list.frameWidth() + 6
        rows_list.setMaximumHeight(row_height * min(len(rows), _MAX_LIST_ROWS) + frame)
        for widget in (label, rows_list):
            widget.setVisible(bool(rows))
            layout.addWidget(widget)
        return rows_list


class ConsentPrompter(QObject):
    """Asks for consent when a tool set needs it, once per file and contents.

    Args:
        parent: the window the dialog belongs to.
        trust: script trust (asked and given).
        hosts: the allow-list the webhook responders consult (given to).
        store: where consents are remembered (None: only for this run).

    Signals:
        prompted(ConsentDialog): a dialog opened (tests and the window).
        decided(str, bool): the source's dialog was answered: agreed or not.
        notification_requested(str, str): message and level for the user.
    """

    prompted = Signal(object)
    decided = Signal(str, bool)
    notification_requested = Signal(str, str)

    def __init__(
        self,
        parent: QWidget,
        trust: ScriptTrustGrant,
        hosts: HostAllowList,
        store: ConsentStore | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._trust = trust
        self._hosts = hosts
        self._store = store
        self.dialog: ConsentDialog | None = None

    def review(
        self,
        toolset: ToolSet,
        source: Path | None,
        base_dir: Path | None,
        *,
        always: bool = False,
    ) -> ConsentDialog | None:
        """Ask for consent to ``toolset``'s scripts and remote hosts if anything needs it.

        Args:
            toolset: the tools just opened or imported.
            source: their file (consent is remembered for it); None for unsaved tools.
            base_dir: where relative script paths resolve (the open tool set's folder).
            always: show the dialog even when nothing is pending (Review trust…).

        Returns:
            The dialog when one opened, else None (nothing needed consent).
        """
        reach = reach_of(toolset, base_dir)
        record = self._remembered(source)
        if record is not None and record.digest == reach.digest():
            self._hosts.allow(record.origins)
        pending = pending_consent(
            reach,
            script_trusted=self._trust.is_trusted,
            host_allowed=self._hosts.allows,
            remembered_digest=record.digest if record is not None else None,
        )
        if not pending and not (always and not reach.empty):
            return None
        if self.dialog is not None:
            self.dialog.reject()  # a newer file supersedes an unanswered question
        name = str(source) if source is not None else toolset.name
        dialog = ConsentDialog(self._parent, reach, pending, name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(
            lambda result: self._answered(dialog, reach, source, name, bool(result))
        )
        self.dialog = dialog
        dialog.open()
        self.prompted.emit(dialog)
        return dialog

    def refresh(self, toolset: ToolSet, source: Path, base_dir: Path | None) -> bool:
        """Remember consent for ``source``'s new contents if all of it is allowed already.

        For the user's own saved edits: a file the user agreed to, changed in the editor,
        should not ask again next time for what was allowed. Anything not allowed (an
        import the user refused) keeps it asking. Returns whether it remembered.

        Raises:
            OSError: the consent could not be written.
        """
        reach = reach_of(toolset, base_dir)
        record = self._remembered(source)
        if record is None or record.digest == reach.digest():
            return False
        pending = pending_consent(
            reach, script_trusted=self._trust.is_trusted, host_allowed=self._hosts.allows
        )
        if pending:
            return False
        self._remember(source, reach)
        return True

    def _answered(
        self,
        dialog: ConsentDialog,
        reach: ToolSetReach,
        source: Path | None,
        name: str,
        agreed: bool,
    ) -> None:
        if self.dialog is dialog:
            self.dialog = None
        if not agreed:
            self.notification_requested.emit(
                f"Not allowed: the scripts and remote webhooks of {Path(name).name} will not "
                "run; their calls get an error answer. Use Review trust… in the Tools panel "
                "to change your mind.",
                "warning",
            )
            self.decided.emit(name, False)
            return
        problems: list[str] = []
        for path in reach.script_paths:
            try:
                self._trust.trust(path)
            except OSError as error:
                problems.append(f"{path.name}: {error.strerror or error}")
        self._hosts.allow(reach.remote_origins)
        if source is not None:
            try:
                self._remember(source, reach)
            except OSError as error:
                problems.append(f"remembering the consent: {error.strerror or error}")
        if problems:
            self.notification_requested.emit(
                "Allowed for this run, but " + "; ".join(problems), "error"
            )
        else:
            self.notification_requested.emit(
                f"Allowed {Path(name).name}: its scripts and webhooks may run.", "success"
            )
        self.decided.emit(name, True)

    def _remembered(self, source: Path | None) -> ConsentRecord | None:
        if source is None or self._store is None:
            return None
        return self._store.remembered(source)

    def _remember(self, source: Path, reach: ToolSetReach) -> None:
        if self._store is not None:
            self._store.remember(source, ConsentRecord(reach.digest(), reach.remote_origins))
