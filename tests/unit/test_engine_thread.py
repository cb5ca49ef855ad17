"""EngineThread / InlineEngine: work handed to an asyncio loop on its own thread, owned and stopped."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
import warnings
from collections.abc import Iterator

import pytest

from navtalk_desktop.core.engine.engine_thread import EngineStoppedError, EngineThread, InlineEngine

WAIT_S = 30.0  # generous: it only costs time when a test fails


@pytest.fixture
def engine() -> Iterator[EngineThread]:
    engine = EngineThread(name="test-engine")
    try:
        yield engine
    finally:
        engine.stop()
        assert not engine.thread.is_alive()


def test_coroutines_run_on_the_engine_thread_and_return_their_result(engine: EngineThread) -> None:
    async def where() -> tuple[str, asyncio.AbstractEventLoop]:
        await asyncio.sleep(0)
        return threading.current_thread().name, asyncio.get_running_loop()

    name, loop = engine.run(where(), name="where").result(WAIT_S)
    assert name == "test-engine"
    assert loop is engine.loop
    assert engine.thread is not threading.current_thread()
    # Not a daemon: the process waits for an orderly stop instead of killing it mid-write.
    assert not engine.thread.daemon
    assert engine.pending == 0


def test_a_failing_coroutine_hands_its_exception_to_the_caller(engine: EngineThread) -> None:
    async def fail() -> None:
        raise ValueError("broken responder")

    future = engine.run(fail())
    with pytest.raises(ValueError, match="broken responder"):
        future.result(WAIT_S)


def test_callbacks_and_task_starts_keep_their_hand_over_order(engine: EngineThread) -> None:
    seen: list[str] = []

    async def record(tag: str) -> None:
        seen.append(tag)

    engine.call_soon(seen.append, "a")
    engine.call_soon(seen.append, "b")
    first = engine.run(record("task"))
    engine.call_soon(seen.append, "c")
    first.result(WAIT_S)
    engine.call(lambda: None)  # everything handed over before has run
    assert seen[:2] == ["a", "b"]
    assert set(seen) == {"a", "b", "c", "task"}
    assert seen.index("a") < seen.index("b") < seen.index("c")


def test_call_blocks_until_the_function_ran_on_the_engine(engine: EngineThread) -> None:
    assert engine.call(lambda: threading.current_thread().name) == "test-engine"

    async def nested() -> None:
        engine.call(lambda: None)  # on the engine thread it would wait for itself

    with pytest.raises(RuntimeError, match="deadlock"):
        engine.run(nested()).result(WAIT_S)


def test_cancelling_the_future_cancels_the_task(engine: EngineThread) -> None:
    started = threading.Event()
    cancelled = threading.Event()

    async def wait_forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    future = engine.run(wait_forever(), name="forever")
    assert started.wait(WAIT_S)
    assert engine.pending == 1
    assert future.cancel()
    assert cancelled.wait(WAIT_S)
    engine.call(lambda: None)
    assert engine.pending == 0


def test_a_future_cancelled_before_its_task_started_never_runs_it() -> None:
    ran = threading.Event()
    engine = EngineThread()
    try:
        gate = threading.Event()
        engine.call_soon(gate.wait, WAIT_S)  # keeps the engine busy meanwhile

        async def work() -> None:
            ran.set()

        future = engine.run(work())
        assert future.cancel()
        gate.set()
        engine.call(lambda: None)
        assert not ran.is_set()
        assert engine.pending == 0
    finally:
        assert engine.stop() == []


def test_stop_cancels_what_still_runs_names_it_and_joins() -> None:
    engine = EngineThread()
    cleaned_up = threading.Event()

    async def reader() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned_up.set()

    future = engine.run(reader(), name="session-reader")
    engine.call(lambda: None)
    loop = engine.loop
    assert engine.stop() == ["session-reader"]
    assert cleaned_up.is_set()  # its finally block ran before the loop closed
    assert future.cancelled()
    assert not engine.thread.is_alive()
    assert loop.is_closed()
    assert not engine.running
    # Idempotent: a second stop changes nothing.
    assert engine.stop() == ["session-reader"]


def test_stop_also_cancels_tasks_the_work_started_itself() -> None:
    # A session starts its reader and timers itself: the engine owns those too.
    engine = EngineThread()
    inner: list[asyncio.Task[None]] = []

    async def spawn() -> None:
        inner.append(asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="reader"))

    engine.run(spawn()).result(WAIT_S)
    assert engine.stop() == ["reader"]
    assert inner[0].cancelled()


def test_work_handed_to_a_stopped_engine_is_refused_and_never_leaks_a_coroutine() -> None:
    engine = EngineThread()
    assert engine.stop() == []

    async def late() -> None:
        pass  # never runs

    coro = late()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine … was never awaited" would fail here
        with pytest.raises(EngineStoppedError):
            engine.run(coro)
        del coro
        gc.collect()
    with pytest.raises(EngineStoppedError):
        engine.call_soon(print)


def test_stop_from_the_engine_thread_is_refused(engine: EngineThread) -> None:
    async def stop_myself() -> None:
        engine.stop()

    with pytest.raises(RuntimeError, match="another thread"):
        engine.run(stop_myself()).result(WAIT_S)


def test_inline_engine_runs_on_the_callers_loop() -> None:
    async def main() -> None:
        engine = InlineEngine()
        seen: list[str] = []

        async def work() -> str:
            seen.append("task")
            return threading.current_thread().name

        future = engine.run(work(), name="inline")
        engine.call_soon(seen.append, "after")
        assert isinstance(future, concurrent.futures.Future)
        assert await asyncio.wrap_future(future) == threading.current_thread().name
        await asyncio.sleep(0)
        assert seen == ["task", "after"]

        blocked = engine.run(asyncio.Event().wait(), name="blocked")
        await asyncio.sleep(0)
        assert engine.pending == 1
        assert engine.stop() == ["blocked"]
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wrap_future(blocked)
        assert blocked.cancelled()
        with pytest.raises(EngineStoppedError):
            engine.run(work())

    asyncio.run(main())
