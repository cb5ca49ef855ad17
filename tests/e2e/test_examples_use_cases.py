"""The seed's five use cases, end to end and offline.

Each test types the seed's sentence into a session on the built-in simulator (fast timings).
The simulator picks the tool and sends the call over a real WebSocket; the dispatcher answers
it through the example tool set's responders: webhooks to the local example services, and
script responders run as real child processes against the example SQLite databases.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.calls.dispatcher import DispatchRecord, DispatchStatus
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.examples.environment import (
    ExampleEnvironment,
    default_script_trust,
    open_examples,
)
from navtalk_desktop.infra.http_client import AiohttpClient
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner
from tests.helpers.live_session import Live, live_session


@asynccontextmanager
async def examples_session(
    tmp_path: Path, *, judge: bool = False
) -> AsyncIterator[tuple[Live, ExampleEnvironment]]:
    async with await open_examples(tmp_path / "examples") as env, AiohttpClient() as http:
        toolset = env.load_toolset(env.paths.judge if judge else None)
        factory = ResponderFactory(
            http=http,
            scripts=SubprocessScriptRunner(),
            trust=default_script_trust(tmp_path / "trust.json", env.paths),
            base_dir=env.paths.root,
        )
        async with live_session(toolset, factory=factory) as live:
            yield live, env


async def _ask(live: Live, sentence: str, tool: str) -> DispatchRecord:
    record = await live.say(sentence, within=30)
    assert record.name == tool
    assert record.status is DispatchStatus.ANSWERED, record.messages
    assert not record.is_error, record.output
    call = live.session.calls.get(record.key)
    assert call is not None
    assert call.state is CallState.ANSWERED
    # The answer reached the server as a well-formed function_call_output.
    (received, *_rest) = await live.simulator_receives(record.call_id)
    assert received["data"]["output"] == record.output
    return record


@pytest.mark.asyncio
async def test_weather_in_beijing(tmp_path: Path) -> None:
    async with examples_session(tmp_path) as (live, _env):
        record = await _ask(live, "What's the weather in Beijing?", "get_weather")
        call = live.session.calls.get(record.key)
        assert call is not None
        assert call.arguments == {"city": "Beijing"}
        assert record.responder == "webhook"
        assert record.output is not None
        assert record.output.startswith("Beijing: ")
        assert record.output.endswith("(example weather service).")


@pytest.mark.asyncio
async def test_how_do_i_integrate_function_calling(tmp_path: Path) -> None:
    async with examples_session(tmp_path) as (live, _env):
        record = await _ask(live, "How do I integrate function calling?", "search_knowledge_base")
        assert record.responder == "script"
        assert record.output is not None
        assert record.output.startswith("From the documentation:\nIntegrating function calling / ")


@pytest.mark.asyncio
async def test_todays_sales_numbers(tmp_path: Path) -> None:
    async with examples_session(tmp_path) as (live, env):
        record = await _ask(live, "Show me today's sales numbers", "query_sales")
        today = dt.date.today().isoformat()
        with sqlite3.connect(env.paths.sales_db) as db:
            (orders,) = db.execute(
                "SELECT count(*) FROM orders WHERE date(ordered_at) = ?", (today,)
            ).fetchone()
        db.close()
        assert record.output is not None
        assert record.output.startswith(f"Sales today ({today}): {orders} orders, ")
        assert "Top products: " in record.output
        assert "By region: " in record.output


@pytest.mark.asyncio
async def test_turn_on_the_lights(tmp_path: Path) -> None:
    async with examples_session(tmp_path) as (live, env):
        state_url = env.services.variables()["iot_url"] + "/state"
        async with aiohttp.ClientSession() as http:
            async with http.get(state_url) as response:
                assert (await response.json())["devices"]["lights"]["on"] is False
            record = await _ask(live, "Turn on the lights", "control_device")
            assert record.output == "Lights are now on (brightness 100)."
            async with http.get(state_url) as response:
                state = await response.json()
        assert state["devices"]["lights"] == {"on": True, "brightness": 100.0}
        assert state["changes"] == 1


@pytest.mark.asyncio
async def test_update_customer_status_for_john(tmp_path: Path) -> None:
    async with examples_session(tmp_path) as (live, env):
        record = await _ask(live, "Update customer status for John", "update_customer_status")
        assert record.output == "Updated John Carter: status changed from lead to active."
        # Persisted in SQLite and visible afterwards, in the database and through the CRM service.
        with sqlite3.connect(env.paths.crm_db) as db:
            (status,) = db.execute(
                "SELECT status FROM customers WHERE name = 'John Carter'"
            ).fetchone()
            history = db.execute("SELECT old_status, new_status FROM status_history").fetchall()
        db.close()
        assert status == "active"
        assert history == [("lead", "active")]
        crm = env.services.variables()["crm_url"] + "/customers"
        async with aiohttp.ClientSession() as http, http.get(crm) as response:
            customers = (await response.json())["customers"]
        assert {c["name"]: c["status"] for c in customers}["John Carter"] == "active"
        again = await _ask(live, "Update customer status for John", "update_customer_status")
        assert again.output == "John Carter is already active; nothing changed."


@pytest.mark.asyncio
async def test_function_call_judge_forwards_user_input_to_the_webhook(tmp_path: Path) -> None:
    async with examples_session(tmp_path, judge=True) as (live, _env):
        record = await _ask(live, "What's the weather in Beijing?", "function_call_judge")
        call = live.session.calls.get(record.key)
        assert call is not None
        assert call.arguments == {"userInput": "What's the weather in Beijing?"}
        assert record.output is not None
        assert record.output.startswith("Beijing: ")
