"""TemplatePage: a Jinja template responder with a live preview rendered off the GUI thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import json
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from navtalk_desktop.core.responders.config import ResponderConfig, StepLimits, TemplateConfig
from navtalk_desktop.core.responders.sandbox import ExpressionSandbox
from navtalk_desktop.core.responders.templating import TemplateError, render, template_context
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.tools.responder_pages import ResponderPage
from navtalk_desktop.ui.widgets.json_editor import monospace_font

# Previews render off the GUI thread under this budget: a template that loops forever or
# builds a huge text shows an error instead of freezing the editor.
PREVIEW_LIMITS = StepLimits(time_s=1.0, max_output=200_000)


async def _render_preview(
    sandbox: ExpressionSandbox, source: str, context: dict[str, Any]
) -> tuple[str, str]:
    """(text, "") or ("", error) for a preview."""
    try:
        return await sandbox.render(source, context, PREVIEW_LIMITS), ""
    except TemplateError as error:
        return "", str(error) or "template error"


class TemplatePage(ResponderPage):
    """A Jinja template with a live preview rendered against real or sample arguments.

    The preview renders off the GUI thread, within :data:`PREVIEW_LIMITS`: in the sandbox
    given to :meth:`set_sandbox` (the app's worker processes, driven from the engine thread),
    otherwise in a background thread (renders stop on their own deadline there, and a
    watchdog gives up on one that does not).

    Signals:
        preview_rendered(int, str, str): a preview finished (generation, text, error);
            internal, it carries the result from the rendering thread to the GUI thread.
    """

    preview_rendered = Signal(int, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sandbox: ExpressionSandbox | None = None
        self._submit: (
            Callable[[Coroutine[Any, Any, Any]], concurrent.futures.Future[Any]] | None
        ) = None
        self._generation = 0
        self._rendering = False  # a background render is still running
        self._stale = False  # the template or context changed meanwhile
        self._preview_task: asyncio.Task[None] | None = None
        self.preview_rendered.connect(self._show_preview)
        # Gives up on a render that ignores its deadline (the thread cannot be stopped).
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.setInterval(int(((PREVIEW_LIMITS.time_s or 1.0) + 1.0) * 1000))
        self._watchdog.timeout.connect(self._preview_overdue)
        self._arguments: dict[str, Any] = {}
        self._variables: dict[str, str] = {}
        self._tool_name = ""
        self.template_edit = self._code_edit(
            "e.g. The weather in {{ city }} is sunny.",
            "Jinja template (sandboxed). Names: each argument, args, call.id, call.name, vars.NAME",
        )
        self.template_edit.setObjectName("template_source")
        self.template_edit.setAccessibleName("Template")
        self.preview_source = QLabel(self)
        self.preview_source.setObjectName("preview_source")
        self.preview_source.setWordWrap(True)
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("template_preview")
        self.preview.setAccessibleName("Template preview")
        self.preview.setReadOnly(True)
        self.preview.setFont(monospace_font())
        self.preview.setToolTip("What this template answers for the arguments named above")
        self.preview_error = QLabel(self)
        self.preview_error.setObjectName("template_error")
        self.preview_error.setWordWrap(True)
        self.preview_error.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.update_preview)
        self.template_edit.textChanged.connect(self._timer.start)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        top = QWidget(splitter)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(QLabel("Template", top))
        top_layout.addWidget(self.template_edit, 1)
        bottom = QWidget(splitter)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.preview_source)
        bottom_layout.addWidget(self.preview, 1)
        bottom_layout.addWidget(self.preview_error)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)

    def load(self, config: ResponderConfig) -> None:
        assert isinstance(config, TemplateConfig)
        self.template_edit.setPlainText(config.template)
        # On the preview timer (as after an edit), not now: several changes in a row
        # render once, and building the window does not wait for Jinja (~25 ms to load).
        self._timer.start()

    def config(self) -> ResponderConfig:
        return TemplateConfig(template=self.template_edit.toPlainText())

    def set_preview_context(
        self,
        arguments: dict[str, Any],
        source: str,
        tool_name: str,
        variables: dict[str, str],
    ) -> None:
        """Render previews against ``arguments`` (``source`` says where they came from)."""
        self._arguments = dict(arguments)
        self._tool_name = tool_name
        self._variables = dict(variables)
        args = json.dumps(arguments, ensure_ascii=False)
        if len(args) > 160:
            args = args[:157] + "…"
        self.preview_source.setText(f"Preview with {source}: {args}")
        self._timer.start()  # see load()

    def set_sandbox(
        self,
        sandbox: ExpressionSandbox | None,
        submit: Callable[[Coroutine[Any, Any, Any]], concurrent.futures.Future[Any]] | None = None,
    ) -> None:
        """Render previews in ``sandbox`` (the app's worker processes) instead of a thread.

        Args:
            sandbox: where previews render.
            submit: runs a coroutine on another loop (the engine thread's ``run``); without
                it the preview runs on this thread's asyncio loop.
        """
        self._sandbox = sandbox
        self._submit = submit

    @Slot()
    def update_preview(self) -> None:
        """Render the template now (also runs 120 ms after each edit or new context).

        Returns at once: the result arrives through :attr:`preview_rendered`. While a
        render runs, further changes wait for it and then render once, newest first.
        """
        self._timer.stop()
        if self._rendering:
            self._stale = True
            return
        self._generation += 1
        self._rendering = True
        self._stale = False
        generation = self._generation
        self._watchdog.start()
        source = self.template_edit.toPlainText()
        context = template_context(
            self._arguments,
            call_id="call_preview",
            name=self._tool_name,
            variables=self._variables,
        )
        sandbox = self._sandbox
        if sandbox is not None and self._submit is not None:
            work = _render_preview(sandbox, source, context)
            try:
                future = self._submit(work)
            except RuntimeError:  # the engine has stopped (shutting down): render here
                work.close()
            else:
                future.add_done_callback(functools.partial(self._remote_done, generation))
                return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if sandbox is not None and self._submit is None and loop is not None:
            self._preview_task = loop.create_task(
                self._render_in_sandbox(sandbox, generation, source, context),
                name="template-preview",
            )
        else:
            threading.Thread(
                target=self._render_in_thread,
                args=(generation, source, context),
                name="template-preview",
                daemon=True,
            ).start()

    def _remote_done(self, generation: int, future: concurrent.futures.Future[Any]) -> None:
        # On the engine thread: hand the result to the GUI thread (the page may be gone).
        if future.cancelled():
            return
        error = future.exception()
        text, message = ("", f"preview failed: {error}") if error else future.result()
        with contextlib.suppress(RuntimeError):
            self.preview_rendered.emit(generation, text, message)

    async def _render_in_sandbox(
        self, sandbox: ExpressionSandbox, generation: int, source: str, context: dict[str, Any]
    ) -> None:
        text, error = await _render_preview(sandbox, source, context)
        self._show_preview(generation, text, error)

    def _render_in_thread(self, generation: int, source: str, context: dict[str, Any]) -> None:
        try:
            text = render(
                source, context, time_s=PREVIEW_LIMITS.time_s, max_chars=PREVIEW_LIMITS.max_output
            )
            result = (generation, text, "")
        except TemplateError as error:
            result = (generation, "", str(error) or "template error")
        # Queued to the GUI thread; the page may be gone by now.
        with contextlib.suppress(RuntimeError):
            self.preview_rendered.emit(*result)

    @Slot()
    def _preview_overdue(self) -> None:
        if self._rendering:
            self._generation += 1  # its result, if it ever comes, is ignored
            self._show_preview(
                self._generation,
                "",
                f"template preview stopped: no result within {PREVIEW_LIMITS.time_s:g} s",
            )

    @Slot(int, str, str)
    def _show_preview(self, generation: int, text: str, error: str) -> None:
        if generation != self._generation:
            return
        self._watchdog.stop()
        self._rendering = False
        self._preview_task = None
        if self._stale:
            self.update_preview()
            return
        if error:
            self.preview_error.setText(error)
            self.preview_error.setStyleSheet(f"QLabel {{ color: {colors(self.palette()).error}; }}")
            self.preview_error.show()
            return
        self.preview_error.hide()
        self.preview.setPlainText(text)


__all__ = ["PREVIEW_LIMITS", "TemplatePage"]
