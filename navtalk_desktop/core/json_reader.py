"""Typed, located reading of JSON objects: every problem names where it is (``tools[2].name``)."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, TypeVar

StrEnumT = TypeVar("StrEnumT", bound=StrEnum)


class ConfigError(ValueError):
    """A responder or tool set description is malformed.

    Attributes:
        location: where, e.g. ``tools[0].responders.steps[1].url``.
        problem: what is wrong, without the location.
    """

    def __init__(self, location: str, problem: str) -> None:
        super().__init__(f"{location}: {problem}" if location else problem)
        self.location = location
        self.problem = problem


class JsonReader:
    """Typed access to a JSON object with located error messages."""

    def __init__(self, data: object, location: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(location, f"expected an object, got {json_type(data)}")
        self.data: dict[str, Any] = data
        self.location = location

    def at(self, key: str) -> str:
        """The location of ``key`` inside this object."""
        return f"{self.location}.{key}" if self.location else key

    def string(self, key: str, default: str | None = None) -> str:
        """A string value (``default`` when absent; required when there is no default)."""
        value = self.data.get(key, default)
        if value is None:
            raise ConfigError(self.at(key), "is required")
        if not isinstance(value, str):
            raise ConfigError(self.at(key), f"expected a string, got {json_type(value)}")
        return value

    def optional_string(self, key: str) -> str | None:
        """A string value or ``None`` when absent or null."""
        value = self.data.get(key)
        if value is None:
            return None
        return self.string(key)

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        """A finite number ≥ ``minimum`` (booleans are not numbers)."""
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(self.at(key), f"expected a number, got {json_type(value)}")
        number = float(value)
        if not math.isfinite(number) or number < minimum:
            raise ConfigError(self.at(key), f"must be a finite number ≥ {minimum:g}")
        return number

    def optional_number(self, key: str) -> float | None:
        """A number or ``None`` when absent or null."""
        if self.data.get(key) is None:
            return None
        return self.number(key, 0.0)

    def boolean(self, key: str, default: bool) -> bool:
        """``true`` or ``false``."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(self.at(key), f"expected true or false, got {json_type(value)}")
        return value

    def enum(self, key: str, enum_type: type[StrEnumT], default: StrEnumT) -> StrEnumT:
        """A member of ``enum_type`` by value; unknown values list the allowed ones."""
        raw = self.data.get(key, str(default))
        try:
            return enum_type(raw)
        except ValueError:
            allowed = ", ".join(str(member) for member in enum_type)
            raise ConfigError(
                self.at(key), f"unknown value {raw!r} (expected one of: {allowed})"
            ) from None

    def string_map(self, key: str) -> dict[str, str]:
        """An object whose values are all strings."""
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise ConfigError(self.at(key), f"expected an object, got {json_type(value)}")
        for name, item in value.items():
            if not isinstance(item, str):
                raise ConfigError(
                    self.at(key) + f"[{name!r}]", f"expected a string, got {json_type(item)}"
                )
        return dict(value)

    def list(self, key: str) -> list[Any]:
        """A list (empty when absent)."""
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise ConfigError(self.at(key), f"expected a list, got {json_type(value)}")
        return value


def json_type(value: object) -> str:
    """How a JSON value is named in messages (``a string``, ``null``…)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
