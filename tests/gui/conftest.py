"""qasync fixtures for GUI tests (architecture reference, section 3.8 and pitfalls P1-P6).

Two ways to test async UI code:

1. Sync test + ``qloop``: click with ``qtbot`` and wait with ``qtbot.waitUntil``; the Qt
   event loop spun by pytest-qt also services the qasync loop's timers and sockets.
   ``await_in_qt(coro)`` runs a coroutine to completion that way.
2. ``async def`` test: runs on a fresh qasync loop through :func:`pytest_pyfunc_call`.
   Only ``await`` inside; never ``qtbot.wait*`` (nested loops re-enter asyncio, P2).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication


class LoopErrors:
    """Collects errors reported to the loop's exception handler (qasync's own tests do this)."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.contexts.append(context)


@pytest.fixture
def qloop(qapp: QApplication, monkeypatch: pytest.MonkeyPatch, qtbot: Any) -> Iterator[Any]:
    """A running qasync loop bound to the test's QApplication.

    At teardown: cancel leftover tasks and fail the test if any were left (they are
    leaks), re-raise errors the loop swallowed, and stop/close the loop with
    ``qapp.exit`` patched out so the quit request cannot leak into later tests (P1).
    """
    loop = qasync.QEventLoop(qapp, already_running=True)
    errors = LoopErrors()
    loop.set_exception_handler(errors)
    asyncio.events._set_running_loop(loop)  # private API, isolated here: qasync needs it
    try:
        yield loop
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            qtbot.waitUntil(lambda: all(task.done() for task in leftovers), timeout=20_000)
    finally:
        monkeypatch.setattr(qapp, "exit", lambda *args: None)
        loop.stop()
        loop.close()
        asyncio.events._set_running_loop(None)
        # This test's Qt garbage dies here, on the GUI thread, not in whatever thread (an
        # engine, an executor) next passes CPython's collection threshold.
        gc.collect()
    if leftovers:
        names = ", ".join(task.get_name() for task in leftovers)
        pytest.fail(f"test left {len(leftovers)} asyncio task(s) running: {names}")
    if errors.contexts:
        first = errors.contexts[0]
        raise AssertionError(f"loop reported an error: {first.get('message')}") from first.get(
            "exception"
        )


@pytest.fixture
def await_in_qt(qloop: Any, qtbot: Any) -> Callable[..., Any]:
    """Run a coroutine on the qasync loop from a sync test and return its result."""

    def run(coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        task = qloop.create_task(coro)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return run


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` GUI tests on a fresh qasync loop via ``asyncio.Runner``."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    qapp = QApplication.instance() or QApplication([])
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    original_exit = qapp.exit
    qapp.exit = lambda *args: None  # type: ignore[method-assign]  # P1: see qloop
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
            runner.run(pyfuncitem.obj(**kwargs))
    finally:
        qapp.exit = original_exit  # type: ignore[method-assign]
    return True


@pytest.fixture(autouse=True)
def no_leaked_top_level_widgets(qapp: QApplication) -> Iterator[None]:
    """Fail a test that leaves new visible top-level widgets behind (napari's idea)."""
    before = {id(w) for w in qapp.topLevelWidgets()}
    yield
    QApplication.processEvents()
    leaked = [
        w
        for w in qapp.topLevelWidgets()
        if id(w) not in before and w.isVisible() and w.objectName() != "qt_scrollarea_viewport"
    ]
    for widget in leaked:
        widget.close()
        widget.deleteLater()
    if leaked:
        pytest.fail(f"test leaked visible top-level widgets: {[type(w).__name__ for w in leaked]}")
