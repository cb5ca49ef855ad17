"""Ports of the tool editor: tool files and script trust (``infra.toolset_file`` implements them)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from navtalk_desktop.core.tools.formats import ExportResult, ImportResult, ToolFormat
from navtalk_desktop.core.tools.toolset import ToolSet


class OpenedTools(Protocol):
    """A tool file as opened by :meth:`ToolFileStore.open_file`."""

    @property
    def toolset(self) -> ToolSet:
        """The tools (a tool set, or imported tools with manual responders)."""
        ...

    @property
    def format(self) -> ToolFormat:
        """The format the file was in."""
        ...

    @property
    def imported(self) -> bool:
        """Whether the file was another format than a tool set."""
        ...


class ToolFileStore(Protocol):
    """Reads and writes tool files (``infra.toolset_file.ToolSetFileStore``)."""

    def open_file(self, path: Path) -> OpenedTools:
        """Open a tool set or a tools array in any format ``respond --tools`` accepts.

        Raises OSError or ConfigError.
        """
        ...

    def import_file(self, path: Path, fmt: ToolFormat | None = None) -> ImportResult:
        """Read tools from ``path`` (format detected). Raises OSError or ConfigError."""
        ...

    def export_file(self, path: Path, tools: ToolSet, fmt: ToolFormat) -> ExportResult:
        """Write ``tools`` to ``path`` atomically in ``fmt``. Raises OSError."""
        ...


class ScriptTrustStore(Protocol):
    """Which script files may run (``infra.toolset_file.ScriptTrustFile``)."""

    def is_trusted(self, path: Path) -> bool:
        """Whether the file, at its real path, with its current content, was trusted."""
        ...

    def trust(self, path: Path) -> str:
        """Trust the file's current content at its real path; returns its hash. Raises OSError."""
        ...


__all__ = ["OpenedTools", "ScriptTrustStore", "ToolFileStore"]
