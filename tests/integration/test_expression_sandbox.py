"""The worker-process sandbox: real child processes, killed when a template or regex is over budget."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from navtalk_desktop.core.responders.config import StepLimits
from navtalk_desktop.core.responders.sandbox import PatternError, PatternLimitError
from navtalk_desktop.core.responders.templating import TemplateError, TemplateLimitError
from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox

LIMITS = StepLimits(time_s=0.5, max_output=1_000_000)
# Loops over a string are not ``range``: they do not watch the clock, only a kill stops them.
ENDLESS = "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}"


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        text = status.read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in text


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[ProcessExpressionSandbox]:
    box = ProcessExpressionSandbox(memory_bytes=256 * 1024 * 1024)
    try:
        yield box
    finally:
        await box.close()


@pytest.mark.asyncio
async def test_renders_in_one_persistent_worker(sandbox: ProcessExpressionSandbox) -> None:
    assert await sandbox.render("Hi {{ name }}", {"name": "Ada"}, LIMITS) == "Hi Ada"
    (pid,) = sandbox.worker_pids()
    assert pid != os.getpid()
    assert await sandbox.render("{{ n * 2 }}", {"n": 21}, LIMITS) == "42"
    assert sandbox.worker_pids() == [pid]
    with pytest.raises(TemplateError, match="'nope' is undefined"):
        await sandbox.render("{{ nope }}", {}, LIMITS)
    assert sandbox.worker_pids() == [pid]  # an ordinary error keeps the worker


@pytest.mark.asyncio
async def test_a_template_over_budget_is_killed_and_the_next_one_gets_a_fresh_worker(
    sandbox: ProcessExpressionSandbox,
) -> None:
    await sandbox.start()
    (pid,) = sandbox.worker_pids()
    with pytest.raises(TemplateLimitError, match=r"took longer than its 0\.5 s budget"):
        await sandbox.render(ENDLESS, {"s": "x" * 2000}, LIMITS)
    assert sandbox.killed == 1
    assert not _alive(pid)  # the CPU stopped burning
    assert await sandbox.render("ok", {}, LIMITS) == "ok"
    assert sandbox.worker_pids() != [pid]


@pytest.mark.asyncio
async def test_huge_widths_are_refused_without_allocating(
    sandbox: ProcessExpressionSandbox,
) -> None:
    await sandbox.start()
    (pid,) = sandbox.worker_pids()
    for source in (
        "{{ 'x'|center(300000000) }}",
        "{{ 'x'.ljust(300000000) }}",
        "{{ '%300000000s'|format('x') }}",
        "{{ '{:>300000000}'.format('x') }}",
        "{{ 'a\nb'|indent(300000000) }}",
        "{{ [1]|batch(300000000, 0)|list }}",
    ):
        with pytest.raises(TemplateLimitError, match=r"larger than the 1,000,000 characters"):
            await sandbox.render(source, {}, LIMITS)
    assert sandbox.worker_pids() == [pid]
    assert _peak_rss_kb(pid) < 100 * 1024


@pytest.mark.asyncio
async def test_output_cap_and_memory_cap(sandbox: ProcessExpressionSandbox) -> None:
    small = StepLimits(time_s=2.0, max_output=1000)
    with pytest.raises(TemplateLimitError, match="larger than the 1,000 characters allowed"):
        await sandbox.render("{% for i in range(2000) %}x{% endfor %}", {}, small)
    # ~ (concatenation) cannot be checked before it runs: the worker's memory cap stops it.
    doubling = "{% set a = 'x' * 900000 %}" + "".join(
        "{% set a = a ~ a ~ a ~ a %}" for _ in range(8)
    )
    with pytest.raises(TemplateLimitError, match="more memory than allowed"):
        await sandbox.render(doubling + "{{ a|length }}", {}, StepLimits(time_s=20.0))
    assert await sandbox.render("{{ 1 + 1 }}", {}, LIMITS) == "2"


@pytest.mark.asyncio
async def test_a_backtracking_regex_is_stopped_while_other_work_goes_on(
    sandbox: ProcessExpressionSandbox,
) -> None:
    bad = asyncio.ensure_future(
        sandbox.search("^(a+)+$", ["a" * 35 + "b"], ignore_case=False, limits=LIMITS)
    )
    good = asyncio.ensure_future(sandbox.render("{{ 6 * 7 }}", {}, LIMITS))
    done, _ = await asyncio.wait({bad, good}, return_when=asyncio.FIRST_COMPLETED)
    assert done == {good}
    assert good.result() == "42"
    with pytest.raises(PatternLimitError, match=r"'\^\(a\+\)\+\$' took longer than its 0\.5 s"):
        await bad
    assert sandbox.killed == 1
    assert await sandbox.search("^Ber", ["Berlin"], ignore_case=False, limits=LIMITS)
    assert await sandbox.search("^ber", ["Berlin"], ignore_case=True, limits=LIMITS)
    assert not await sandbox.search("^Rom", ["Berlin"], ignore_case=False, limits=LIMITS)
    with pytest.raises(PatternError, match="is invalid"):
        await sandbox.search("(unclosed", ["x"], ignore_case=False, limits=LIMITS)


@pytest.mark.asyncio
async def test_cancelling_a_render_kills_its_worker(sandbox: ProcessExpressionSandbox) -> None:
    await sandbox.start()
    (pid,) = sandbox.worker_pids()
    task = asyncio.ensure_future(
        sandbox.render(ENDLESS, {"s": "x" * 2000}, StepLimits(time_s=60.0))
    )
    # Whenever the cancel lands (request written or not), the worker must not survive it.
    done, _ = await asyncio.wait({task}, timeout=0.3)
    assert not done
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not _alive(pid)
