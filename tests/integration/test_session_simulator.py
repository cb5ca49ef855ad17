"""The session engine against the built-in simulator: the whole function-call loop over 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from navtalk_desktop.core.calls.book import CallState, FunctionCall
from navtalk_desktop.core.profile import ConnectionProfile, ResultStyle
from navtalk_desktop.core.session.session import (
    Session,
    SessionListenerBase,
    SessionState,
    Transcript,
)
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.scenario import Scenario
from navtalk_desktop.simulator.server import SimulatorServer

WEATHER = ToolDefinition(
    "get_weather",
    "Weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


class Waiter(SessionListenerBase):
    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.calls: list[FunctionCall] = []
        self.avatar: list[Transcript] = []

    def call_received(self, call: FunctionCall) -> None:
        self.calls.append(call)
        self.event.set()

    def call_updated(self, call: FunctionCall) -> None:
        self.event.set()

    def transcript_received(self, transcript: Transcript) -> None:
        if transcript.role == "avatar" and transcript.final:
            self.avatar.append(transcript)
        self.event.set()

    async def until(self, condition: object) -> None:
        async with asyncio.timeout(10):
            while not callable(condition) or not condition():
                self.event.clear()
                await self.event.wait()


@pytest.mark.asyncio
@pytest.mark.parametrize("style", list(ResultStyle))
async def test_typed_question_call_answer_and_model_resumes(style: ResultStyle) -> None:
    scenario = Scenario.from_dict(
        {
            "rules": [
                {
                    "match": r"weather in (?P<city>\w+)",
                    "tool": "get_weather",
                    "arguments": {"city": "{city}"},
                }
            ]
        }
    )
    config = SimulatorConfig.fast().with_scenario(scenario)
    async with SimulatorServer(config) as sim:
        profile = ConnectionProfile(
            name="sim",
            url=sim.ws_url,
            avatar_name="navtalk.Emily",
            voice="marin",
            result_style=style,
            answer_deadline_s=None,
            local_simulator=True,
        )
        session = Session(
            profile, WebSocketTransport, None, Timeline(), tools=[WEATHER], license="sk_test"
        )
        waiter = Waiter()
        session.add_listener(waiter)
        await session.connect()
        await session.wait_for_state(SessionState.READY, timeout=30)
        await session.send_text("What is the weather in Paris?")
        await waiter.until(lambda: waiter.calls)
        call = waiter.calls[0]
        assert call.name == "get_weather"
        assert call.arguments == {"city": "Paris"}
        assert call.warnings == []
        assert call.violations == []
        await session.answer_call(call.key, {"forecast": "sunny", "celsius": 21})
        await waiter.until(lambda: call.model_resume_latency_s is not None and waiter.avatar)
        assert call.state is CallState.ANSWERED
        assert call.model_resume_latency_s >= 0
        await session.disconnect()
        session.timeline.close()
