"""Ids are new in every simulator run unless a seed asks for the same ones (issue 16 #10).

Each "run" is a fresh :class:`SimulatorServer` (as a new ``simulate`` process or app start
would make), reached over a real loopback socket.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from navtalk_desktop.simulator import SimulatorConfig, SimulatorServer
from navtalk_desktop.simulator.cli import build_config, configure_parser
from navtalk_desktop.simulator.scenario import Scenario, ScenarioError, load_scenario
from tests.integration.test_simulator_ws import (
    RESPONSE_CREATE,
    SEED_CONFIG,
    WEATHER_TEXT,
    Client,
    ready_client,
    url,
    user_text,
)

# One run's ids: session, call, and the call's event/response/item ids.
RunIds = tuple[str, str, str, str, str]


async def one_run(config: SimulatorConfig) -> RunIds:
    """Start a simulator, make one session with one tool call, return its ids."""
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        client = Client(ws)
        connected = await client.until("conversation.connected.success")
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
    raw = call["raw_data"]
    return (
        connected["data"]["sessionId"],
        call["data"]["call_id"],
        raw["event_id"],
        raw["response_id"],
        raw["item_id"],
    )


@pytest.mark.asyncio
async def test_ids_differ_between_runs_without_a_seed() -> None:
    first = await one_run(SimulatorConfig.fast())
    second = await one_run(SimulatorConfig.fast())
    for name, a, b in zip(
        ("session", "call", "event", "response", "item"), first, second, strict=True
    ):
        assert a != b, f"the {name} id repeated across runs: {a}"


@pytest.mark.asyncio
async def test_an_explicit_seed_repeats_the_ids() -> None:
    config = replace(SimulatorConfig.fast(), seed=7)
    assert await one_run(config) == await one_run(config)
    assert await one_run(replace(config, seed=8)) != await one_run(config)


@pytest.mark.asyncio
async def test_a_scenario_seed_repeats_the_ids(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"seed": 42}), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.seed == 42
    config = SimulatorConfig.fast().with_scenario(scenario)
    assert await one_run(config) == await one_run(config)


def test_seed_option_and_scenario_seed_validation(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    assert build_config(parser.parse_args(["--seed", "5"])).seed == 5
    assert build_config(parser.parse_args([])).seed is None
    with pytest.raises(ScenarioError, match="seed must be a whole number"):
        Scenario.from_dict({"seed": "abc"}, "s.json")
