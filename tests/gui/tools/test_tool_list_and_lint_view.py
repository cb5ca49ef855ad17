"""The tool list and the lint view on their own: dots, names, summary and navigation."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from navtalk_desktop.core.tools.lint import lint_toolset
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.tools.lint_view import LintView
from navtalk_desktop.ui.tools.tool_list import ToolList

WAIT_MS = 20_000


def _dot_colour(icon: Any) -> str:
    image = icon.pixmap(10, 10).toImage()
    return image.pixelColor(5, 5).name()


def test_rows_show_names_state_and_lint_dots(qtbot: Any) -> None:
    weather = new_entry("weather")
    toolset = ToolSet(
        name="Set",
        tools=(weather, new_entry("function_call_judge").replace(enabled=False), weather),
    )
    report = lint_toolset(toolset, None)
    tools = ToolList()
    qtbot.addWidget(tools)
    selected: list[int] = []
    tools.currentRowChanged.connect(selected.append)
    tools.show_tools(toolset, report, select=1)
    assert selected == []  # filling the list is not a selection by the user
    assert tools.currentRow() == 1
    assert [tools.item(i).text() for i in range(3)] == [
        "get_weather",
        "function_call_judge  (disabled)",
        "get_weather",
    ]
    assert tools.item(1).font().italic()
    theme = colors(tools.palette())
    # The duplicate name is an error of the second get_weather only.
    assert _dot_colour(tools.item(2).icon()) == theme.error.lower()
    assert _dot_colour(tools.item(0).icon()) == theme.success.lower()
    assert "1 error(s)" in tools.item(2).toolTip()
    tools.show_tools(
        ToolSet(name="Set", tools=(weather,)), lint_toolset(ToolSet(name="x"), None), 0
    )
    assert tools.count() == 1
    assert _dot_colour(tools.item(0).icon()) == theme.success.lower()


def test_lint_view_lists_issues_and_reports_the_clicked_location(qtbot: Any) -> None:
    weather = new_entry("weather")
    toolset = ToolSet(name="Set", tools=(weather, weather))
    report = lint_toolset(toolset, None)
    view = LintView(ToolList().icons)
    qtbot.addWidget(view)
    view.show_report(report, toolset.tools)
    assert view.issues.count() == len(report.issues) >= 1
    first = view.issues.item(0)
    assert first.text().startswith("get_weather / name: ")
    assert "errors block registering the tools" in view.summary.text()
    with qtbot.waitSignal(view.location_activated, timeout=WAIT_MS) as clicked:
        view.issues.itemClicked.emit(first)
    assert clicked.args == [first.data(Qt.ItemDataRole.UserRole)]
    assert clicked.args[0].startswith("tools[1]")
    view.show_report(lint_toolset(ToolSet(name="Set", tools=(weather,)), None), (weather,))
    assert view.issues.count() == 0
    assert "Lint: no problems" in view.summary.text()
