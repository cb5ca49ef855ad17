"""The responder chain editor and its pages on their own (no Tools panel around them)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem

from navtalk_desktop.core.responders.config import (
    ErrorPolicy,
    ManualConfig,
    MatchKind,
    ResponderChain,
    ResponderKind,
    ResponderStep,
    Rule,
    RulesConfig,
    ScriptConfig,
    StaticConfig,
    WebhookConfig,
)
from navtalk_desktop.ui.tools.responder_editor import ResponderChainEditor
from navtalk_desktop.ui.tools.responder_pages import ScriptPage, StaticPage, WebhookPage
from navtalk_desktop.ui.tools.rules_page import RulesPage

WAIT_MS = 20_000


@pytest.fixture
def chain_editor(qtbot: Any) -> ResponderChainEditor:
    editor = ResponderChainEditor()
    qtbot.addWidget(editor)
    editor.resize(700, 500)
    with qtbot.waitExposed(editor, timeout=WAIT_MS):
        editor.show()
    return editor


def _changes(editor: ResponderChainEditor) -> list[ResponderChain]:
    seen: list[ResponderChain] = []
    editor.chain_changed.connect(seen.append)
    return seen


def test_steps_are_added_ordered_disabled_and_removed(
    qtbot: Any, chain_editor: ResponderChainEditor
) -> None:
    seen = _changes(chain_editor)
    chain_editor.set_chain(
        ResponderChain(steps=(ResponderStep(ManualConfig()), ResponderStep(StaticConfig("x"))))
    )
    assert seen == []  # showing a chain is not an edit
    assert chain_editor.steps_list.count() == 2

    chain_editor.add_actions[ResponderKind.WEBHOOK].trigger()
    assert [s.config.kind for s in seen[-1].steps] == ["manual", "static", "webhook"]
    assert chain_editor.steps_list.currentRow() == 2
    assert isinstance(chain_editor.current_page(), WebhookPage)
    qtbot.mouseClick(chain_editor.up_button, Qt.MouseButton.LeftButton)
    assert [s.config.kind for s in seen[-1].steps] == ["manual", "webhook", "static"]

    chain_editor.select_step(0)
    chain_editor.deadline_check.click()
    chain_editor.deadline_spin.setValue(2.5)
    assert seen[-1].steps[0].deadline_s == 2.5
    assert chain_editor.steps_list.item(0).text() == "1. manual  · 2.5 s"

    chain_editor.steps_list.item(2).setCheckState(Qt.CheckState.Unchecked)
    assert seen[-1].steps[2].enabled is False

    chain_editor.approve_check.click()
    chain_editor.on_error_combo.setCurrentIndex(
        chain_editor.on_error_combo.findData(str(ErrorPolicy.NEXT))
    )
    assert (seen[-1].approve, seen[-1].on_error) == (True, ErrorPolicy.NEXT)

    chain_editor.select_step(1)
    qtbot.mouseClick(chain_editor.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(chain_editor.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(chain_editor.remove_button, Qt.MouseButton.LeftButton)
    assert seen[-1].steps == ()
    assert chain_editor.stack.currentWidget() is chain_editor.empty_label
    assert not chain_editor.remove_button.isEnabled()


def test_static_page_stores_json_objects_and_text(
    qtbot: Any, chain_editor: ResponderChainEditor
) -> None:
    seen = _changes(chain_editor)
    chain_editor.add_actions[ResponderKind.STATIC].trigger()
    page = chain_editor.current_page()
    assert isinstance(page, StaticPage)
    assert page.output_edit.toPlainText() == '{"status": "ok"}'
    page.output_edit.setPlainText('{"temperature": 21}')
    assert seen[-1].steps[-1].config == StaticConfig(output={"temperature": 21})
    page.output_edit.setPlainText("21 degrees")
    page.error_check.click()
    assert seen[-1].steps[-1].config == StaticConfig(output="21 degrees", is_error=True)


def test_rules_page_edits_rows_and_keeps_the_wildcard_last(
    qtbot: Any, chain_editor: ResponderChainEditor
) -> None:
    seen = _changes(chain_editor)
    chain_editor.add_actions[ResponderKind.RULES].trigger()
    page = chain_editor.current_page()
    assert isinstance(page, RulesPage)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert page.table.currentRow() == 0  # inserted before the wildcard
    page.table.item(0, 1).setText("city")
    page.table.item(0, 2).setText("Paris")
    page.table.item(0, 3).setText('{"forecast": "rain"}')
    page.table.item(0, 4).setText("0.5")
    page.table.item(0, 6).setCheckState(Qt.CheckState.Checked)
    rules = seen[-1].steps[-1].config
    assert isinstance(rules, RulesConfig)
    assert rules.rules == (
        Rule(
            match=MatchKind.EQUALS,
            path="city",
            value="Paris",
            output={"forecast": "rain"},
            delay_s=0.5,
            ignore_case=True,
        ),
        Rule(match=MatchKind.ANY, output="default answer"),
    )
    combo = page.table.cellWidget(0, 0)
    combo.setCurrentIndex(combo.findData(str(MatchKind.REGEX)))
    assert seen[-1].steps[-1].config.rules[0].pattern == "Paris"
    qtbot.mouseClick(page.down_button, Qt.MouseButton.LeftButton)
    assert [r.match for r in seen[-1].steps[-1].config.rules] == ["any", "regex"]
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert [r.match for r in seen[-1].steps[-1].config.rules] == ["any"]


def test_webhook_page_reads_every_field(qtbot: Any, chain_editor: ResponderChainEditor) -> None:
    seen = _changes(chain_editor)
    chain_editor.add_actions[ResponderKind.WEBHOOK].trigger()
    page = chain_editor.current_page()
    assert isinstance(page, WebhookPage)
    page.url_edit.selectAll()
    qtbot.keyClicks(page.url_edit, "{{ vars.base }}/weather")
    page.method_combo.setCurrentText("PUT")
    qtbot.mouseClick(page.add_header_button, Qt.MouseButton.LeftButton)
    page.headers_table.item(0, 0).setText("Authorization")
    page.headers_table.item(0, 1).setText("Bearer {{ vars.token }}")
    page.headers_table.insertRow(1)
    page.headers_table.setItem(1, 0, QTableWidgetItem("  "))  # a row without a name is ignored
    page.timeout_spin.setValue(4.0)
    page.verify_check.setChecked(False)
    qtbot.keyClicks(page.output_path_edit, "$.reply")
    config = seen[-1].steps[-1].config
    assert isinstance(config, WebhookConfig)
    assert (config.url, config.method, config.timeout_s, config.verify_tls) == (
        "{{ vars.base }}/weather",
        "PUT",
        4.0,
        False,
    )
    assert config.headers == {"Authorization": "Bearer {{ vars.token }}"}
    assert config.output_path == "$.reply"
    # Loading it back shows the same settings and emits nothing.
    count = len(seen)
    page.load(config)
    assert len(seen) == count
    assert page.config() == config


def test_script_page_browse_and_trust_line(
    qtbot: Any, chain_editor: ResponderChainEditor, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _changes(chain_editor)
    monkeypatch.setattr(
        ScriptPage, "ask_script_path", classmethod(lambda cls, parent: "/srv/bot/respond.py")
    )
    chain_editor.add_actions[ResponderKind.SCRIPT].trigger()
    page = chain_editor.script_page
    assert chain_editor.current_page() is page
    qtbot.mouseClick(page.browse_button, Qt.MouseButton.LeftButton)
    page.function_edit.selectAll()
    qtbot.keyClicks(page.function_edit, "answer")
    assert seen[-1].steps[-1].config == ScriptConfig(
        path="/srv/bot/respond.py", function="answer", timeout_s=page.timeout_spin.value()
    )
    page.function_edit.clear()
    assert page.config().function == "respond"  # empty means the default function
    page.show_trust(False, "Not trusted: respond.py will not run")
    assert page.trust_label.text() == "Not trusted: respond.py will not run"
