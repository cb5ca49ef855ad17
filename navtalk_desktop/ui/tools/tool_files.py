"""Tool files in the Tools panel: open, import, export and save, with their file dialogs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.formats import ExportResult, ToolFormat
from navtalk_desktop.core.tools.ports import ToolFileStore
from navtalk_desktop.core.tools.toolset import ToolSet

MAX_IMPORT_BYTES = 5_000_000


def _plural(count: int) -> str:
    return f"{count} tool{'s' * (count != 1)}"


class ToolFiles(QObject):
    """Opens, imports, exports and saves the tool set of an editor, reporting every outcome.

    Reading happens on the GUI thread: fine for tool files (kilobytes), so anything over
    :data:`MAX_IMPORT_BYTES` is refused instead of freezing the window. A failed read
    changes nothing.

    Args:
        files: reads and writes tool files (atomic writes live in infra).
        editor: the tool set document being edited (replace :attr:`editor` to switch).
        parent: the owning panel.

    Signals:
        notification_requested(str, str): message and level for the notification centre.
        document_opened(object, object, str): a file was opened in place of the set:
            its :class:`ToolSet`, its path (None when it was imported from another
            format and has no file yet) and the path it was read from.
        tools_imported(object, str): tools were added from a file (a :class:`ToolSet` of
            them, with the set's variables): data until the user agrees to what they run.
        tools_added(int): index of the first tool an import added (to select it).
    """

    notification_requested = Signal(str, str)
    document_opened = Signal(object, object, str)
    tools_imported = Signal(object, str)
    tools_added = Signal(int)

    def __init__(
        self, files: ToolFileStore, editor: ToolSetEditor, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._files = files
        self.editor = editor

    def _too_large(self, path: Path, verb: str) -> bool:
        size = path.stat().st_size
        if size <= MAX_IMPORT_BYTES:
            return False
        self.notification_requested.emit(
            f"Cannot {verb} {path.name}: {size / 1e6:.0f} MB is far too large for a "
            f"tool file (limit {MAX_IMPORT_BYTES // 1_000_000} MB)",
            "error",
        )
        return True

    def open_file(self, text: str) -> bool:
        """Open ``text`` in place of the current set (see ``ToolsPanel.open_file``)."""
        if not text:
            return False
        path = Path(text)
        try:
            if self._too_large(path, "open"):
                return False
            opened = self._files.open_file(path)
        except ConfigError as error:
            self.notification_requested.emit(f"Cannot open {path.name}: {error}", "error")
            return False
        except OSError as error:
            reason = error.strerror or str(error)
            self.notification_requested.emit(f"Cannot read {path.name}: {reason}", "error")
            return False
        self.document_opened.emit(opened.toolset, None if opened.imported else path, str(path))
        if opened.imported:
            self.notification_requested.emit(
                f"Imported {_plural(len(opened.toolset.tools))} from {path.name} "
                f"({opened.format.label}); every call is answered by hand until you add "
                "responders. Save stores them as a tool set under a new name; the file itself "
                "is not changed.",
                "info",
            )
        return True

    def import_files(self, paths: list[str]) -> int:
        """Add the tools of every file in ``paths`` (one undo step per file); returns how many."""
        added = 0
        for text in paths:
            path = Path(text)
            try:
                if self._too_large(path, "import"):
                    continue
                result = self._files.import_file(path)
            except ConfigError as error:
                self.notification_requested.emit(f"Cannot import {path.name}: {error}", "error")
                continue
            except OSError as error:
                reason = error.strerror or str(error)
                self.notification_requested.emit(f"Cannot read {path.name}: {reason}", "error")
                continue
            if not result.entries:
                self.notification_requested.emit(f"{path.name} contains no tools", "warning")
                continue
            toolset = self.editor.toolset
            variables = dict(toolset.variables)
            if result.toolset is not None:
                # Keep the current values; bring in the variables the new tools need.
                variables = {**dict(result.toolset.variables), **variables}
            first = len(toolset)
            self.editor.apply(
                f"Import {path.name}",
                toolset.replace(tools=[*toolset.tools, *result.entries], variables=variables),
            )
            added += len(result.entries)
            self.tools_added.emit(first)
            # The imported tools are data until the user agrees to what they run.
            self.tools_imported.emit(
                ToolSet(name=path.name, tools=tuple(result.entries), variables=variables),
                str(path),
            )
            message = (
                f"Imported {_plural(len(result.entries))} from {path.name} ({result.format.label})"
            )
            if result.dropped:
                details = "; ".join(str(item) for item in result.dropped[:5])
                more = f" (+{len(result.dropped) - 5} more)" if len(result.dropped) > 5 else ""
                self.notification_requested.emit(
                    f"{message}. Not carried over: {details}{more}", "warning"
                )
            else:
                self.notification_requested.emit(message, "success")
        return added

    def export_to(self, path: str, fmt: ToolFormat) -> ExportResult | None:
        """Write every tool to ``path`` in ``fmt``; returns the result (None on failure)."""
        if not path:
            return None
        target = Path(path)
        try:
            result = self._files.export_file(target, self.editor.toolset, fmt)
        except OSError as error:
            reason = error.strerror or str(error)
            self.notification_requested.emit(f"Cannot write {target.name}: {reason}", "error")
            return None
        if result.dropped:
            details = "; ".join(str(item) for item in result.dropped[:5])
            self.notification_requested.emit(
                f"Exported to {target.name} ({fmt.label}); not part of this format: {details}",
                "warning",
            )
        else:
            self.notification_requested.emit(f"Exported to {target.name} ({fmt.label})", "success")
        return result

    def export_name(self, fmt: ToolFormat) -> str:
        """A file name to suggest for exporting the set in ``fmt``."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", self.editor.toolset.name).strip("-") or "tools"
        return f"{stem}.{fmt.value}.json"

    def save_to(self, path: Path | None) -> None:
        """Save the set to ``path`` (None: its own file); a refusal is reported."""
        try:
            self.editor.save(path)
        except ValueError as error:
            self.notification_requested.emit(f"Cannot save: {error}", "error")


class ToolFileDialogs:
    """The non-modal file dialogs of the Tools panel (tests replace these classmethods)."""

    @classmethod
    def choose_open_file(cls, parent: QWidget, on_chosen: Callable[[str], object]) -> None:
        """Non-modal open dialog for a tool file."""
        dialog = QFileDialog(parent, "Open tool set", "", "JSON (*.json);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_chosen)
        dialog.open()

    @classmethod
    def choose_import_files(cls, parent: QWidget, on_chosen: Callable[[list[str]], object]) -> None:
        """Non-modal open dialog for the files to import."""
        dialog = QFileDialog(parent, "Import tools", "", "JSON (*.json);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(on_chosen)
        dialog.open()

    @classmethod
    def choose_export_file(
        cls, parent: QWidget, fmt: ToolFormat, suggested: str, on_chosen: Callable[[str], object]
    ) -> None:
        """Non-modal save dialog for an export."""
        dialog = QFileDialog(parent, f"Export as {fmt.label}", suggested, "JSON (*.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_chosen)
        dialog.open()

    @classmethod
    def choose_save_file(
        cls, parent: QWidget, suggested: str, on_chosen: Callable[[str], None]
    ) -> None:
        """Non-modal save dialog for the tool set file."""
        dialog = QFileDialog(parent, "Save tool set", suggested, "Tool set (*.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_chosen)
        dialog.open()


def json_paths(urls: list[Any]) -> list[str]:
    """The local ``.json`` files among dropped ``urls`` (QUrl)."""
    return [
        url.toLocalFile()
        for url in urls
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".json")
    ]


__all__ = ["MAX_IMPORT_BYTES", "ToolFileDialogs", "ToolFiles", "json_paths"]
