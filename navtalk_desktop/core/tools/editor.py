"""The tool set editor model: edits as new immutable snapshots, undo/redo, dirty state, autosave.

Pure Python: the Qt editor wraps it (calls the edit methods, listens for changes, and
drives :meth:`ToolSetEditor.autosave_if_due` from a timer). Saving goes through a
:class:`ToolSetStore` port (``infra.toolset_file`` writes atomically).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from navtalk_desktop.core.ports import Clock, SystemClock
from navtalk_desktop.core.responders.config import ResponderChain
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet


class ToolSetStore(Protocol):
    """Reads and writes tool set files."""

    def save(self, path: Path, toolset: ToolSet) -> None:
        """Write ``toolset`` to ``path`` atomically. Raises ``OSError``."""

    def load(self, path: Path) -> ToolSet:
        """Read a tool set. Raises ``OSError`` or ``ConfigError``."""
        ...


class EditorEventKind(StrEnum):
    """What changed in the editor."""

    CHANGED = "changed"
    """The tool set changed (edit, undo, redo, replace)."""
    DIRTY = "dirty"
    """The unsaved-changes flag flipped."""
    SAVED = "saved"
    """A save (manual or auto) succeeded."""
    SAVE_FAILED = "save_failed"
    """A save failed; ``message`` says why. Nothing is lost: the edits stay in memory."""


@dataclass(frozen=True, slots=True)
class EditorEvent:
    """A notification to editor listeners."""

    kind: EditorEventKind
    message: str = ""
    autosave: bool = False


EditorListener = Callable[[EditorEvent], None]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    toolset: ToolSet
    label: str
    coalesce_key: str | None
    time: float


class ToolSetEditor:
    """Edits one tool set with undo history and autosave.

    Args:
        toolset: the starting content.
        path: the file it came from (``None`` for a new, unsaved set).
        store: saves files; without it :meth:`save` and autosave are unavailable.
        autosave_delay_s: how long after the last edit autosave fires (``None`` = off).
        recovery_path: where autosave writes while ``path`` is ``None``.
        history_limit: how many undo steps are kept.
        clock: time source (tests pass a fake).
    """

    def __init__(
        self,
        toolset: ToolSet | None = None,
        *,
        path: Path | None = None,
        store: ToolSetStore | None = None,
        autosave_delay_s: float | None = 2.0,
        recovery_path: Path | None = None,
        history_limit: int = 200,
        clock: Clock | None = None,
    ) -> None:
        self._toolset = toolset if toolset is not None else ToolSet()
        self.path = path
        self._store = store
        self.autosave_delay_s = autosave_delay_s
        self.recovery_path = recovery_path
        self._history_limit = history_limit
        self._clock = clock or SystemClock()
        self._undo: list[_Snapshot] = []
        self._redo: list[_Snapshot] = []
        self._saved: ToolSet = self._toolset
        self._last_edit: float | None = None
        self._autosaved: ToolSet | None = None
        self._listeners: list[EditorListener] = []
        self._was_dirty = self.dirty

    # ---------------------------------------------------------------- state

    @property
    def toolset(self) -> ToolSet:
        """The current content."""
        return self._toolset

    @property
    def dirty(self) -> bool:
        """Whether the content differs from what was opened or last saved."""
        return self._saved != self._toolset

    @property
    def can_undo(self) -> bool:
        """Whether :meth:`undo` would do something."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether :meth:`redo` would do something."""
        return bool(self._redo)

    @property
    def undo_label(self) -> str:
        """What :meth:`undo` would revert (for the menu), or ``""``."""
        return self._undo[-1].label if self._undo else ""

    @property
    def redo_label(self) -> str:
        """What :meth:`redo` would reapply, or ``""``."""
        return self._redo[-1].label if self._redo else ""

    def add_listener(self, listener: EditorListener) -> None:
        """Call ``listener`` with every :class:`EditorEvent`."""
        self._listeners.append(listener)

    def remove_listener(self, listener: EditorListener) -> None:
        """Stop notifying ``listener``."""
        self._listeners.remove(listener)

    # ---------------------------------------------------------------- edits

    def apply(self, label: str, toolset: ToolSet, *, coalesce_key: str | None = None) -> None:
        """Replace the content with ``toolset`` as one undoable step.

        Args:
            label: menu text for undo ("Edit description").
            toolset: the new content.
            coalesce_key: consecutive edits with the same key within 1 s merge into one
                undo step (typing in a field).
        """
        if toolset == self._toolset:
            return
        now = self._clock.monotonic()
        last = self._undo[-1] if self._undo else None
        merge = (
            coalesce_key is not None
            and last is not None
            and last.coalesce_key == coalesce_key
            and not self._redo
            and now - last.time < 1.0
        )
        if merge and last is not None:
            self._undo[-1] = _Snapshot(last.toolset, label, coalesce_key, now)
        else:
            self._undo.append(_Snapshot(self._toolset, label, coalesce_key, now))
            del self._undo[: -self._history_limit]
        self._redo.clear()
        self._set(toolset)

    def add_tool(self, entry: ToolEntry, index: int | None = None) -> int:
        """Insert ``entry`` (at the end by default); returns its index."""
        tools = list(self._toolset.tools)
        position = len(tools) if index is None else max(0, min(index, len(tools)))
        tools.insert(position, entry)
        self.apply(f"Add {entry.name or 'tool'}", self._toolset.replace(tools=tools))
        return position

    def remove_tool(self, index: int) -> ToolEntry:
        """Remove and return the entry at ``index``."""
        tools = list(self._toolset.tools)
        entry = tools.pop(index)
        self.apply(f"Remove {entry.name}", self._toolset.replace(tools=tools))
        return entry

    def update_tool(
        self, index: int, entry: ToolEntry, *, label: str = "", coalesce_key: str | None = None
    ) -> None:
        """Replace the entry at ``index``."""
        tools = list(self._toolset.tools)
        tools[index] = entry
        self.apply(
            label or f"Edit {entry.name}",
            self._toolset.replace(tools=tools),
            coalesce_key=coalesce_key,
        )

    def update_definition(
        self, index: int, tool: ToolDefinition, *, coalesce_key: str | None = None
    ) -> None:
        """Replace the definition of the entry at ``index`` (responders unchanged)."""
        entry = self._toolset.tools[index]
        self.update_tool(index, entry.replace(tool=tool), coalesce_key=coalesce_key)

    def set_chain(self, index: int, chain: ResponderChain) -> None:
        """Replace the responder chain of the entry at ``index``."""
        entry = self._toolset.tools[index]
        self.update_tool(
            index, entry.replace(chain=chain), label=f"Edit responders of {entry.name}"
        )

    def move_tool(self, source: int, target: int) -> None:
        """Move the entry at ``source`` to position ``target``."""
        tools = list(self._toolset.tools)
        entry = tools.pop(source)
        tools.insert(max(0, min(target, len(tools))), entry)
        self.apply(f"Move {entry.name}", self._toolset.replace(tools=tools))

    def duplicate_tool(self, index: int) -> int:
        """Insert a copy named ``<name>_copy`` after ``index``; returns the new index."""
        entry = self._toolset.tools[index]
        names = {e.name for e in self._toolset.tools}
        name = f"{entry.name}_copy"
        counter = 2
        while name in names:
            name = f"{entry.name}_copy{counter}"
            counter += 1
        tool = ToolDefinition(name, entry.tool.description, entry.tool.copy().parameters)
        return self.add_tool(entry.replace(tool=tool), index + 1)

    def add_tools(self, entries: Sequence[ToolEntry], label: str = "Import tools") -> None:
        """Append several entries as one undo step (imports)."""
        self.apply(label, self._toolset.replace(tools=[*self._toolset.tools, *entries]))

    def set_properties(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        variables: dict[str, str] | None = None,
    ) -> None:
        """Change the set's name, description or variables."""
        changes: dict[str, object] = {}
        if name is not None:
            changes["name"] = name
        if description is not None:
            changes["description"] = description
        if variables is not None:
            changes["variables"] = dict(variables)
        key = "properties:" + ",".join(sorted(changes))
        self.apply("Edit tool set", self._toolset.replace(**changes), coalesce_key=key)

    def undo(self) -> bool:
        """Revert the last edit; returns whether there was one."""
        if not self._undo:
            return False
        snapshot = self._undo.pop()
        self._redo.append(_Snapshot(self._toolset, snapshot.label, None, self._clock.monotonic()))
        self._set(snapshot.toolset)
        return True

    def redo(self) -> bool:
        """Reapply the last undone edit; returns whether there was one."""
        if not self._redo:
            return False
        snapshot = self._redo.pop()
        self._undo.append(_Snapshot(self._toolset, snapshot.label, None, self._clock.monotonic()))
        self._set(snapshot.toolset)
        return True

    # ---------------------------------------------------------------- files

    def save(self, path: Path | None = None) -> bool:
        """Save to ``path`` (or :attr:`path`); returns success.

        Failures are reported to listeners (``SAVE_FAILED``) and keep every edit in memory.

        Raises:
            ValueError: no path given and the set was never saved, or no store.
        """
        target = path or self.path
        if target is None:
            raise ValueError("choose a file name first: this tool set was never saved")
        if self._store is None:
            raise ValueError("this editor has no file store")
        if not self._write(target, autosave=False):
            return False
        self.path = target
        self._saved = self._toolset
        self._emit(EditorEvent(EditorEventKind.SAVED, str(target)))
        self._notify_dirty()
        return True

    def autosave_due(self) -> bool:
        """Whether autosave should run now (the UI's timer asks)."""
        if self.autosave_delay_s is None or self._store is None or self._last_edit is None:
            return False
        if self._autosaved == self._toolset or not self.dirty:
            return False
        if self.path is None and self.recovery_path is None:
            return False
        return self._clock.monotonic() - self._last_edit >= self.autosave_delay_s

    def autosave_if_due(self) -> bool:
        """Autosave when due; returns whether it saved.

        With a file path the file itself is saved; a never-saved set goes to
        :attr:`recovery_path` and stays dirty.
        """
        if not self.autosave_due():
            return False
        target = self.path or self.recovery_path
        assert target is not None
        if not self._write(target, autosave=True):
            # Do not retry in a tight loop: wait for the next edit or delay.
            self._last_edit = self._clock.monotonic()
            return False
        self._autosaved = self._toolset
        if self.path is not None:
            self._saved = self._toolset
            self._notify_dirty()
        self._emit(EditorEvent(EditorEventKind.SAVED, str(target), autosave=True))
        return True

    def _write(self, target: Path, *, autosave: bool) -> bool:
        assert self._store is not None
        try:
            self._store.save(target, self._toolset)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            what = "autosave" if autosave else "save"
            self._emit(
                EditorEvent(
                    EditorEventKind.SAVE_FAILED, f"{what} to {target} failed: {reason}", autosave
                )
            )
            return False
        return True

    # ---------------------------------------------------------------- internals

    def _set(self, toolset: ToolSet) -> None:
        self._toolset = toolset
        self._last_edit = self._clock.monotonic()
        self._emit(EditorEvent(EditorEventKind.CHANGED))
        self._notify_dirty()

    def _notify_dirty(self) -> None:
        if self.dirty != self._was_dirty:
            self._was_dirty = self.dirty
            self._emit(EditorEvent(EditorEventKind.DIRTY, "unsaved" if self.dirty else "saved"))

    def _emit(self, event: EditorEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
