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

# Words that carry no intent; tool descriptions are full of them.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "what",
        "whats",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "done",
        "please",
        "me",
        "my",
        "mine",
        "you",
        "your",
        "yours",
        "we",
        "our",
        "us",
        "i",
        "he",
        "she",
        "they",
        "them",
        "their",
        "there",
        "here",
        "if",
        "then",
        "than",
        "so",
        "as",
        "not",
        "no",
        "yes",
        "just",
        "some",
        "any",
        "all",
        "each",
        "every",
        "other",
        "function",
        "call",
        "calls",
        "called",
        "calling",
        "method",
        "trigger",
        "triggered",
        "triggers",
        "invoke",
        "use",
        "used",
        "using",
        "user",
        "users",
        "input",
        "inputs",
        "request",
        "requests",
        "content",
        "message",
        "messages",
        "raw",
        "data",
        "value",
        "values",
        "parameter",
        "parameters",
        "get",
        "gets",
        "set",
        "tool",
        "tools",
        "want",
        "need",
        "like",
        "tell",
        "give",
        "let",
        "s",
        "t",
    ]
)

# Concept groups: any word of a group stands for the group's first word.
_CONCEPTS: tuple[tuple[str, ...], ...] = (
    (
        "weather",
        "temperature",
        "forecast",
        "rain",
        "raining",
        "sunny",
        "snow",
        "snowing",
        "wind",
        "windy",
        "humid",
        "humidity",
        "climate",
        "hot",
        "cold",
        "degrees",
    ),
    ("time", "clock", "hour", "hours", "date", "day", "today", "now", "timezone"),
    ("book", "booking", "reserve", "reservation", "appointment", "schedule", "slot"),
    ("cancel", "cancellation", "revoke", "undo"),
    (
        "close",
        "end",
        "bye",
        "goodbye",
        "hang",
        "hangup",
        "stop",
        "quit",
        "exit",
        "finish",
        "terminate",
        "talk",
        "conversation",
    ),
    ("order", "buy", "purchase", "checkout", "cart"),
    ("search", "find", "look", "lookup", "query"),
    ("email", "mail", "inbox"),
    ("phone", "dial", "ring"),
    ("price", "cost", "costs", "quote", "expensive", "cheap"),
    ("calculate", "add", "sum", "plus", "minus", "multiply", "divide", "math", "number", "numbers"),
    ("translate", "translation", "language"),
    ("music", "play", "song", "songs"),
    ("light", "lights", "lamp", "brightness"),
    ("room", "rooms", "hotel", "checkin", "check"),
    ("doctor", "clinic", "symptom", "symptoms", "medical", "patient"),
    ("stock", "stocks", "share", "shares", "ticker"),
    ("news", "headline", "headlines"),
)
_CONCEPT_OF = {word: group[0] for group in _CONCEPTS for word in group}

_SMALL_TALK: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^\W*(hi|hello|hey|good (morning|afternoon|evening))\b[\w\s,!.']{0,20}$", re.I),
        "Hello! How can I help you today?",
    ),
    (re.compile(r"^\W*(thanks|thank you|cheers)\b[\w\s,!.']{0,20}$", re.I), "You're welcome!"),
    (re.compile(r"^\W*(ok|okay|great|cool|nice)\W*$", re.I), "Great. Anything else?"),
)

# Parameter names that take the user's raw words (the seed's userInput).
_FREE_TEXT = frozenset(
    [
        "userinput",
        "user_input",
        "input",
        "query",
        "text",
        "question",
        "message",
        "utterance",
        "request",
        "prompt",
        "content",
        "sentence",
        "userquery",
        "user_query",
        "usertext",
        "user_text",
        "userrequest",
        "user_request",
        "transcript",
    ]
)
_PLACE = frozenset(
    [
        "city",
        "location",
        "place",
        "destination",
        "origin",
        "address",
        "country",
        "region",
        "area",
        "town",
        "departure",
        "arrival",
        "from",
        "to",
        "where",
    ]
)
_NUMERIC_HINTS = ("number", "amount", "count", "quantity", "qty", "age", "price", "total")
_NAME = frozenset(
    ["name", "fullname", "full_name", "person", "customer", "guest", "patient", "username"]
)

_CITIES = (
    "Beijing",
    "Shanghai",
    "Shenzhen",
    "Guangzhou",
    "Hong Kong",
    "Tokyo",
    "Osaka",
    "Seoul",
    "Singapore",
    "Bangkok",
    "Delhi",
    "Mumbai",
    "Dubai",
    "Istanbul",
    "Moscow",
    "London",
    "Paris",
    "Berlin",
    "Madrid",
    "Barcelona",
    "Rome",
    "Milan",
    "Amsterdam",
    "Vienna",
    "Zurich",
    "Stockholm",
    "Oslo",
    "Copenhagen",
    "Dublin",
    "Lisbon",
    "Prague",
    "Warsaw",
    "Cairo",
    "Lagos",
    "Nairobi",
    "Johannesburg",
    "New York",
    "Los Angeles",
    "San Francisco",
    "Chicago",
    "Boston",
    "Seattle",
    "Miami",
    "Toronto",
    "Vancouver",
    "Montreal",
    "Mexico City",
    "Sao Paulo",
    "Buenos Aires",
    "Sydney",
    "Melbourne",
    "Auckland",
)
_CITY_RE = re.compile(r"\b(" + "|".join(re.escape(c) for c in _CITIES) + r")\b", re.I)
_CITY_CANON = {c.lower(): c for c in _CITIES}
_CAPITALISED = r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*"
_AFTER_PREP = {
    prep: re.compile(rf"\b{prep}\s+(?:the\s+)?({_CAPITALISED})")
    for prep in ("in", "at", "for", "to", "from", "near")
}
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_RE = re.compile(r"-?\d+(?:[.,]\d+)?|\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_NEGATION = re.compile(r"\b(no|not|don't|dont|do not|never|false|off|disable|without|nope)\b", re.I)
_AFFIRM = re.compile(r"\b(yes|true|on|enable|with|please do|sure)\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_TIME = re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b", re.I)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(text: str) -> list[str]:
    return _WORD.findall(_CAMEL.sub(" ", text).replace("_", " ").lower())


def _concepts(text: str) -> set[str]:
    found = set()
    for word in _words(text):
        if word in _STOPWORDS or len(word) < 2:
            continue
        stem = (
            word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
        )
        found.add(_CONCEPT_OF.get(word, _CONCEPT_OF.get(stem, stem)))
    return found


def _norm(name: str) -> str:
    return name.replace("-", "_").lower()


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
