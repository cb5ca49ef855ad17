"""Tool set files on disk: atomic saves, located load errors, import/export, script trust.

Saves go through :func:`~navtalk_desktop.infra.atomic_file.atomic_write_text` (temporary
file + fsync + ``os.replace``), so a crash mid-save leaves the old file or the new one,
never a torn one. :func:`open_tool_file` is the one loader of ``respond --tools`` and the
app's ``--tools``: both open the same formats.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.tools.formats import (
    Dropped,
    ExportResult,
    ImportResult,
    ToolFormat,
    export_tools,
    import_tools,
    parse_json_text,
)
from navtalk_desktop.core.tools.ports import ScriptTrustStore, ToolFileStore
from navtalk_desktop.core.tools.toolset import (
    ToolSet,
    looks_like_toolset,
    toolset_from_json,
    toolset_to_json,
)
from navtalk_desktop.infra import paths

# Re-exported (the ``as`` form): savers of tool-set-related files import it from here.
from navtalk_desktop.infra.atomic_file import atomic_write_text

# Tool sets are hand-sized; a bigger file is almost certainly the wrong file.
MAX_FILE_BYTES = 20 * 1024 * 1024
TOOLSET_SUFFIX = ".navtools.json"


def read_json_file(path: Path) -> Any:
    """Read and parse a JSON file with clear errors.

    Raises:
        OSError: cannot read it.
        ConfigError: too large, not UTF-8, or not JSON (with line and column).
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ConfigError(
            "", f"{path.name} is {size} bytes; tool files are at most {MAX_FILE_BYTES} bytes"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError("", f"{path.name} is not UTF-8 text (byte {exc.start})") from None
    return parse_json_text(text)


@dataclass(frozen=True, slots=True)
class OpenedToolFile:
    """A tool file as opened by :func:`open_tool_file`.

    Attributes:
        toolset: the tools (a whole tool set, or the imported tools with manual responders).
        format: the format the file was in.
        dropped: what an import had to leave out, with locations.
    """

    toolset: ToolSet
    format: ToolFormat
    dropped: tuple[Dropped, ...] = ()

    @property
    def imported(self) -> bool:
        """Whether the file was another format than a tool set (so it was imported)."""
        return self.format is not ToolFormat.TOOLSET


def open_tool_file(path: Path) -> OpenedToolFile:
    """Open a tool set file or a tools array in any importable format.

    The one loader behind ``respond --tools`` and the app's ``--tools``, so both accept the
    same files. A tools array (the seed's bare Realtime array, Chat Completions, MCP, web
    SDK) becomes a tool set named after the file, every tool with the manual responder.

    Raises:
        OSError: the file cannot be read.
        ConfigError: too large, not JSON, or not tools, with the location.
    """
    path = Path(path)
    result = import_tools(read_json_file(path))
    if result.toolset is not None:
        return OpenedToolFile(result.toolset, result.format)
    return OpenedToolFile(
        ToolSet(name=path.stem, tools=result.entries), result.format, result.dropped
    )


class ToolSetFileStore(ToolFileStore):
    """Loads and saves tool set files (the editor's :class:`ToolSetStore`)."""

    def save(self, path: Path, toolset: ToolSet) -> None:
        """Write ``toolset`` as pretty JSON, atomically."""
        text = json.dumps(toolset_to_json(toolset), indent=2, ensure_ascii=False) + "\n"
        atomic_write_text(path, text)

    def load(self, path: Path) -> ToolSet:
        """Read a tool set file.

        Raises:
            OSError: unreadable.
            ConfigError: malformed, with location; a tools array from another tool gets
                a hint to use Import instead.
        """
        data = read_json_file(path)
        try:
            return toolset_from_json(data)
        except ConfigError as exc:
            raise ConfigError(exc.location, f"{Path(path).name}: {exc.problem}") from None

    def open_file(self, path: Path) -> OpenedToolFile:
        """Open a tool set or a tools array (see :func:`open_tool_file`)."""
        return open_tool_file(path)

    def import_file(self, path: Path, fmt: ToolFormat | None = None) -> ImportResult:
        """Read tools in any supported format (detected unless ``fmt`` is given)."""
        data = read_json_file(path)
        return import_tools(data, fmt)

    def export_file(self, path: Path, tools: ToolSet, fmt: ToolFormat) -> ExportResult:
        """Write ``tools`` in ``fmt`` atomically; returns what was dropped."""
        result = export_tools(tools, fmt)
        atomic_write_text(path, result.text)
        return result


def is_toolset_file(path: Path) -> bool:
    """Whether ``path`` holds a tool set document (rather than a foreign tools array)."""
    try:
        return looks_like_toolset(read_json_file(path))
    except (OSError, ConfigError):
        return False


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


class ScriptTrustFile(ScriptTrustStore):
    """Which script files the user trusted, by real path *and* content, kept in the config folder.

    Trust is for one exact content at one place: editing a trusted script, receiving a
    different file under the same name, or a copy of a trusted file somewhere else (next
    to files of its own) makes it untrusted. Paths are compared resolved (symlinks
    followed), so a link to a trusted file is the trusted file itself.

    The file keeps ``{"sha256", "path", "trusted_at"}`` entries, as it always did; an entry
    without a path (never written by any version, but possible by hand) trusts nothing.

    Args:
        path: the JSON file (default ``<config>/trusted-scripts.json``).
        also_trusted: ``(path, sha256)`` pairs trusted for this process only (bundled
            examples at their installed location, ``respond --trust-scripts``); never
            written to disk.
    """

    def __init__(
        self, path: Path | None = None, also_trusted: Iterable[tuple[Path, str]] = ()
    ) -> None:
        self.path = path or paths.config_dir() / "trusted-scripts.json"
        self._session: set[tuple[str, str]] = {
            (_real_path(where), digest) for where, digest in also_trusted
        }

    def _entries(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            # A damaged trust file means "nothing trusted": the safe direction.
            return []
        entries = data.get("trusted", []) if isinstance(data, dict) else []
        return [
            e
            for e in entries
            if isinstance(e, dict)
            and isinstance(e.get("sha256"), str)
            and isinstance(e.get("path"), str)
        ]

    def is_trusted(self, path: Path) -> bool:
        """Whether this file, at its real path, with its current content, was trusted."""
        try:
            real = _real_path(path)
            digest = sha256_of(Path(real))
        except OSError:
            return False
        if (real, digest) in self._session:
            return True
        return any(e["sha256"] == digest and e["path"] == real for e in self._entries())

    def trust(self, path: Path) -> str:
        """Trust the file's current content at its real path permanently; returns its hash."""
        real = _real_path(path)
        digest = sha256_of(Path(real))
        # One entry per path: trusting new content replaces the old content's trust.
        entries = [e for e in self._entries() if e["path"] != real]
        entries.append({"sha256": digest, "path": real, "trusted_at": time.time()})
        self._write(entries)
        return digest

    def trust_for_session(self, path: Path) -> str:
        """Trust the file's current content at its real path until the process ends."""
        real = _real_path(path)
        digest = sha256_of(Path(real))
        self._session.add((real, digest))
        return digest

    def revoke(self, path: Path) -> None:
        """Forget any trust given to the file at this real path."""
        real = _real_path(path)
        self._session = {pair for pair in self._session if pair[0] != real}
        self._write([e for e in self._entries() if e["path"] != real])

    def _write(self, entries: list[dict[str, Any]]) -> None:
        atomic_write_text(
            self.path, json.dumps({"schema_version": 1, "trusted": entries}, indent=2) + "\n"
        )


def _real_path(path: Path) -> str:
    """The absolute path with every symlink followed (what trust is tied to)."""
    return str(Path(path).expanduser().resolve())
