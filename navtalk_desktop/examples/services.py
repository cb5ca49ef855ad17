"""Local example backends on 127.0.0.1 (random ports): weather, smart-home devices, CRM, assistant.

* Weather: ``POST /weather`` (``{"city", "unit"}``) or ``GET /weather?city=…`` → a sentence.
* Devices: ``POST /devices/{device}`` (``{"action", "value"}``) → a sentence; the state visibly
  changes: ``GET /state`` returns every device and a change counter.
* CRM: ``GET /customers`` lists the example CRM database (updates made by calls show up here).
* Assistant: ``POST /assist`` (``{"userInput"}``) is the webhook of NavTalk's guide: it handles
  weather and device requests and acknowledges everything else.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from navtalk_desktop.examples.databases import list_customers
from navtalk_desktop.examples.install import ExamplePaths

_CONDITIONS = ("sunny", "partly cloudy", "cloudy", "light rain", "clear", "windy")
_KNOWN_CITIES = (
    "Beijing", "Shanghai", "Shenzhen", "Hong Kong", "Tokyo", "Seoul", "Singapore", "London",
    "Paris", "Berlin", "New York", "San Francisco", "Sydney", "Dubai",
)  # fmt: skip
_DEVICE_WORDS = {
    "lights": ("lights", "light", "lamp", "lamps"),
    "fan": ("fan",),
    "heater": ("heater", "heating"),
    "door_lock": ("door_lock", "door lock", "door", "lock"),
}


def weather_report(city: str, unit: str = "celsius") -> str:
    """A deterministic sample report for ``city`` (same city, same weather)."""
    found = next((c for c in _KNOWN_CITIES if c.lower() in city.lower()), None)
    name = found or city.strip().rstrip("?.!").title()
    digest = hashlib.sha256(name.lower().encode()).digest()
    celsius = 5 + digest[0] % 26
    condition = _CONDITIONS[digest[1] % len(_CONDITIONS)]
    humidity = 30 + digest[2] % 55
    wind = 3 + digest[3] % 25
    temperature = f"{round(celsius * 9 / 5 + 32)} °F" if unit == "fahrenheit" else f"{celsius} °C"
    return (
        f"{name}: {temperature} and {condition}, humidity {humidity}%, wind {wind} km/h "
        "(example weather service)."
    )


@dataclass
class Device:
    """One simulated device: on/off plus a level (brightness, speed, target temperature)."""

    name: str
    on: bool = False
    level: float = 0.0
    level_name: str = "level"

    def as_dict(self) -> dict[str, Any]:
        """JSON form for ``GET /state``."""
        return {"on": self.on, self.level_name: self.level}


@dataclass
class DeviceState:
    """The devices of the example home; ``changes`` counts successful commands."""

    devices: dict[str, Device] = field(
        default_factory=lambda: {
            "lights": Device("lights", level_name="brightness"),
            "fan": Device("fan", level_name="speed"),
            "heater": Device("heater", level=20.0, level_name="target_c"),
            "door_lock": Device("door_lock", on=True, level_name="level"),
        }
    )
    changes: int = 0

    def find(self, text: str) -> Device | None:
        """The device named in ``text`` (``"lights"``, ``"the lamp"``, ``"Turn on the lights"``)."""
        lowered = text.lower().replace("-", "_")
        for key, words in _DEVICE_WORDS.items():
            if any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words):
                return self.devices[key]
        return None

    def command(self, device: Device, action: str, value: float | None = None) -> str:
        """Apply ``action`` and describe the new state.

        Raises:
            ValueError: unknown action or missing/invalid value for ``set``.
        """
        if action == "on":
            device.on = True
            if device.name == "lights" and device.level == 0:
                device.level = 100.0
        elif action == "off":
            device.on = False
        elif action == "toggle":
            device.on = not device.on
        elif action == "set":
            if value is None:
                raise ValueError("action 'set' needs a value")
            device.level = float(value)
            device.on = True
        else:
            raise ValueError(f"unknown action {action!r}; use on, off, toggle or set")
        self.changes += 1
        return self.describe(device)

    @staticmethod
    def describe(device: Device) -> str:
        """A sentence about the device's state."""
        if device.name == "door_lock":
            return "The door is now locked." if device.on else "The door is now unlocked."
        label = device.name.replace("_", " ").capitalize()
        verb = "are" if device.name.endswith("s") else "is"
        state = "on" if device.on else "off"
        detail = f" ({device.level_name} {device.level:g})" if device.on and device.level else ""
        return f"{label} {verb} now {state}{detail}."

    def snapshot(self) -> dict[str, Any]:
        """JSON form of every device."""
        return {
            "devices": {name: d.as_dict() for name, d in self.devices.items()},
            "changes": self.changes,
        }


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the request body is not JSON") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="the request body must be a JSON object")
    return data


class ExampleServices:
    """Starts and stops the example backends; each listens on its own random 127.0.0.1 port.

    Args:
        examples: installed example files (the CRM service reads its database).
    """

    def __init__(self, examples: ExamplePaths) -> None:
        self.examples = examples
        self.devices = DeviceState()
        self._runners: dict[str, web.AppRunner] = {}
        self._urls: dict[str, str] = {}

    @property
    def running(self) -> bool:
        """Whether the services are listening."""
        return bool(self._runners)

    async def start(self) -> None:
        """Start every service (no-op when already running)."""
        if self._runners:
            return
        apps = {
            "weather_url": self._weather_app(),
            "iot_url": self._devices_app(),
            "crm_url": self._crm_app(),
            "assistant_url": self._assistant_app(),
        }
        try:
            for name, app in apps.items():
                runner = web.AppRunner(app, access_log=None)
                await runner.setup()
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                self._runners[name] = runner
                port = runner.addresses[-1][1]  # port 0 picked a free port; ask which
                self._urls[name] = f"http://127.0.0.1:{port}"
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop every service."""
        runners, self._runners = self._runners, {}
        self._urls.clear()
        for runner in runners.values():
            await runner.cleanup()

    def variables(self) -> dict[str, str]:
        """Tool set variables pointing at the running services (``weather_url`` …)."""
        return dict(self._urls)

    async def __aenter__(self) -> ExampleServices:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ apps

    def _weather_app(self) -> web.Application:
        async def weather(request: web.Request) -> web.Response:
            data = await _json_body(request) if request.method == "POST" else {}
            city = str(data.get("city") or request.query.get("city") or "").strip()
            unit = str(data.get("unit") or request.query.get("unit") or "celsius")
            if not city:
                raise web.HTTPBadRequest(text="city is required")
            if unit not in ("celsius", "fahrenheit"):
                raise web.HTTPBadRequest(text=f"unknown unit {unit!r}")
            return web.Response(text=weather_report(city, unit))

        app = web.Application()
        app.router.add_route("GET", "/weather", weather)
        app.router.add_route("POST", "/weather", weather)
        return app

    def _devices_app(self) -> web.Application:
        async def command(request: web.Request) -> web.Response:
            name = request.match_info["device"]
            device = self.devices.find(name)
            if device is None:
                known = ", ".join(self.devices.devices)
                raise web.HTTPNotFound(text=f"no device {name!r}; devices: {known}")
            data = await _json_body(request)
            value = data.get("value")
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise web.HTTPBadRequest(text="value must be a number")
            try:
                text = self.devices.command(device, str(data.get("action", "toggle")), value)
            except ValueError as exc:
                raise web.HTTPBadRequest(text=str(exc)) from None
            return web.Response(text=text)

        async def state(request: web.Request) -> web.Response:
            return web.json_response(self.devices.snapshot())

        app = web.Application()
        app.router.add_post("/devices/{device}", command)
        app.router.add_get("/state", state)
        return app

    def _crm_app(self) -> web.Application:
        async def customers(request: web.Request) -> web.Response:
            return web.json_response({"customers": list_customers(self.examples.crm_db)})

        app = web.Application()
        app.router.add_get("/customers", customers)
        return app

    def _assistant_app(self) -> web.Application:
        async def assist(request: web.Request) -> web.Response:
            data = await _json_body(request)
            text = str(data.get("userInput", "")).strip()
            if not text:
                raise web.HTTPBadRequest(text="userInput is required")
            lowered = text.lower()
            if re.search(r"\b(weather|temperature|forecast|rain)\b", lowered):
                city = next((c for c in _KNOWN_CITIES if c.lower() in lowered), "")
                if not city:
                    found = re.search(r"\bin\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)", text)
                    city = found.group(1) if found else ""
                if city:
                    return web.Response(text=weather_report(city))
                return web.Response(text="Which city do you mean?")
            device = self.devices.find(text)
            if device is not None:
                if re.search(r"\b(off|shut|stop|unlock)\b", lowered):
                    action = "off"
                elif re.search(r"\b(on|start|lock)\b", lowered):
                    action = "on"
                else:
                    action = "toggle"
                return web.Response(text=self.devices.command(device, action))
            return web.Response(
                text=f"The example assistant received your request ({text!r}); a real "
                "deployment would hand it to your agent."
            )

        app = web.Application()
        app.router.add_post("/assist", assist)
        return app
