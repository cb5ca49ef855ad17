"""Example files, databases and local services: install, rebuild, endpoints and visible state."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from navtalk_desktop.core.tools.lint import lint_toolset
from navtalk_desktop.examples.databases import build_sales
from navtalk_desktop.examples.environment import (
    ExampleEnvironment,
    default_script_trust,
    open_examples,
)
from navtalk_desktop.examples.install import BUNDLED, install_examples, reset_example_data
from navtalk_desktop.examples.services import weather_report
from navtalk_desktop.infra.toolset_file import ToolSetFileStore


@pytest_asyncio.fixture
async def env(tmp_path: Path) -> AsyncIterator[ExampleEnvironment]:
    environment = await open_examples(tmp_path / "examples")
    try:
        yield environment
    finally:
        await environment.close()


def test_install_builds_everything_and_is_lint_clean(tmp_path: Path) -> None:
    paths = install_examples(tmp_path / "ex")
    for db in (paths.kb_db, paths.sales_db, paths.crm_db):
        assert db.exists()
    for toolset_file in (paths.use_cases, paths.judge):
        toolset = ToolSetFileStore().load(toolset_file)
        report = lint_toolset(toolset)
        assert report.errors == [], report.errors
    use_cases = ToolSetFileStore().load(paths.use_cases)
    assert use_cases.variables["crm_db"] == str(paths.crm_db)
    assert [e.name for e in use_cases] == [
        "get_weather",
        "search_knowledge_base",
        "query_sales",
        "control_device",
        "update_customer_status",
    ]
    trust = default_script_trust(tmp_path / "trust.json", paths)
    for script in paths.scripts.glob("*.py"):
        assert trust.is_trusted(script)
        # Trusted where the app installed it, not wherever an exact copy sits.
        elsewhere = tmp_path / "elsewhere" / script.name
        elsewhere.parent.mkdir(exist_ok=True)
        elsewhere.write_bytes(script.read_bytes())
        assert not trust.is_trusted(elsewhere)
        assert not default_script_trust(tmp_path / "trust.json").is_trusted(script)


def test_reinstall_keeps_user_edits_and_data(tmp_path: Path) -> None:
    paths = install_examples(tmp_path / "ex")
    edited = paths.docs / "webhooks.md"
    edited.write_text("# My own notes\n")
    with sqlite3.connect(paths.crm_db) as db:
        db.execute("UPDATE customers SET status = 'vip' WHERE name = 'Maria Lopez'")
    db.close()
    (paths.docs / "audio.md").unlink()
    install_examples(paths.root)
    assert edited.read_text() == "# My own notes\n"  # never overwritten
    assert (paths.docs / "audio.md").read_bytes() == (BUNDLED / "docs" / "audio.md").read_bytes()
    with sqlite3.connect(paths.crm_db) as db:
        (status,) = db.execute("SELECT status FROM customers WHERE name = 'Maria Lopez'").fetchone()
    db.close()
    assert status == "vip"
    reset_example_data(paths)
    with sqlite3.connect(paths.crm_db) as db:
        (status,) = db.execute("SELECT status FROM customers WHERE name = 'Maria Lopez'").fetchone()
    db.close()
    assert status == "active"


def test_knowledge_base_is_fts5_over_the_bundled_docs(tmp_path: Path) -> None:
    paths = install_examples(tmp_path / "ex")
    with sqlite3.connect(paths.kb_db) as db:
        rows = db.execute(
            "SELECT title, section FROM sections WHERE sections MATCH ? ORDER BY bm25(sections) LIMIT 1",
            ("integrate",),  # porter stemming: finds "Integrating"
        ).fetchall()
        (count,) = db.execute("SELECT count(*) FROM sections").fetchone()
    db.close()
    assert rows[0][0] == "Integrating function calling"
    assert count >= 15


def test_sales_dates_follow_the_calendar(tmp_path: Path) -> None:
    db_path = tmp_path / "sales.sqlite3"
    built = dt.date.today() - dt.timedelta(days=3)
    build_sales(db_path, BUNDLED / "sales.json", today=built)
    script = BUNDLED / "scripts" / "sales.py"
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('sales', {str(script)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"print(m.respond({{'period': 'today'}}, {{'vars': {{'sales_db': {str(db_path)!r}}}}}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.startswith(f"Sales today ({dt.date.today().isoformat()}): 8 orders")
    with sqlite3.connect(db_path) as db:
        (relative,) = db.execute("SELECT value FROM meta").fetchone()
    db.close()
    assert relative == dt.date.today().isoformat()


def test_weather_report_is_deterministic_and_finds_cities_in_text() -> None:
    assert weather_report("Beijing") == weather_report("What's the weather in Beijing?")
    assert weather_report("Beijing").startswith("Beijing: ")
    assert "°F" in weather_report("Paris", "fahrenheit")


@pytest.mark.asyncio
async def test_services_answer_and_device_state_visibly_changes(env: ExampleEnvironment) -> None:
    urls = env.services.variables()
    assert set(urls) == {"weather_url", "iot_url", "crm_url", "assistant_url"}
    assert all(url.startswith("http://127.0.0.1:") for url in urls.values())
    async with aiohttp.ClientSession() as http:
        async with http.get(urls["weather_url"] + "/weather", params={"city": "Tokyo"}) as response:
            assert response.status == 200
            assert (await response.text()).startswith("Tokyo: ")
        async with http.post(urls["weather_url"] + "/weather", json={}) as response:
            assert response.status == 400
            assert await response.text() == "city is required"
        async with http.get(urls["iot_url"] + "/state") as response:
            before = await response.json()
        assert before["devices"]["lights"] == {"on": False, "brightness": 0.0}
        async with http.post(
            urls["iot_url"] + "/devices/lights", json={"action": "on"}
        ) as response:
            assert await response.text() == "Lights are now on (brightness 100)."
        async with http.post(
            urls["iot_url"] + "/devices/fan", json={"action": "set", "value": 3}
        ) as response:
            assert await response.text() == "Fan is now on (speed 3)."
        async with http.post(
            urls["iot_url"] + "/devices/toaster", json={"action": "on"}
        ) as response:
            assert response.status == 404
            assert "devices: lights, fan, heater, door_lock" in await response.text()
        async with http.post(
            urls["iot_url"] + "/devices/fan", json={"action": "dance"}
        ) as response:
            assert response.status == 400
        async with http.get(urls["iot_url"] + "/state") as response:
            after = await response.json()
        assert after["devices"]["lights"] == {"on": True, "brightness": 100.0}
        assert after["changes"] == 2
        async with http.get(urls["crm_url"] + "/customers") as response:
            customers = (await response.json())["customers"]
        assert {c["name"]: c["status"] for c in customers}["John Carter"] == "lead"
        async with http.post(
            urls["assistant_url"] + "/assist", json={"userInput": "Turn off the fan"}
        ) as response:
            assert await response.text() == "Fan is now off."
        async with http.post(urls["assistant_url"] + "/assist", data="not json") as response:
            assert response.status == 400


@pytest.mark.asyncio
async def test_services_stop_and_free_their_ports(tmp_path: Path) -> None:
    environment = await open_examples(tmp_path / "ex")
    url = environment.services.variables()["weather_url"]
    await environment.close()
    assert not environment.services.running
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError):
            await http.get(url + "/weather?city=x")


def test_filled_toolset_points_at_the_services(tmp_path: Path) -> None:
    paths = install_examples(tmp_path / "ex")
    toolset = ToolSetFileStore().load(paths.judge)
    assert json.loads(json.dumps(dict(toolset.variables))) == {"assistant_url": ""}
