"""The dispatcher against the built-in simulator: Auto, Manual and Approve modes, fallbacks."""

from __future__ import annotations

import asyncio

import pytest

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.calls.dispatcher import DispatchMode, DispatchStatus
from navtalk_desktop.core.profile import ResultStyle
from navtalk_desktop.core.responders.config import (
    ErrorPolicy,
    ManualConfig,
    ResponderChain,
    ResponderStep,
    StaticConfig,
    TemplateConfig,
)
from navtalk_desktop.core.session.session import CallError
from navtalk_desktop.core.tools.templates import template
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet
from tests.helpers.live_session import live_session

WEATHER = template("weather").entry.tool
SAY = "What's the weather in Paris?"


def _toolset(*steps: ResponderStep, **chain: object) -> ToolSet:
    return ToolSet(tools=(ToolEntry(WEATHER, ResponderChain(steps=steps, **chain)),))  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_auto_answers_and_records_responder_and_duration() -> None:
    toolset = _toolset(ResponderStep(TemplateConfig("{{ city }}: 18 degrees")))
    async with live_session(toolset) as live:
        record = await live.say(SAY)
        assert record.status is DispatchStatus.ANSWERED
        assert record.output == "Paris: 18 degrees"
        assert record.responder == "template"
        assert record.duration_s is not None
        call = live.session.calls.get(record.key)
        assert call is not None
        assert call.state is CallState.ANSWERED
        assert call.responder == "template"
        frames = live.output_frames(record.call_id)
        assert frames == [
            {
                "type": "realtime.function_call_output",
                "data": {"call_id": record.call_id, "output": "Paris: 18 degrees"},
            },
            {"type": "response.create"},
        ]
        await asyncio.sleep(0)
        notes = [e.summary for e in live.session.timeline if e.type == "local.responder"]
        assert any(n.startswith("get_weather answered by template in ") for n in notes)


@pytest.mark.asyncio
@pytest.mark.parametrize("style", list(ResultStyle))
async def test_each_result_style_reaches_the_simulator(style: ResultStyle) -> None:
    async with live_session(
        _toolset(ResponderStep(StaticConfig("sunny"))), result_style=style
    ) as live:
        record = await live.say(SAY)
        seen = await live.simulator_receives(record.call_id)
        assert "sunny" in str(seen[0])


@pytest.mark.asyncio
async def test_manual_then_static_after_the_deadline() -> None:
    toolset = _toolset(
        ResponderStep(ManualConfig(), deadline_s=0.3), ResponderStep(StaticConfig("fallback"))
    )
    async with live_session(toolset) as live:
        answered = await live.say(SAY, {DispatchStatus.ANSWERED})
        assert live.statuses(answered.key) == [
            DispatchStatus.RUNNING,
            DispatchStatus.WAITING,
            DispatchStatus.RUNNING,
            DispatchStatus.SENDING,
            DispatchStatus.ANSWERED,
        ]
        assert answered.output == "fallback"
        assert answered.responder == "static"
        assert "manual: no answer within 0.3 s" in answered.messages


@pytest.mark.asyncio
async def test_manual_answer_before_the_deadline() -> None:
    toolset = _toolset(
        ResponderStep(ManualConfig(), deadline_s=30), ResponderStep(StaticConfig("fallback"))
    )
    async with live_session(toolset) as live:
        record = await live.say(SAY, {DispatchStatus.WAITING})
        call = await live.dispatcher.answer_manually(record.key, {"temp": 11})
        assert call.output == '{"temp":11}'
        assert record.status is DispatchStatus.ANSWERED
        assert record.responder == "manual"
        with pytest.raises(CallError, match="already answered"):
            await live.dispatcher.answer_manually(record.key, "again")


@pytest.mark.asyncio
async def test_manual_mode_waits_and_can_run_the_chain_on_demand() -> None:
    toolset = _toolset(ResponderStep(StaticConfig("auto answer")))
    async with live_session(toolset, mode=DispatchMode.MANUAL) as live:
        first = await live.say(SAY)
        assert first.status is DispatchStatus.WAITING
        await live.dispatcher.answer_manually(first.key, "typed by hand")
        assert first.output == "typed by hand"
        second = await live.say("And the weather in Rome?")
        assert second.status is DispatchStatus.WAITING
        await live.dispatcher.run_now(second.key)
        assert (second.status, second.output, second.responder) == (
            DispatchStatus.ANSWERED,
            "auto answer",
            "static",
        )


@pytest.mark.asyncio
async def test_approve_mode_holds_drafts_until_approved_or_rejected() -> None:
    toolset = _toolset(
        ResponderStep(ManualConfig(), deadline_s=30),
        ResponderStep(TemplateConfig("{{ city }} sunny")),
    )
    async with live_session(toolset, mode=DispatchMode.APPROVE) as live:
        draft = await live.say(SAY)
        assert draft.status is DispatchStatus.DRAFT
        assert draft.draft == "Paris sunny"
        assert live.dispatcher.drafts() == [draft]
        assert live.output_frames(draft.call_id) == []  # nothing sent yet
        call = await live.dispatcher.approve(draft.key, "Paris: sunny, 25 degrees")
        assert call.output == "Paris: sunny, 25 degrees"
        assert draft.responder == "template (edited)"
        second = await live.say("And the weather in Rome?")
        live.dispatcher.reject(second.key)
        assert second.status is DispatchStatus.WAITING
        with pytest.raises(CallError, match="no draft"):
            await live.dispatcher.approve(second.key)
        await live.dispatcher.answer_manually(second.key, "ask again later")
        assert second.output == "ask again later"


@pytest.mark.asyncio
async def test_chain_level_approve_in_auto_mode() -> None:
    async with live_session(
        _toolset(ResponderStep(StaticConfig("draft me")), approve=True)
    ) as live:
        record = await live.say(SAY)
        assert record.status is DispatchStatus.DRAFT
        await live.dispatcher.approve(record.key)
        assert (record.status, record.responder) == (DispatchStatus.ANSWERED, "static")


@pytest.mark.asyncio
async def test_unknown_tool_gets_an_explicit_error_when_configured() -> None:
    async with live_session(
        _toolset(ResponderStep(StaticConfig("x"))), unanswered_error=True
    ) as live:
        live.dispatcher.set_toolset(ToolSet())  # the session still registers get_weather
        record = await live.say(SAY)
        assert record.status is DispatchStatus.ANSWERED
        assert record.is_error
        assert record.output == (
            "Error: no automatic responder answered get_weather: no tool named 'get_weather' in the tool set"
        )
        call = live.session.calls.get(record.key)
        assert call is not None
        assert call.state is CallState.FAILED


@pytest.mark.asyncio
async def test_nothing_answered_waits_for_the_desk_in_the_app() -> None:
    async with live_session(_toolset(ResponderStep(ManualConfig(), deadline_s=0.1))) as live:
        record = await live.say(SAY, {DispatchStatus.WAITING})
        await live.dispatcher.wait_idle()  # the chain ran out of steps
        assert live.dispatcher.waiting() == [record]
        assert record.messages[-1].startswith("no responder answered")
        assert live.output_frames(record.call_id) == []
        await live.dispatcher.answer_manually(record.key, "answered late by hand")
        assert record.output == "answered late by hand"


@pytest.mark.asyncio
async def test_silent_error_policy_sends_no_frame_but_keeps_the_message() -> None:
    toolset = _toolset(ResponderStep(TemplateConfig("{{ nope }}")), on_error=ErrorPolicy.SILENT)
    async with live_session(toolset) as live:
        record = await live.say(SAY)
        assert record.status is DispatchStatus.SILENT
        assert any("'nope' is undefined" in m for m in record.messages)
        assert live.output_frames(record.call_id) == []
        assert live.simulator_saw(record.call_id) == []
        errors = [e for e in live.session.timeline if e.type == "local.responder" and e.error]
        assert any("'nope' is undefined" in (e.error or "") for e in errors)


@pytest.mark.asyncio
async def test_disconnect_while_waiting_closes_the_record() -> None:
    async with live_session(_toolset(ResponderStep(ManualConfig()))) as live:
        record = await live.say(SAY, {DispatchStatus.WAITING})
        await live.session.disconnect()
        assert record.status is DispatchStatus.CLOSED
        assert record.messages[-1] == "call abandoned"
        await live.dispatcher.wait_idle()


@pytest.mark.asyncio
async def test_without_a_desk_manual_steps_pass_at_once() -> None:
    toolset = _toolset(ResponderStep(ManualConfig()), ResponderStep(StaticConfig("no one is here")))
    async with live_session(toolset) as live:
        live.dispatcher.desk = False
        record = await live.say(SAY)
        assert (record.status, record.output) == (DispatchStatus.ANSWERED, "no one is here")
        assert record.result is not None
        assert "nobody can answer here" in record.result.attempts[0].message
