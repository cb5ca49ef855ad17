"""The tool set editor model: undo/redo, coalescing, dirty state, save and autosave."""

from __future__ import annotations

from pathlib import Path

import pytest

from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.tools.editor import EditorEvent, EditorEventKind, ToolSetEditor
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.toolset_file import ToolSetFileStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now


def _editor(tmp_path: Path, **kwargs: object) -> tuple[ToolSetEditor, FakeClock, list[EditorEvent]]:
    clock = FakeClock()
    editor = ToolSetEditor(ToolSet(name="Set"), store=ToolSetFileStore(), clock=clock, **kwargs)  # type: ignore[arg-type]
    events: list[EditorEvent] = []
    editor.add_listener(events.append)
    return editor, clock, events


def test_edits_undo_and_redo(tmp_path: Path) -> None:
    editor, _clock, events = _editor(tmp_path)
    assert not editor.dirty
    assert not editor.can_undo
    editor.add_tool(new_entry("weather"))
    editor.add_tool(new_entry("crm"), index=0)
    editor.move_tool(0, 1)
    copy_index = editor.duplicate_tool(0)
    assert [e.name for e in editor.toolset] == [
        "get_weather",
        "get_weather_copy",
        "update_customer_status",
    ]
    assert copy_index == 1
    editor.set_chain(1, ResponderChain(steps=(ResponderStep(StaticConfig("x")),)))
    assert editor.undo_label == "Edit responders of get_weather_copy"
    assert editor.dirty
    while editor.undo():
        pass
    assert editor.toolset == ToolSet(name="Set")
    assert not editor.dirty
    assert editor.redo_label == "Add get_weather"
    while editor.redo():
        pass
    assert len(editor.toolset) == 3
    assert editor.toolset.tools[1].chain.steps[0].config == StaticConfig("x")
    editor.remove_tool(0)
    assert not editor.can_redo  # a new edit drops the redo history
    kinds = {e.kind for e in events}
    assert {EditorEventKind.CHANGED, EditorEventKind.DIRTY} <= kinds


def test_typing_coalesces_into_one_undo_step(tmp_path: Path) -> None:
    editor, clock, _ = _editor(tmp_path)
    for text in ("W", "We", "Wea"):
        editor.set_properties(description=text)
        clock.now += 0.3
    clock.now += 2
    editor.set_properties(description="Weather")
    editor.undo()
    assert editor.toolset.description == "Wea"
    editor.undo()
    assert editor.toolset.description == ""
    assert not editor.can_undo


def test_history_limit(tmp_path: Path) -> None:
    editor, _clock, _ = _editor(tmp_path, history_limit=3)
    for index in range(6):
        editor.set_properties(name=f"n{index}")
        editor._undo[-1] = editor._undo[-1].__class__(editor._undo[-1].toolset, "x", None, -10.0)
    undone = 0
    while editor.undo():
        undone += 1
    assert undone == 3


def test_save_and_reload(tmp_path: Path) -> None:
    editor, _clock, events = _editor(tmp_path)
    editor.add_tool(new_entry("weather"))
    with pytest.raises(ValueError, match="choose a file name"):
        editor.save()
    target = tmp_path / "set.navtools.json"
    assert editor.save(target)
    assert not editor.dirty
    assert editor.path == target
    assert ToolSetFileStore().load(target) == editor.toolset
    assert events[-1].kind is EditorEventKind.DIRTY
    assert any(e.kind is EditorEventKind.SAVED and e.message == str(target) for e in events)


def test_autosave_after_the_delay_to_the_file(tmp_path: Path) -> None:
    target = tmp_path / "auto.navtools.json"
    editor, clock, events = _editor(tmp_path, path=target, autosave_delay_s=2.0)
    assert not editor.autosave_due()
    editor.add_tool(new_entry("iot"))
    clock.now += 1.0
    assert not editor.autosave_if_due()
    clock.now += 1.5
    assert editor.autosave_if_due()
    assert ToolSetFileStore().load(target).find("control_device") is not None
    assert not editor.dirty
    assert events[-1] == EditorEvent(EditorEventKind.SAVED, str(target), autosave=True)
    clock.now += 10
    assert not editor.autosave_if_due()  # nothing new


def test_autosave_of_a_new_set_goes_to_recovery_and_stays_dirty(tmp_path: Path) -> None:
    recovery = tmp_path / "recovery" / "untitled.navtools.json"
    editor, clock, _ = _editor(tmp_path, recovery_path=recovery, autosave_delay_s=0.5)
    editor.add_tool(new_entry("crm"))
    clock.now += 1
    assert editor.autosave_if_due()
    assert recovery.exists()
    assert editor.dirty
    assert editor.path is None


def test_failed_save_keeps_every_edit(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    editor, clock, events = _editor(tmp_path, path=blocker / "set.json", autosave_delay_s=0.1)
    editor.add_tool(new_entry("weather"))
    clock.now += 1
    assert not editor.autosave_if_due()
    failed = [e for e in events if e.kind is EditorEventKind.SAVE_FAILED]
    assert failed
    assert failed[0].autosave
    assert "autosave to" in failed[0].message
    assert editor.dirty
    assert editor.toolset.find("get_weather") is not None
    assert not editor.save()
    assert not editor.autosave_due()  # waits for the next delay instead of retrying in a loop
