"""Responders and the chain runner: answers, passes, deadlines, error policies, timing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from navtalk_desktop.core.responders.base import Answer, CallRequest, Pass
from navtalk_desktop.core.responders.chain import ChainRunner, StepOutcome, fire_test_call
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
    TemplateConfig,
    WebhookConfig,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.responders.json_path import JsonPathError, parse_json_path
from navtalk_desktop.core.responders.rules import rule_matches
from navtalk_desktop.core.tools.templates import TEMPLATES, new_entry
from navtalk_desktop.core.tools.toolset import ToolEntry


def _request(arguments: dict[str, Any] | None = None, **variables: str) -> CallRequest:
    return CallRequest("call_1", "tool", arguments, json.dumps(arguments), variables)


def _chain(*steps: ResponderStep, **kwargs: Any) -> ResponderChain:
    return ResponderChain(steps=steps, **kwargs)


class _Desk:
    """A call desk that answers after ``delay`` seconds (``None``: never)."""

    def __init__(self, delay: float | None, output: str = "by hand") -> None:
        self.delay = delay
        self.output = output
        self.asked: list[str] = []

    async def wait_for_answer(self, request: CallRequest) -> Answer:
        self.asked.append(request.call_key)
        if self.delay is None:
            await asyncio.Event().wait()
        await asyncio.sleep(self.delay or 0)
        return Answer(self.output)


async def _run(chain: ResponderChain, request: CallRequest | None = None, **factory: Any) -> Any:
    return await ChainRunner(ResponderFactory(**factory)).run(
        chain, request or _request({"city": "Paris"})
    )


# ------------------------------------------------------------------ JSON path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("city", ["Paris"]),
        ("$.city", ["Paris"]),
        ("address.zip", ["75001"]),
        ("$['address']['zip']", ["75001"]),
        ("items[0].sku", ["A"]),
        ("items[-1].sku", ["B"]),
        ("$.items[*].sku", ["A", "B"]),
        ("$..sku", ["A", "B"]),
        ("$.address.*", ["75001", True]),
        ("missing", []),
        ("items[9]", []),
    ],
)
def test_json_path(path: str, expected: list[Any]) -> None:
    document = {
        "city": "Paris",
        "address": {"zip": "75001", "main": True},
        "items": [{"sku": "A"}, {"sku": "B"}],
    }
    assert parse_json_path(path).find(document) == expected


@pytest.mark.parametrize("path", ["", "$.", "$[", "$[x]", "$..", "$ city"])
def test_bad_json_path(path: str) -> None:
    with pytest.raises(JsonPathError):
        parse_json_path(path)


# ------------------------------------------------------------------ single responders


@pytest.mark.asyncio
async def test_static_answers_text_or_json() -> None:
    result = await _run(_chain(ResponderStep(StaticConfig({"temp": 21, "unit": "°C"}))))
    assert result.output == '{"temp":21,"unit":"°C"}'
    assert result.responder == "static"
    assert result.attempts[0].outcome == StepOutcome.ANSWERED


@pytest.mark.asyncio
async def test_template_sees_arguments_call_and_vars() -> None:
    template = "{{ city }}|{{ args.city }}|{{ call.name }}|{{ vars.region }}|{{ args | tojson }}"
    result = await _run(
        _chain(ResponderStep(TemplateConfig(template))), _request({"city": "Paris"}, region="EU")
    )
    assert result.output == 'Paris|Paris|tool|EU|{"city": "Paris"}'


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "{{ town }}",
            "template uses an undefined value: 'town' is undefined (arguments of this call: city; "
            "variables: none)",
        ),
        ("{{ city ", "template syntax error on line 1"),
        ("{{ city.__class__.__mro__ }}", "template blocked by the sandbox"),
        ("{{ 'x' * 10000000 }}", "repetition larger than"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ],
)
async def test_template_errors_become_clear_error_outputs(template: str, message: str) -> None:
    result = await _run(_chain(ResponderStep(TemplateConfig(template))))
    assert result.is_error
    assert result.output.startswith("Error: ")
    assert message in result.output
    assert result.attempts[0].outcome == StepOutcome.FAILED


@pytest.mark.parametrize(
    ("rule", "arguments", "matches"),
    [
        (Rule(MatchKind.EQUALS, "city", "Paris"), {"city": "Paris"}, True),
        (Rule(MatchKind.EQUALS, "city", "paris"), {"city": "Paris"}, False),
        (Rule(MatchKind.EQUALS, "city", "paris", ignore_case=True), {"city": "Paris"}, True),
        (Rule(MatchKind.EQUALS, "n", 1), {"n": 1.0}, True),
        (Rule(MatchKind.EQUALS, "n", 1), {"n": True}, False),
        (Rule(MatchKind.REGEX, "city", pattern="^Ber"), {"city": "Berlin"}, True),
        (Rule(MatchKind.REGEX, "n", pattern=r"^\d+$"), {"n": 42}, True),
        (Rule(MatchKind.JSON_PATH, "$.items[*].sku"), {"items": [{"sku": "A"}]}, True),
        (Rule(MatchKind.JSON_PATH, "$.items[*].sku", value="B"), {"items": [{"sku": "A"}]}, False),
        (Rule(MatchKind.JSON_PATH, "$.missing"), {}, False),
        (Rule(MatchKind.ANY), {}, True),
    ],
)
@pytest.mark.asyncio
async def test_rule_matching(rule: Rule, arguments: dict[str, Any], matches: bool) -> None:
    assert await rule_matches(rule, arguments) is matches


@pytest.mark.asyncio
async def test_rules_first_match_wins_with_delay_and_injected_error() -> None:
    rules = RulesConfig(
        (
            Rule(MatchKind.EQUALS, "city", "Oslo", output="cold"),
            Rule(MatchKind.REGEX, "city", pattern="^Par", output={"t": 20}, delay_s=0.05),
            Rule(MatchKind.ANY, error="backend down"),
        )
    )
    paris = await _run(_chain(ResponderStep(RulesConfig(rules.rules))))
    assert paris.output == '{"t":20}'
    assert paris.duration_s >= 0.05
    assert "rule 2" in paris.attempts[0].message
    rome = await _run(_chain(ResponderStep(rules)), _request({"city": "Rome"}))
    assert rome.output == "Error: backend down"
    assert rome.is_error


@pytest.mark.asyncio
async def test_no_rule_matching_passes_to_the_next_step() -> None:
    chain = _chain(
        ResponderStep(RulesConfig((Rule(MatchKind.EQUALS, "city", "Oslo", output="cold"),))),
        ResponderStep(StaticConfig("fallback")),
    )
    result = await _run(chain)
    assert result.output == "fallback"
    assert [a.outcome for a in result.attempts] == [StepOutcome.PASSED, StepOutcome.ANSWERED]
    assert "no rule matched" in result.attempts[0].message


# ------------------------------------------------------------------ chain semantics


@pytest.mark.asyncio
async def test_manual_then_static_after_the_deadline() -> None:
    desk = _Desk(delay=None)
    chain = _chain(
        ResponderStep(ManualConfig(), deadline_s=0.05), ResponderStep(StaticConfig("sorry, later"))
    )
    result = await _run(chain, manual=desk)
    assert result.output == "sorry, later"
    assert result.responder == "static"
    assert [a.outcome for a in result.attempts] == [StepOutcome.DEADLINE, StepOutcome.ANSWERED]
    assert result.messages == ("manual: no answer within 0.05 s",)
    assert desk.asked == ["call_1"]


@pytest.mark.asyncio
async def test_manual_answer_within_the_deadline_wins() -> None:
    desk = _Desk(delay=0.0)
    chain = _chain(ResponderStep(ManualConfig(), deadline_s=5), ResponderStep(StaticConfig("no")))
    result = await _run(chain, manual=desk)
    assert (result.output, result.responder) == ("by hand", "manual")


@pytest.mark.asyncio
async def test_manual_without_a_desk_passes() -> None:
    result = await _run(_chain(ResponderStep(ManualConfig()), ResponderStep(StaticConfig("auto"))))
    assert result.output == "auto"
    assert "nobody can answer here" in result.attempts[0].message


@pytest.mark.asyncio
async def test_nothing_answers() -> None:
    result = await _run(_chain(ResponderStep(ManualConfig())))
    assert not result.answered
    assert not result.is_error
    assert result.messages[-1].startswith("no responder answered")
    empty = await _run(ResponderChain())
    assert empty.messages == ("no responder answered (no responders)",)


@pytest.mark.asyncio
async def test_disabled_steps_are_skipped_and_automatic_can_be_switched_off() -> None:
    chain = _chain(
        ResponderStep(StaticConfig("off"), enabled=False), ResponderStep(StaticConfig("on"))
    )
    assert (await _run(chain)).output == "on"
    runner = ChainRunner(ResponderFactory())
    result = await runner.run(chain, _request({}), automatic=False)
    assert not result.answered
    assert result.attempts[0].outcome == StepOutcome.SKIPPED


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("policy", "output", "is_error"),
    [
        (ErrorPolicy.SEND, "Error: template uses an undefined value", True),
        (ErrorPolicy.NEXT, "fallback", False),
        (ErrorPolicy.SILENT, None, True),
    ],
)
async def test_error_policies(policy: ErrorPolicy, output: str | None, is_error: bool) -> None:
    chain = _chain(
        ResponderStep(TemplateConfig("{{ nope }}")),
        ResponderStep(StaticConfig("fallback")),
        on_error=policy,
    )
    result = await _run(chain)
    if output is None:
        assert result.output is None
        assert "nothing sent" in result.messages[-1]
    else:
        assert result.output.startswith(output)
    assert result.is_error is is_error
    assert "template uses an undefined value" in result.messages[0]


@pytest.mark.asyncio
async def test_next_policy_without_a_next_step_sends_the_last_error() -> None:
    chain = _chain(ResponderStep(TemplateConfig("{{ nope }}")), on_error=ErrorPolicy.NEXT)
    result = await _run(chain)
    assert result.output is not None
    assert result.output.startswith("Error: template uses")


@pytest.mark.asyncio
async def test_non_json_output_is_a_clear_error() -> None:
    chain = _chain(ResponderStep(StaticConfig({1, 2})))  # type: ignore[arg-type]
    result = await _run(chain)
    assert result.is_error
    assert "result of type set cannot be sent as output" in result.output


@pytest.mark.asyncio
async def test_a_crashing_responder_never_escapes() -> None:
    class Boom:
        kind = ResponderKind.STATIC

        async def respond(self, request: CallRequest) -> Answer | Pass:
            raise KeyError("bug")

    factory = ResponderFactory()
    factory.build = lambda config, manual=True, limits=None: Boom()  # type: ignore[method-assign]
    result = await ChainRunner(factory).run(_chain(ResponderStep(StaticConfig("x"))), _request({}))
    assert result.output == "Error: static responder crashed: KeyError: 'bug'"


@pytest.mark.asyncio
async def test_missing_variable_is_named() -> None:
    result = await _run(
        _chain(ResponderStep(TemplateConfig("{{ vars.base }}"))), _request({}, other="1")
    )
    assert result.output == (
        "Error: template uses an undefined value: 'base' is missing "
        "(arguments of this call: none; variables: other)"
    )


@pytest.mark.asyncio
async def test_webhook_and_script_without_ports_fail_clearly() -> None:
    webhook = await _run(_chain(ResponderStep(WebhookConfig(url="http://127.0.0.1:9/x"))))
    assert webhook.output == "Error: webhooks cannot run here (no HTTP client)"
    script = await _run(_chain(ResponderStep(ScriptConfig(path="x.py"))))
    assert script.output == "Error: scripts cannot run here (no script runner)"


@pytest.mark.asyncio
async def test_webhook_url_must_render_to_http() -> None:
    result = await _run(
        _chain(ResponderStep(WebhookConfig(url="{{ vars.base }}/weather"))),
        _request({"city": "Paris"}, base=""),
        http=object(),
    )
    assert (
        result.output == "Error: webhook URL must start with http:// or https:// (got '/weather')"
    )


# ------------------------------------------------------------------ fire test call


@pytest.mark.asyncio
async def test_fire_test_call_runs_each_template_offline() -> None:
    runner = ChainRunner(ResponderFactory())
    samples = {
        "function_call_judge": {"userInput": "Book a table"},
        "weather": {"city": "Beijing"},
        "knowledge_base": {"query": "function calling"},
        "database": {"period": "today"},
        "iot": {"device": "lights", "action": "on"},
        "crm": {"customer_name": "John", "status": "active"},
    }
    outputs = {}
    for template in TEMPLATES:
        test = await fire_test_call(runner, new_entry(template.key), samples[template.key])
        assert test.violations == ()
        assert test.request.is_test
        assert test.request.call_id.startswith("test_")
        outputs[template.key] = test.result.output
    assert outputs["weather"] == "Beijing: 22 degrees celsius, clear skies (sample data)."
    assert outputs["database"] == '{"period":"today","orders":42,"revenue":12345.5}'
    assert outputs["iot"] == "OK: lights is now on."
    # Manual steps pass at once in a test call, so the fallback answers.
    assert outputs["function_call_judge"] == "I could not reach the assistant service right now."


@pytest.mark.asyncio
async def test_fire_test_call_reports_bad_arguments() -> None:
    runner = ChainRunner(ResponderFactory())
    entry = new_entry("weather")
    bad_json = await fire_test_call(runner, entry, '{"city": ')
    assert bad_json.violations[0].startswith("arguments are not valid JSON")
    assert bad_json.request.arguments is None
    wrong = await fire_test_call(runner, entry, {"city": 3, "unit": "kelvin"})
    assert any("3 is not of type 'string'" in v for v in wrong.violations)
    assert any("'kelvin' is not one of" in v for v in wrong.violations)
    array = await fire_test_call(runner, entry, "[1]")
    assert array.violations == ("arguments must be a JSON object, not list",)
    empty = await fire_test_call(
        runner, ToolEntry(entry.tool, _chain(ResponderStep(StaticConfig("x")))), ""
    )
    assert any("'city' is a required property" in v for v in empty.violations)
