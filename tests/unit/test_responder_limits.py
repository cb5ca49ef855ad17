"""Budgets of responder steps: configuration, template guards, and what the chain makes of overruns."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.responders import template_limits
from navtalk_desktop.core.responders.base import Answer, CallRequest, Pass
from navtalk_desktop.core.responders.chain import ChainRunner, StepOutcome
from navtalk_desktop.core.responders.config import (
    DEFAULT_MAX_OUTPUT,
    ErrorPolicy,
    MatchKind,
    ResponderChain,
    ResponderKind,
    ResponderStep,
    Rule,
    RulesConfig,
    StaticConfig,
    StepLimits,
    TemplateConfig,
    WebhookConfig,
    chain_from_json,
    chain_to_json,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.responders.sandbox import PatternLimitError, ThreadSandbox
from navtalk_desktop.core.responders.templating import TemplateLimitError, render

REQUEST = CallRequest("call_1", "tool", {"code": "aab", "items": [1, 2, 3]}, "{}")


def _chain(*steps: ResponderStep, on_error: ErrorPolicy = ErrorPolicy.SEND) -> ResponderChain:
    return ResponderChain(steps=steps, on_error=on_error)


class FakeSandbox:
    """Records what it is asked; over budget whenever ``over`` says so (no real work)."""

    def __init__(self, *, over: bool = False, text: str = "rendered") -> None:
        self.over = over
        self.text = text
        self.limits: list[StepLimits] = []

    async def render(self, source: str, context: Mapping[str, Any], limits: StepLimits) -> str:
        self.limits.append(limits)
        if self.over:
            raise TemplateLimitError(
                f"template took longer than its {limits.time_s:g} s budget and was stopped"
            )
        return self.text

    async def search(
        self, pattern: str, texts: Sequence[str], *, ignore_case: bool, limits: StepLimits
    ) -> bool:
        self.limits.append(limits)
        if self.over:
            raise PatternLimitError(f"pattern {pattern!r} over budget")
        return True


# ------------------------------------------------------------------ configuration


def test_steps_have_kind_defaults_and_old_files_read_unchanged() -> None:
    old = {"steps": [{"kind": "template", "template": "x"}, {"kind": "rules", "rules": []}]}
    chain = chain_from_json(old)
    assert [s.limits for s in chain.steps] == [
        StepLimits(2.0, DEFAULT_MAX_OUTPUT),
        StepLimits(1.0, DEFAULT_MAX_OUTPUT),
    ]
    assert ResponderStep(StaticConfig("x")).limits == StepLimits(None, DEFAULT_MAX_OUTPUT)
    assert ResponderStep(WebhookConfig("http://x")).limits.time_s is None
    # Written back without the new fields: files without budgets stay as they were.
    assert "budget_s" not in json.dumps(chain_to_json(chain))


def test_budget_fields_round_trip_and_are_validated() -> None:
    data = {"steps": [{"kind": "template", "template": "x", "budget_s": 0.5, "max_output": 100}]}
    chain = chain_from_json(data)
    assert chain.steps[0].limits == StepLimits(0.5, 100)
    assert chain_from_json(chain_to_json(chain)) == chain
    for field, value, problem in (
        ("budget_s", 0, "must be greater than 0"),
        ("budget_s", "soon", "expected a number"),
        ("max_output", 0, "expected a whole number"),
        ("max_output", 1.5, "expected a whole number"),
    ):
        bad = {"steps": [{"kind": "template", "template": "x", field: value}]}
        with pytest.raises(ConfigError, match=problem) as caught:
            chain_from_json(bad)
        assert f"responders.steps[0].{field}" in str(caught.value)


# ------------------------------------------------------------------ template guards


def test_nested_loops_stop_on_the_deadline_of_a_fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]

    def tick() -> float:
        now[0] += 0.001  # every look at the clock costs a millisecond
        return now[0]

    monkeypatch.setattr(template_limits.time, "monotonic", tick)
    source = "{% for i in range(100000) %}{% for j in items %}{% endfor %}{% endfor %}"
    with pytest.raises(TemplateLimitError, match=r"took longer than its 2 s budget"):
        render(source, {"items": list(range(100000))}, time_s=2.0)
    assert now[0] < 2.1  # stopped at the first look past the deadline
    # Without a deadline the same clock never stops a short loop.
    assert render("{% for i in range(3) %}{{ i }}{% endfor %}", {}, time_s=None) == "012"


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x'|center(300000000) }}",
        "{{ 'x'.rjust(300000000) }}",
        "{{ 'x'.zfill(300000000) }}",
        "{{ '%300000000s'|format('x') }}",
        "{{ '%300000000s' % 'x' }}",
        "{{ '{:>{}}'.format('x', 300000000) }}",
        "{{ 'x' * 300000000 }}",
        "{{ range(100000)|join('x' * 100000) }}",
        "{{ 'ab'|replace('', 'y' * 1000000) }}",
        "{{ [1]|slice(300000000)|list }}",
    ],
)
def test_growth_is_refused_before_allocating(source: str) -> None:
    with pytest.raises(TemplateLimitError, match="larger than the 1,000,000 characters allowed"):
        render(source, {})


def test_output_is_capped_while_it_streams() -> None:
    assert render("{% for i in range(10) %}x{% endfor %}", {}, max_chars=10) == "x" * 10
    with pytest.raises(TemplateLimitError, match="larger than the 9 characters allowed"):
        render("{% for i in range(10) %}x{% endfor %}", {}, max_chars=9)


def test_ordinary_templates_are_unaffected() -> None:
    context = {"items": [1, 2, 3], "args": {"items": [1, 2, 3]}}
    text = render(
        "{{ items|length }} {{ items|tojson }} {{ range(3)|list }} {{ 'ab'|center(6) }}|"
        "{{ '%05d'|format(42) }} {{ '{}-{}'.format(1, 2) }} {{ items|join(',') }} {{ args|tojson }}",
        context,
    )
    assert text == '3 [1, 2, 3] [0, 1, 2]   ab  |00042 1-2 1,2,3 {"items": [1, 2, 3]}'


# ------------------------------------------------------------------ the chain


@pytest.mark.asyncio
async def test_a_template_over_budget_follows_the_error_policy() -> None:
    step = ResponderStep(TemplateConfig("x"), budget_s=0.25)
    fallback = ResponderStep(StaticConfig("fallback"))
    sandbox = FakeSandbox(over=True)
    runner = ChainRunner(ResponderFactory(sandbox=sandbox))
    sent = await runner.run(_chain(step, fallback), REQUEST)
    assert sent.output == "Error: template took longer than its 0.25 s budget and was stopped"
    assert sent.attempts[0].outcome == StepOutcome.FAILED
    assert sandbox.limits == [StepLimits(0.25, DEFAULT_MAX_OUTPUT)]
    nxt = await runner.run(_chain(step, fallback, on_error=ErrorPolicy.NEXT), REQUEST)
    assert (nxt.output, nxt.responder) == ("fallback", "static")
    silent = await runner.run(_chain(step, on_error=ErrorPolicy.SILENT), REQUEST)
    assert silent.output is None
    assert silent.is_error


@pytest.mark.asyncio
async def test_an_answer_over_the_output_cap_fails() -> None:
    runner = ChainRunner(ResponderFactory(sandbox=FakeSandbox(text="y" * 50)))
    capped = ResponderStep(TemplateConfig("x"), max_output=10)
    result = await runner.run(_chain(capped, ResponderStep(StaticConfig("short"))), REQUEST)
    assert result.output == (
        "Error: the answer is 50 characters, more than the 10 this step allows (max_output)"
    )
    static = ResponderStep(StaticConfig("z" * 11), max_output=10)
    assert (await runner.run(_chain(static), REQUEST)).is_error


@pytest.mark.asyncio
async def test_a_rules_regex_over_budget_names_the_rule_and_the_step_budget() -> None:
    rules = RulesConfig(rules=(Rule(MatchKind.REGEX, "code", pattern="^(a+)+$", output="ok"),))
    runner = ChainRunner(ResponderFactory(sandbox=FakeSandbox(over=True)))
    result = await runner.run(_chain(ResponderStep(rules, budget_s=1.5)), REQUEST)
    assert result.output is not None
    assert result.output.startswith(
        "Error: rule 1: pattern '^(a+)+$' took longer than its 1.5 s budget and was stopped"
    )


@pytest.mark.asyncio
async def test_the_thread_sandbox_reports_a_backtracking_regex() -> None:
    limits = StepLimits(time_s=0.2)
    # 24 characters: slow enough to pass the budget, short enough to end soon after.
    with pytest.raises(PatternLimitError, match=r"took longer than its 0\.2 s budget"):
        await ThreadSandbox().search("^(a+)+$", ["a" * 24 + "b"], ignore_case=False, limits=limits)
    assert await ThreadSandbox().search("b$", ["aab"], ignore_case=False, limits=limits)


@pytest.mark.asyncio
async def test_a_budget_on_other_kinds_is_enforced_by_the_chain() -> None:
    class Never:
        kind = ResponderKind.WEBHOOK

        async def respond(self, request: CallRequest) -> Answer | Pass:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    factory = ResponderFactory()
    factory.build = lambda config, manual=True, limits=None: Never()  # type: ignore[method-assign]
    step = ResponderStep(WebhookConfig("http://127.0.0.1:9/x"), budget_s=0.05)
    result = await ChainRunner(factory).run(_chain(step), REQUEST)
    assert result.output == "Error: webhook took longer than its 0.05 s budget and was stopped"
    assert result.attempts[0].outcome == StepOutcome.FAILED
