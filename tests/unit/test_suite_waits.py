"""The suite waits for states, not for time: a guard against the races a loaded machine finds.

Reads every test module (no imports, just the syntax tree) and rejects:

- ``qtbot.wait(...)``: a pause is not a state; use ``qtbot.waitUntil`` / ``waitSignal``.
- ``qtbot.waitExposed(w)`` (or ``waitSignal``…) as a statement: it returns a context
  manager and waits for nothing.
- ``time.sleep(...)`` / ``asyncio.sleep(x)`` (x not 0) outside a ``while`` loop: a sleep
  is only a way to poll a condition. Elsewhere it needs an entry in ALLOWED with a reason.
- a ``qtbot.wait*`` timeout under MIN_QT_TIMEOUT_MS, or none (pytest-qt's default is 5 s):
  a limit only costs time when a test fails, and with both cores busy a few seconds are
  not enough.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
MIN_QT_TIMEOUT_MS = 10_000
QT_WAITS = {"waitUntil", "waitSignal", "waitSignals", "waitCallback", "waitExposed", "waitActive"}
# These return a context manager: called as a statement, they do not wait at all.
QT_CONTEXT_WAITS = QT_WAITS - {"waitUntil"}

# (path under tests/, enclosing function) -> why a sleep outside a polling loop is right there.
ALLOWED = {
    ("gui/shell/test_tasks.py", "work"): "the task under test has work that takes a while",
    ("gui/shell/test_tasks.py", "test_cancel_all_stops_pending_tasks"): (
        "tasks that never end by themselves, for cancel_all to cancel"
    ),
    ("unit/test_responders.py", "wait_for_answer"): "a fake person who answers after a delay",
    ("integration/test_session_hardening.py", "relay"): (
        "a server slower than the transport's old fixed 10 s limit, on purpose"
    ),
    ("unit/test_engine_thread.py", "spawn"): "a task that never ends by itself, to be cancelled",
    ("unit/test_toolset_file.py", "test_sigkill_mid_save_leaves_old_or_new_never_torn"): (
        "kills land at different points of the save loop (jitter, not a wait)"
    ),
    # The benchmarks (python3 dev.py bench) measure over time; they assert nothing.
    ("benchmarks/gui.py", "_gui_run"): "the shown window settles before the measurement",
    ("benchmarks/gui.py", "bare_gui_lag"): "the baseline's window settles the same way",
    ("helpers/webrtc_offerer.py", "recv"): (
        "synthetic media tracks pace their frames in real time, as a live stream does"
    ),
}


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _name(node: ast.expr) -> str:
    """``a.b.c`` for an attribute chain of names; "" otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _is_zero(call: ast.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Constant) and call.args[0].value == 0


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.functions: list[str] = []
        self.loops = 0
        self.problems: list[str] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # A nested function is called from elsewhere: the loops around its definition
        # say nothing about where it runs.
        self.functions.append(node.name)
        loops, self.loops = self.loops, 0
        self.generic_visit(node)
        self.loops = loops
        self.functions.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call):
            name = _name(node.value.func)
            if name.startswith("qtbot.") and name.split(".")[-1] in QT_CONTEXT_WAITS:
                self.problems.append(
                    f"{self.path}:{node.lineno}: {name}() without `with` does not wait"
                )
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self.loops += 1
        self.generic_visit(node)
        self.loops -= 1

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        where = f"{self.path}:{node.lineno}"
        function = self.functions[-1] if self.functions else "<module>"
        if name == "qtbot.wait":
            self.problems.append(f"{where}: qtbot.wait() pauses; wait for the state instead")
        elif name in ("time.sleep", "asyncio.sleep") and not _is_zero(node):
            if not self.loops and (self.path, function) not in ALLOWED:
                self.problems.append(
                    f"{where}: {name}() in {function}() is not a poll of a condition"
                )
        elif name.startswith("qtbot.") and name.split(".")[-1] in QT_WAITS:
            if not any(keyword.arg == "timeout" for keyword in node.keywords):
                self.problems.append(f"{where}: {name}() without timeout= waits only 5 s")
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg == "timeout"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, int)
                    and value.value < MIN_QT_TIMEOUT_MS
                ):
                    self.problems.append(
                        f"{where}: {name}(timeout={value.value}) is short for a loaded machine"
                    )
        self.generic_visit(node)


def _problems(path: Path) -> list[str]:
    relative = path.relative_to(TESTS).as_posix()
    finder = _Finder(relative)
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return finder.problems


def test_no_test_waits_for_time_instead_of_a_state() -> None:
    problems = [problem for path in _modules() for problem in _problems(path)]
    assert problems == []


def test_every_allowed_sleep_is_still_there() -> None:
    # An entry whose sleep is gone would silently allow a new one later.
    used: set[tuple[str, str]] = set()
    for path in _modules():
        relative = path.relative_to(TESTS).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and _name(node.func) in (
                    "time.sleep",
                    "asyncio.sleep",
                ):
                    used.add((relative, function.name))
    assert set(ALLOWED) <= used, set(ALLOWED) - used


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def test_x(qtbot):\n    qtbot.wait(50)\n", "qtbot.wait() pauses"),
        ("import time\ndef test_x():\n    time.sleep(0.3)\n", "time.sleep() in test_x()"),
        ("async def test_x():\n    await asyncio.sleep(0.2)\n", "asyncio.sleep() in test_x()"),
        ("def test_x(qtbot):\n    qtbot.waitUntil(f, timeout=2000)\n", "timeout=2000) is short"),
        ("def test_x(qtbot):\n    qtbot.waitUntil(f)\n", "without timeout= waits only 5 s"),
        (
            "def test_x(qtbot):\n    qtbot.waitExposed(w, timeout=20_000)\n",
            "without `with` does not wait",
        ),
        # A poll that is defined in a loop but runs elsewhere is no poll.
        ("while True:\n    def f():\n        time.sleep(1)\n", "time.sleep() in f()"),
    ],
)
def test_the_guard_finds_each_kind(tmp_path: Path, source: str, found: str) -> None:
    path = tmp_path / "gui" / "test_example.py"
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    finder = _Finder("gui/test_example.py")
    finder.visit(ast.parse(source))
    assert len(finder.problems) == 1
    assert found in finder.problems[0]


@pytest.mark.parametrize(
    "source",
    [
        "def test_x():\n    while not done():\n        time.sleep(0.05)\n",
        "async def test_x():\n    await asyncio.sleep(0)\n",
        "def test_x(qtbot):\n    qtbot.waitUntil(f, timeout=20_000)\n",
        "def test_x(qtbot):\n    with qtbot.waitSignal(s, timeout=20_000):\n        go()\n",
    ],
)
def test_the_guard_accepts_polls_yields_and_generous_limits(source: str) -> None:
    finder = _Finder("gui/test_example.py")
    finder.visit(ast.parse(source))
    assert finder.problems == []
