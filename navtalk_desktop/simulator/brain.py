"""The simulator's deterministic conversational brain.

A user turn either calls a tool or is answered in words. Scenario rules are tried first;
then a heuristic scores the registered tools by the concepts their names, descriptions and
parameters share with the text. When nothing scores, a "router" tool (one that takes the raw
user text, like the seed's ``function_call_judge`` with ``userInput``) receives the request;
otherwise the avatar answers in words. Arguments are extracted from the text by each
parameter's JSON-Schema type and name, and required parameters are always present.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.simulator.scenario import Rule, Scenario, fill, fill_arguments
from navtalk_desktop.simulator.vocabulary import (
    _AFFIRM,
    _AFTER_PREP,
    _CAPITALISED,
    _CITY_CANON,
    _CITY_RE,
    _EMAIL,
    _FREE_TEXT,
    _ISO_DATE,
    _NAME,
    _NEGATION,
    _NUMBER_RE,
    _NUMBER_WORDS,
    _NUMERIC_HINTS,
    _PHONE,
    _PLACE,
    _SMALL_TALK,
    _TIME,
    _WEEKDAYS,
    _concepts,
    _norm,
)


@dataclass(frozen=True, slots=True)
class ToolCallPlan:
    """Call a tool.

    Attributes:
        name: function name.
        arguments: the arguments object.
        arguments_as_string: per-call override of the encoding (``None``: configured).
        omit_function_name: send without ``data.function_name``.
    """

    name: str
    arguments: dict[str, Any]
    arguments_as_string: bool | None = None
    omit_function_name: bool = False


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    """Answer in words.

    Attributes:
        text: what the avatar says.
    """

    text: str


Plan = ToolCallPlan | ReplyPlan

_MISSING = object()


class Brain:
    """Decides what the avatar does with one user turn; same input, same output.

    Args:
        scenario: rules and phrases.
        today: the date "today"/"tomorrow" resolve against (tests pin it).
    """

    def __init__(self, scenario: Scenario, today: dt.date | None = None) -> None:
        self._scenario = scenario
        self._today = today

    def decide(
        self, text: str, tools: Sequence[ToolDefinition], *, tools_enabled: bool = True
    ) -> Plan:
        """What to do with the user's ``text``.

        Args:
            text: the typed or transcribed user turn.
            tools: registered tools.
            tools_enabled: ``False`` for avatars that ignore API tools (ElevenLabs).
        """
        usable = list(tools) if tools_enabled else []
        by_name = {tool.name: tool for tool in usable}
        for rule in self._scenario.rules:
            values = rule.match(text)
            if values is None:
                continue
            if rule.reply is not None:
                return ReplyPlan(fill(rule.reply, values))
            assert rule.tool is not None
            if rule.tool not in by_name and not (rule.force and tools_enabled):
                continue
            return self._rule_call(rule, values, by_name.get(rule.tool), text)
        tool = self._choose(text, usable)
        if tool is not None:
            return ToolCallPlan(tool.name, self.arguments(tool, text))
        return ReplyPlan(
            self.small_talk(text) or fill(self._scenario.fallback_reply, {"text": text})
        )

    def small_talk(self, text: str) -> str | None:
        """A canned reply to greetings and thanks, else ``None``."""
        for pattern, reply in _SMALL_TALK:
            if pattern.match(text.strip()):
                return reply
        return None

    def _rule_call(
        self, rule: Rule, values: dict[str, str], tool: ToolDefinition | None, text: str
    ) -> ToolCallPlan:
        assert rule.tool is not None
        if rule.arguments is not None:
            arguments = fill_arguments(rule.arguments, values)
            if tool is not None:  # required parameters are always present
                for name, value in self.arguments(tool, text).items():
                    arguments.setdefault(name, value)
        else:
            arguments = self.arguments(tool, text) if tool is not None else {}
        return ToolCallPlan(rule.tool, arguments, rule.arguments_as_string, rule.omit_function_name)

    # ------------------------------------------------------------------ tool choice

    def _choose(self, text: str, tools: Sequence[ToolDefinition]) -> ToolDefinition | None:
        if not tools or not text.strip():
            return None
        said = _concepts(text)
        best: tuple[int, int] = (0, 0)
        chosen: ToolDefinition | None = None
        for index, tool in enumerate(tools):
            name_hits = len(said & _concepts(tool.name))
            described = _concepts(tool.description)
            for prop, schema in _properties(tool.parameters).items():
                if isinstance(schema, dict):
                    described |= _concepts(prop) | _concepts(str(schema.get("description", "")))
            text_hits = len(said & described)
            if name_hits == 0 and text_hits < 2:
                continue
            score = (3 * name_hits + text_hits, -index)
            if score > best:
                best, chosen = score, tool
        if chosen is not None:
            return chosen
        if self.small_talk(text) is not None:
            return None
        routers = [tool for tool in tools if _is_router(tool)]
        return routers[0] if routers else None

    # ------------------------------------------------------------------ arguments

    def arguments(self, tool: ToolDefinition, text: str) -> dict[str, Any]:
        """Arguments for ``tool`` extracted from ``text``; required ones always present."""
        return self._object(tool.parameters, text, _Numbers(text))

    def _object(self, schema: dict[str, Any], text: str, numbers: _Numbers) -> dict[str, Any]:
        required = set(schema.get("required") or [])
        result: dict[str, Any] = {}
        for name, prop in _properties(schema).items():
            prop_schema = prop if isinstance(prop, dict) else {}
            value = self._value(name, prop_schema, text, numbers)
            if value is _MISSING and name in required:
                value = self._placeholder(name, prop_schema, text, numbers)
            if value is not _MISSING:
                result[name] = value
        return result

    def _value(self, name: str, schema: dict[str, Any], text: str, numbers: _Numbers) -> Any:
        kind = _type_of(schema)
        key = _norm(name)
        if "enum" in schema and isinstance(schema["enum"], list):
            for option in schema["enum"]:
                if re.search(rf"\b{re.escape(str(option))}\b", text, re.I):
                    return option
            return _MISSING
        if kind in ("number", "integer"):
            number = numbers.take()
            if number is None:
                return _MISSING
            return _clamp(number, schema, integer=kind == "integer")
        if kind == "boolean":
            if _NEGATION.search(text):
                return False
            return True if _AFFIRM.search(text) else _MISSING
        if kind == "array":
            item = self._value(name, _items(schema), text, numbers)
            return [item] if item is not _MISSING else _MISSING
        if kind == "object":
            nested = self._object(schema, text, numbers)
            return nested or _MISSING
        return self._string(key, schema, text, numbers)

    def _string(self, key: str, schema: dict[str, Any], text: str, numbers: _Numbers) -> Any:
        fmt = str(schema.get("format", ""))
        if key in _FREE_TEXT or key.endswith(("input", "query", "question", "text")):
            return text
        if any(hint in key for hint in _NUMERIC_HINTS):
            number = numbers.take()
            return _MISSING if number is None else f"{number:g}"
        if fmt == "email" or "email" in key:
            found = _EMAIL.search(text)
            return found.group(0) if found else _MISSING
        if "phone" in key or key == "tel":
            found = _PHONE.search(text)
            return found.group(0) if found else _MISSING
        if fmt in ("date", "date-time") or key in ("date", "day", "when") or key.endswith("date"):
            return self._date(text)
        if key == "time" or key.endswith("time"):
            found = _TIME.search(text)
            return found.group(0) if found else _MISSING
        if key in _PLACE or any(part in _PLACE for part in key.split("_")):
            return _place(text, key)
        if key in _NAME or key.endswith("name"):
            found = re.search(r"\b(?:name is|i am|i'm|this is|for)\s+(" + _CAPITALISED + ")", text)
            return found.group(1) if found else _MISSING
        return _MISSING

    def _date(self, text: str) -> Any:
        found = _ISO_DATE.search(text)
        if found:
            return found.group(0)
        lowered = text.lower()
        today = self._today or dt.date.today()
        if "tomorrow" in lowered:
            return (today + dt.timedelta(days=1)).isoformat()
        if "today" in lowered or "tonight" in lowered:
            return today.isoformat()
        for index, day in enumerate(_WEEKDAYS):
            if day in lowered:
                ahead = (index - today.weekday()) % 7 or 7
                return (today + dt.timedelta(days=ahead)).isoformat()
        return _MISSING

    def _placeholder(self, name: str, schema: dict[str, Any], text: str, numbers: _Numbers) -> Any:
        if "default" in schema:
            return schema["default"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        kind = _type_of(schema)
        if kind in ("number", "integer"):
            return _clamp(0, schema, integer=kind == "integer")
        if kind == "boolean":
            return not _NEGATION.search(text)
        if kind == "array":
            return [self._placeholder(name, _items(schema), text, numbers)]
        if kind == "object":
            return self._object({**schema, "required": list(_properties(schema))}, text, numbers)
        if kind == "null":
            return None
        return text


class _Numbers:
    """The numbers of a text, handed out in order (``number1`` gets the first, …)."""

    def __init__(self, text: str) -> None:
        self._values: list[float] = []
        for found in _NUMBER_RE.finditer(text):
            word = found.group(1)
            if word:
                self._values.append(float(_NUMBER_WORDS[word.lower()]))
            else:
                self._values.append(float(found.group(0).replace(",", ".")))

    def take(self) -> float | None:
        return self._values.pop(0) if self._values else None


def _properties(schema: object) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def _items(schema: dict[str, Any]) -> dict[str, Any]:
    items = schema.get("items")
    return items if isinstance(items, dict) else {}


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):  # ["string", "null"]
        kind = next((k for k in kind if k != "null"), "null")
    return str(kind)


def _clamp(number: float, schema: dict[str, Any], *, integer: bool) -> float | int:
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(low, int | float) and number < low:
        number = low
    if isinstance(high, int | float) and number > high:
        number = high
    return round(number) if integer else number


def _is_router(tool: ToolDefinition) -> bool:
    """A tool whose only required parameter is the user's raw text."""
    props = _properties(tool.parameters)
    required = [str(name) for name in tool.parameters.get("required") or []]
    free = [
        name
        for name, schema in props.items()
        if _norm(name) in _FREE_TEXT
        and (not isinstance(schema, dict) or _type_of(schema) == "string")
    ]
    return bool(free) and all(name in free for name in required)


def _place(text: str, key: str) -> Any:
    preferred = (
        ("from",)
        if key in ("origin", "departure", "from")
        else ("to",)
        if key
        in (
            "destination",
            "arrival",
            "to",
        )
        else ("in", "at", "for", "near", "to", "from")
    )
    for prep in preferred:
        found = _AFTER_PREP[prep].search(text)
        if found:
            return found.group(1).rstrip(".,?!")
    city = _CITY_RE.search(text)
    if city:
        return _CITY_CANON[city.group(1).lower()]
    for found in re.finditer(_CAPITALISED, text):
        word = found.group(0)
        if found.start() > 0 and word not in ("I", "I'm"):
            return word.rstrip(".,?!")
    return _MISSING
