"""Expectations: each check, its reason and diff; JUnit report; -k selection; job limit."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET

import pytest

from navtalk_desktop.core.regression.expect import Mismatch, Observed, check, subset_mismatch
from navtalk_desktop.core.regression.junit import junit_xml
from navtalk_desktop.core.regression.ports import PatternError
from navtalk_desktop.core.regression.results import CaseResult, Status
from navtalk_desktop.core.regression.selection import run_limited, selected
from navtalk_desktop.core.regression.suite import CallTest, Expectation


class PlainRegex:
    """The ``re`` module, for unit tests of the checks (the budget is tested in integration)."""

    async def search(self, pattern: str, text: str) -> bool:
        try:
            return re.search(pattern, text) is not None
        except re.error as exc:
            raise PatternError(str(exc)) from None


async def _check(expect: Expectation, output: str | None, **kw: object) -> list[str]:
    observed = Observed(output, **kw)  # type: ignore[arg-type]
    return [m.check for m in await check(expect, observed, PlainRegex())]


@pytest.mark.asyncio
async def test_each_check_passes_and_fails() -> None:
    assert await _check(Expectation(text="a"), "a") == []
    assert await _check(Expectation(text="a"), "b") == ["text"]
    assert await _check(Expectation(not_error=True), "Error: x", is_error=True) == ["not_error"]
    assert await _check(Expectation(is_error=True), "fine") == ["is_error"]
    assert await _check(Expectation(regex=r"^\d+ °C$"), "21 °C") == []
    assert await _check(Expectation(regex=r"^\d+ °C$"), "warm") == ["regex"]
    assert await _check(Expectation(regex="("), "x") == ["regex"]
    assert await _check(Expectation(json_subset={"a": 1}), '{"a": 1, "b": 2}') == []
    assert await _check(Expectation(json_subset={"a": 1}), '{"a": 2}') == ["json_subset"]
    assert await _check(Expectation(json_subset={"a": 1}), "not json") == ["json"]
    schema = {"type": "object", "required": ["temp"]}
    assert await _check(Expectation(json_schema=schema), '{"temp": 3}') == []
    assert await _check(Expectation(json_schema=schema), '{"t": 3}') == ["json_schema"]
    assert await _check(Expectation(latency_ms=100), "x", latency_s=0.05) == []
    assert await _check(Expectation(latency_ms=100), "x", latency_s=0.2) == ["latency_ms"]
    assert await _check(Expectation(text="a"), None) == ["answered"]


@pytest.mark.asyncio
async def test_a_wrong_text_shows_a_unified_diff() -> None:
    (problem,) = await check(
        Expectation(text="Lights on\nbrightness 100"),
        Observed("Lights on\nbrightness 50"),
        PlainRegex(),
    )
    assert problem.diff.splitlines() == [
        "--- expected output",
        "+++ actual output",
        "@@ -1,2 +1,2 @@",
        " Lights on",
        "-brightness 100",
        "+brightness 50",
    ]


@pytest.mark.asyncio
async def test_a_json_subset_diff_shows_only_the_expected_keys() -> None:
    (problem,) = await check(
        Expectation(json_subset={"city": "Paris"}),
        Observed('{"city": "Beijing", "temp": 27}'),
        PlainRegex(),
    )
    assert problem.message == 'JSON subset not found: $.city: expected "Paris", got "Beijing"'
    assert '-  "city": "Paris"' in problem.diff
    assert '+  "city": "Beijing"' in problem.diff
    assert "temp" not in problem.diff


def test_subset_rules() -> None:
    assert subset_mismatch({"a": {"b": [1, 2]}}, {"a": {"b": [1, 2], "c": 0}}) is None
    assert subset_mismatch([1], [1, 2]) == "$: expected 1 items, got 2"
    assert subset_mismatch(True, 1) is not None
    assert subset_mismatch(1, 1.0) is None
    assert subset_mismatch({"a": 1}, {}) == "$.a: missing"


def test_junit_counts_and_messages() -> None:
    results = [
        CaseResult("S", "ok", "call", Status.PASSED, 0.01, output="fine"),
        CaseResult(
            "S", "bad", "call", Status.FAILED, 0.02, (Mismatch("text", "differs", "--- a\n+++ b"),)
        ),
        CaseResult("S", "broken", "call", Status.ERROR, 0.0, (Mismatch("tool", "no tool x"),)),
        CaseResult(
            "T", "voice", "conversation", Status.SKIPPED, 0.0, (Mismatch("speak", "later"),)
        ),
    ]
    root = ET.fromstring(junit_xml(results))
    assert root.get("tests") == "4"
    assert root.get("failures") == "1"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["S", "T"]
    assert suites[0].get("errors") == "1"
    failure = suites[0].find("testcase[@name='bad']/failure")
    assert failure is not None
    assert failure.get("message") == "differs"
    assert failure.text == "differs\n--- a\n+++ b"
    assert suites[1].find("testcase/skipped") is not None


def test_k_selects_by_substring_or_glob() -> None:
    case = CallTest("Weather in Beijing", "get_weather", {})
    assert selected(case, "Seed", None)
    assert selected(case, "Seed", "beijing")
    assert selected(case, "Seed", "seed::weather*")
    assert not selected(case, "Seed", "lights")
    assert not selected(case, "Seed", "*lights*")


@pytest.mark.asyncio
async def test_run_limited_keeps_order_and_the_limit() -> None:
    running = 0
    peak = 0
    release = asyncio.Event()

    def job(value: int):  # type: ignore[no-untyped-def]
        async def run() -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            if running == 2:
                release.set()
            await release.wait()
            running -= 1
            return value

        return run

    assert await run_limited([job(i) for i in range(5)], 2) == [0, 1, 2, 3, 4]
    assert peak == 2
