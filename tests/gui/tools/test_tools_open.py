"""The tool editor's Open (button and File menu) opens every format ``respond --tools`` reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from navtalk_desktop import app as app_module
from navtalk_desktop.infra.toolset_file import is_toolset_file
from navtalk_desktop.ui.tools.tools_panel import ToolsPanel
from tests.gui.test_app_tools_option import BARE_ARRAY
from tests.gui.ui_support import workbench_factory

__all__ = ["workbench_factory"]  # the fixture, imported for pytest

Factory = Callable[..., app_module.Workbench]


def _messages(workbench: app_module.Workbench) -> list[tuple[str, str]]:
    return [(n.level, n.message) for n in workbench.window.notifications.history]


def test_open_imports_a_bare_array_and_save_asks_for_a_new_name(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    array_file = tmp_path / "seed_tools.json"
    array_file.write_text(json.dumps(BARE_ARRAY), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text('{"tools": [', encoding="utf-8")
    chosen: list[Path] = []
    monkeypatch.setattr(
        ToolsPanel,
        "choose_open_file",
        classmethod(lambda cls, parent, on_chosen: on_chosen(str(chosen.pop(0)))),
    )
    saved_as = tmp_path / "my_tools.json"
    asked: list[str] = []

    def choose_save(cls: Any, parent: Any, suggested: str, on_chosen: Any) -> None:
        asked.append(suggested)
        on_chosen(str(saved_as))

    monkeypatch.setattr(ToolsPanel, "choose_save_file", classmethod(choose_save))
    workbench = workbench_factory()
    panel = workbench.panels["tools"]  # built on first use
    menu_actions = {a.objectName(): a for a in workbench.window.file_menu.actions()}
    assert "action_open_toolset" in menu_actions

    # A file that cannot be opened says why and changes nothing.
    before = workbench.editor
    chosen.append(broken)
    panel.open_button.click()
    qtbot.waitUntil(
        lambda: any(level == "error" and "broken.json" in m for level, m in _messages(workbench)),
        timeout=20_000,
    )
    assert workbench.editor is before

    # The seed's bare tools array opens (imported, with a notice naming its format).
    chosen.append(array_file)
    menu_actions["action_open_toolset"].trigger()
    qtbot.waitUntil(
        lambda: (
            [t.name for t in workbench.editor.toolset.tools] == ["lookup_order", "cancel_order"]
        ),
        timeout=20_000,
    )
    assert any(
        level == "info" and "Imported 2 tools from seed_tools.json" in m and "Realtime" in m
        for level, m in _messages(workbench)
    ), _messages(workbench)
    assert workbench.editor.path is None
    assert panel.tool_list.count() == 2

    # Save asks for a name; the array file is never overwritten.
    panel.save_button.click()
    qtbot.waitUntil(lambda: saved_as.exists(), timeout=20_000)
    assert asked
    assert json.loads(array_file.read_text(encoding="utf-8")) == BARE_ARRAY
    assert is_toolset_file(saved_as)
    assert workbench.editor.path == saved_as

    # A tool set file opens as itself: its path is the editor's file.
    chosen.append(saved_as)
    panel.open_button.click()
    qtbot.waitUntil(
        lambda: workbench.editor is not None and workbench.editor.path == saved_as, timeout=20_000
    )
    assert [t.name for t in workbench.editor.toolset.tools] == ["lookup_order", "cancel_order"]


def test_opening_another_set_keeps_unsaved_edits_of_an_imported_one(
    qtbot: Any, workbench_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An imported set has no file of its own: opening another keeps its edits in a file."""
    from navtalk_desktop.infra import paths
    from navtalk_desktop.infra.toolset_file import ToolSetFileStore

    array_file = tmp_path / "seed_tools.json"
    array_file.write_text(json.dumps(BARE_ARRAY), encoding="utf-8")
    other = tmp_path / "other.navtools.json"
    chosen = [array_file, other]
    monkeypatch.setattr(
        ToolsPanel,
        "choose_open_file",
        classmethod(lambda cls, parent, on_chosen: on_chosen(str(chosen.pop(0)))),
    )
    workbench = workbench_factory()
    panel = workbench.panels["tools"]
    ToolSetFileStore().save(other, workbench.editor.toolset.replace(name="Other tools"))
    panel.open_button.click()
    qtbot.waitUntil(lambda: workbench.editor.path is None and len(chosen) == 1, timeout=20_000)
    imported = workbench.editor
    # An edit nobody saved yet: the imported set has no file, so Save would ask for a name.
    renamed = imported.toolset.replace(name="My edited import")
    imported.apply("Rename", renamed)
    assert imported.dirty

    panel.open_button.click()
    qtbot.waitUntil(lambda: workbench.editor.path == other, timeout=20_000)
    kept = sorted((paths.data_dir() / "unsaved").glob("My edited import *.navtools.json"))
    assert len(kept) == 1, kept
    reopened = ToolSetFileStore().load(kept[0])
    assert reopened == renamed
    assert any(
        str(kept[0]) in n.message and "unsaved" in n.message
        for n in workbench.window.notifications.history
    )
