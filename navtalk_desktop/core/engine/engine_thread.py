"""Where the session engine runs: its own thread and asyncio loop, or inline on the caller's loop.

The desktop app runs the core :class:`~navtalk_desktop.core.session.session.Session`, its transport
and the automatic-answer dispatcher on an :class:`EngineThread`: a plain asyncio loop on a
worker thread. The GUI thread's painting, model updates and the like then never delay a
function call's answer: the call frame is read, answered and sent on the engine thread
while the GUI catches up with what happened.

:class:`InlineEngine` offers the same interface (:class:`EngineRunner`) on the caller's own loop (no thread), for
code and tests that build a session bridge without the app.

Both own every task they start for callers, and stopping cancels what is left. Nothing
here knows about Qt: callers marshal results back to their own thread themselves
(``asyncio.wrap_future``, ``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_THREAD_NAME = "navtalk-engine"
STOP_TIMEOUT_S = 5.0


class EngineStoppedError(RuntimeError):
    """Work was handed to an engine that has stopped."""


class EngineRunner(Protocol):
    """Runs coroutines and callbacks on the engine's loop, from any thread."""

    def run(
        self, coro: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> concurrent.futures.Future[T]:
        """Start ``coro`` as a task on the engine's loop; its outcome arrives in the future."""
        ...

    def call_soon(self, callback: Callable[..., object], *args: Any) -> None:
        """Call ``callback(*args)`` on the engine's loop, after the work handed over before."""
        ...

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> list[str]:
        """Cancel the engine's tasks and release it; the names of tasks still running."""
        ...


class _OwnedTasks:
    """Tasks an engine started for callers, each tied to the future handed out for it."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def start(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Coroutine[Any, Any, T],
        future: concurrent.futures.Future[T],
        name: str | None,
    ) -> None:
        """On ``loop``'s thread: run ``coro`` as an owned task that completes ``future``.

        ``future`` stays pending while the task runs (not "running" in the
        ``concurrent.futures`` sense), so the caller can still cancel it.
        """
        if future.cancelled():
            coro.close()  # the caller gave up before it started: never awaited on purpose
            return
        task = loop.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(lambda done: self._finished(done, future))

        def cancel_task(outcome: concurrent.futures.Future[T]) -> None:
            # The caller gave up (its own task was cancelled): stop the work as well.
            if outcome.cancelled() and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(task.cancel)

        future.add_done_callback(cancel_task)

    def _finished(self, task: asyncio.Task[T], future: concurrent.futures.Future[T]) -> None:
        self.tasks.discard(task)
        if future.done():
            return
        try:
            if task.cancelled():
                future.cancel()
            elif (error := task.exception()) is not None:
                future.set_exception(error)
            else:
                future.set_result(task.result())
        except concurrent.futures.InvalidStateError:
            pass  # the caller cancelled it meanwhile (another thread)


class EngineThread:
    """A worker thread (not a daemon) running its own asyncio event loop.

    The thread starts in the constructor and runs until :meth:`stop`, which must be called
    (a non-daemon thread keeps the process alive): it cancels every task still on the loop,
    closes the loop and joins the thread.

    Args:
        name: the thread's name (logs, debuggers).
    """

    def __init__(self, name: str = DEFAULT_THREAD_NAME) -> None:
        self._loop = asyncio.new_event_loop()
        self._owned = _OwnedTasks()
        self._ready = threading.Event()
        self._stopping = False
        self._leftovers: list[str] = []
        self._thread = threading.Thread(target=self._main, name=name, daemon=False)
        self._thread.start()
        self._ready.wait()

    # ------------------------------------------------------------------ properties
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The engine's event loop (runs on :attr:`thread`)."""
        return self._loop

    @property
    def thread(self) -> threading.Thread:
        """The worker thread."""
        return self._thread

    @property
    def running(self) -> bool:
        """Whether work can still be handed over."""
        return not self._stopping and self._thread.is_alive()

    @property
    def pending(self) -> int:
        """Number of tasks started through :meth:`run` that have not finished."""
        return len(self._owned.tasks)

    def in_engine_thread(self) -> bool:
        """Whether the caller runs on the engine thread."""
        return threading.current_thread() is self._thread

    # ------------------------------------------------------------------ handing over work
    def run(
        self, coro: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> concurrent.futures.Future[T]:
        """Start ``coro`` as a task on the engine loop (callable from any thread).

        The engine owns the task until it finishes. Cancelling the returned future
        cancels the task.

        Raises:
            EngineStoppedError: after :meth:`stop` (``coro`` is closed, not run).
        """
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            self._submit(self._owned.start, self._loop, coro, future, name)
        except EngineStoppedError:
            coro.close()
            raise
        return future

    def call_soon(self, callback: Callable[..., object], *args: Any) -> None:
        """Call ``callback(*args)`` on the engine loop (callable from any thread).

        Callbacks and task starts handed over by one thread run in that order (a task
        started by :meth:`run` takes its first step one loop iteration after it starts).

        Raises:
            EngineStoppedError: after :meth:`stop`.
        """
        self._submit(callback, *args)

    def call(
        self,
        function: Callable[[], T],
        timeout: float = STOP_TIMEOUT_S,
    ) -> T:
        """Run ``function()`` on the engine loop and block until it returned (any thread
        except the engine's own).

        Raises:
            EngineStoppedError: after :meth:`stop`.
            RuntimeError: called on the engine thread (it would wait for itself).
            TimeoutError: the engine did not get to it within ``timeout``.
        """
        if self.in_engine_thread():
            raise RuntimeError("EngineThread.call() on the engine thread would deadlock")

        async def call() -> T:
            return function()

        return self.run(call(), name="engine-call").result(timeout)

    def _submit(self, callback: Callable[..., object], *args: Any) -> None:
        if self._stopping:
            raise EngineStoppedError("the engine thread has stopped")
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop closed meanwhile
            raise EngineStoppedError("the engine thread has stopped") from None

    # ------------------------------------------------------------------ shutdown
    def stop(self, timeout: float = STOP_TIMEOUT_S) -> list[str]:
        """Cancel every task on the engine loop, close it and join the thread.

        Safe to call more than once. Call it from another thread than the engine's.

        Returns:
            Names of the tasks that were still running and had to be cancelled (empty
            after an orderly shutdown, e.g. a session disconnected before).
        """
        if self.in_engine_thread():
            raise RuntimeError("EngineThread.stop() must be called from another thread")
        if not self._stopping:
            self._stopping = True
            with contextlib.suppress(RuntimeError):  # already closed
                self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the engine thread did not stop within %.1f s", timeout)
        return list(self._leftovers)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        try:
            self._loop.run_forever()
        finally:
            try:
                self._cancel_all()
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
                self._loop.run_until_complete(self._loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                self._loop.close()
                self._ready.set()  # in case run_forever failed before the first iteration

    def _cancel_all(self) -> None:
        # What asyncio.run does at its end: nothing outlives the loop.
        tasks = [task for task in asyncio.all_tasks(self._loop) if not task.done()]
        self._leftovers = sorted(task.get_name() for task in tasks)
        if not tasks:
            return
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        for task in tasks:
            if task.cancelled():
                continue
            error = task.exception()
            if error is not None:
                log.error("engine task %s failed while stopping", task.get_name(), exc_info=error)


class InlineEngine:
    """The :class:`EngineRunner` interface on the loop of the thread that uses it (no thread).

    Work runs on the loop running when it is handed over. For tests and tools that need
    no separate engine thread; the app uses :class:`EngineThread`.
    """

    def __init__(self) -> None:
        self._owned = _OwnedTasks()
        self._stopped = False

    @property
    def pending(self) -> int:
        """Number of tasks started through :meth:`run` that have not finished."""
        return len(self._owned.tasks)

    def in_engine_thread(self) -> bool:
        """Always true: the engine is whichever loop runs here."""
        return True

    def run(
        self, coro: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> concurrent.futures.Future[T]:
        """Start ``coro`` as a task on the running loop, owned until it finishes.

        Raises:
            EngineStoppedError: after :meth:`stop`.
            RuntimeError: no loop runs in this thread.
        """
        if self._stopped:
            coro.close()
            raise EngineStoppedError("the engine has stopped")
        loop = asyncio.get_running_loop()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._owned.start(loop, coro, future, name)
        return future

    def call_soon(self, callback: Callable[..., object], *args: Any) -> None:
        """Call ``callback(*args)`` soon on the running loop (in hand-over order).

        Raises:
            EngineStoppedError: after :meth:`stop`.
        """
        if self._stopped:
            raise EngineStoppedError("the engine has stopped")
        asyncio.get_running_loop().call_soon(callback, *args)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> list[str]:
        """Cancel the tasks started through :meth:`run`; their names."""
        del timeout  # nothing to join
        self._stopped = True
        tasks = [task for task in self._owned.tasks if not task.done()]
        for task in tasks:
            task.cancel()
        return sorted(task.get_name() for task in tasks)
