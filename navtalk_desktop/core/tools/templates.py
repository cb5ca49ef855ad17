"""Ready-made tools for the seed's function-calling guide and its five use cases.

``function_call_judge`` is exactly the tool of NavTalk's function-calling guide; the others
cover the guide's use-case table (weather, knowledge base, database, IoT, CRM). Each comes
with a responder chain that works offline (template or rules), so a new tool answers
something sensible before it is wired to a real backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from navtalk_desktop.core.responders.config import (
    ManualConfig,
    MatchKind,
    ResponderChain,
    ResponderStep,
    Rule,
    RulesConfig,
    StaticConfig,
    TemplateConfig,
)
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolEntry


@dataclass(frozen=True, slots=True)
class ToolTemplate:
    """A tool to start from.

    Attributes:
        key: stable identifier (``weather``).
        title: menu text.
        use_case: the seed's example sentence for it.
        entry: the tool with its default responders.
    """

    key: str
    title: str
    use_case: str
    entry: ToolEntry


# NavTalk function-calling guide (v2), verbatim. The v1 GitBook page words the two
# descriptions differently; the v2 text is what current integrations copy.
FUNCTION_CALL_JUDGE = ToolDefinition(
    name="function_call_judge",
    description=(
        "Are there any function calls or tasks beyond your capabilities that require external assistance?"
    ),
    parameters={
        "type": "object",
        "properties": {
            "userInput": {
                "type": "string",
                "description": "The user's input that requires external assistance",
            }
        },
        "required": ["userInput"],
    },
)


def _chain(*steps: ResponderStep) -> ResponderChain:
    return ResponderChain(steps=steps)


_JUDGE = ToolTemplate(
    key="function_call_judge",
    title="function_call_judge (NavTalk guide)",
    use_case="Anything the avatar cannot do by itself",
    entry=ToolEntry(
        tool=FUNCTION_CALL_JUDGE,
        # The guide's handler forwards userInput to a webhook; until one is configured, a
        # person answers, and after 8 s a polite static answer keeps the avatar talking.
        chain=_chain(
            ResponderStep(ManualConfig(), deadline_s=8.0),
            ResponderStep(StaticConfig("I could not reach the assistant service right now.")),
        ),
    ),
)

_WEATHER = ToolTemplate(
    key="weather",
    title="Weather",
    use_case="What's the weather in Beijing?",
    entry=ToolEntry(
        tool=ToolDefinition(
            name="get_weather",
            description="Get the current weather for a city. Use it whenever the user asks about weather.",
            parameters={
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name, e.g. Beijing"},
                    "unit": {
                        "type": "string",
                        "enum": ["celsius", "fahrenheit"],
                        "description": "Temperature unit",
                        "default": "celsius",
                    },
                },
                "required": ["city"],
            },
        ),
        chain=_chain(
            ResponderStep(
                TemplateConfig(
                    "{{ city }}: 22 degrees {{ args.unit | default('celsius') }}, clear skies (sample data)."
                )
            )
        ),
    ),
)

_KNOWLEDGE = ToolTemplate(
    key="knowledge_base",
    title="Knowledge-base search",
    use_case="How do I integrate function calling?",
    entry=ToolEntry(
        tool=ToolDefinition(
            name="search_knowledge_base",
            description="Search the product documentation and return the most relevant passages.",
            parameters={
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What the user wants to know"},
                    "limit": {
                        "type": "integer",
                        "description": "How many passages to return",
                        "minimum": 1,
                        "maximum": 5,
                        "default": 2,
                    },
                },
                "required": ["query"],
            },
        ),
        chain=_chain(
            ResponderStep(
                StaticConfig("No documents are connected yet; answer from general knowledge.")
            )
        ),
    ),
)

_DATABASE = ToolTemplate(
    key="database",
    title="Database query (sales)",
    use_case="Show me today's sales numbers",
    entry=ToolEntry(
        tool=ToolDefinition(
            name="query_sales",
            description="Look up sales figures (revenue, orders) for a period and optional region.",
            parameters={
                "type": "object",
                "properties": {
                    "period": {
                        "type": "string",
                        "enum": ["today", "yesterday", "this_week", "this_month"],
                        "description": "Which period to report",
                    },
                    "region": {"type": "string", "description": "Optional region filter"},
                },
                "required": ["period"],
            },
        ),
        chain=_chain(
            ResponderStep(
                RulesConfig(
                    rules=(
                        Rule(
                            match=MatchKind.EQUALS,
                            path="period",
                            value="today",
                            output={"period": "today", "orders": 42, "revenue": 12345.5},
                        ),
                        Rule(
                            match=MatchKind.ANY,
                            output="No sales data for that period (sample data).",
                        ),
                    )
                )
            )
        ),
    ),
)

_IOT = ToolTemplate(
    key="iot",
    title="IoT device control",
    use_case="Turn on the lights",
    entry=ToolEntry(
        tool=ToolDefinition(
            name="control_device",
            description="Turn a smart-home device (lights, fan, heater, door lock) on or off, or set its level.",
            parameters={
                "type": "object",
                "properties": {
                    "device": {
                        "type": "string",
                        "enum": ["lights", "fan", "heater", "door_lock"],
                        "description": "Which device",
                    },
                    "action": {
                        "type": "string",
                        "enum": ["on", "off", "toggle", "set"],
                        "description": "What to do",
                    },
                    "value": {
                        "type": "number",
                        "description": "Level for action 'set' (0-100)",
                        "minimum": 0,
                        "maximum": 100,
                    },
                },
                "required": ["device", "action"],
            },
        ),
        chain=_chain(ResponderStep(TemplateConfig("OK: {{ device }} is now {{ action }}."))),
    ),
)

_CRM = ToolTemplate(
    key="crm",
    title="CRM update",
    use_case="Update customer status for John",
    entry=ToolEntry(
        tool=ToolDefinition(
            name="update_customer_status",
            description="Change a customer's status in the CRM and optionally add a note.",
            parameters={
                "type": "object",
                "properties": {
                    "customer_name": {
                        "type": "string",
                        "description": "Customer's name, e.g. John",
                    },
                    "status": {
                        "type": "string",
                        "enum": ["active", "lead", "vip", "inactive"],
                        "description": "New status",
                        "default": "active",
                    },
                    "note": {"type": "string", "description": "Optional note for the record"},
                },
                "required": ["customer_name", "status"],
            },
        ),
        chain=_chain(
            ResponderStep(ManualConfig(), deadline_s=8.0),
            ResponderStep(TemplateConfig("Customer {{ customer_name }} is now {{ status }}.")),
        ),
    ),
)

TEMPLATES: tuple[ToolTemplate, ...] = (_JUDGE, _WEATHER, _KNOWLEDGE, _DATABASE, _IOT, _CRM)


def template(key: str) -> ToolTemplate:
    """The template with ``key``.

    Raises:
        KeyError: unknown key (the message lists the known ones).
    """
    for item in TEMPLATES:
        if item.key == key:
            return item
    raise KeyError(f"no tool template {key!r}; known: {', '.join(t.key for t in TEMPLATES)}")


def new_entry(key: str) -> ToolEntry:
    """A fresh copy of a template's tool (safe to edit)."""
    entry = template(key).entry
    return entry.replace(tool=entry.tool.copy())


def empty_entry(taken: Iterable[str]) -> ToolEntry:
    """A new tool without parameters, named ``new_tool`` (``new_tool_2``… if taken).

    Empty means empty: the user adds the parameters the tool needs (the templates are
    the way to start from an example).
    """
    names = set(taken)
    name, counter = "new_tool", 2
    while name in names:
        name, counter = f"new_tool_{counter}", counter + 1
    parameters: dict[str, object] = {"type": "object", "properties": {}, "required": []}
    return ToolEntry(tool=ToolDefinition(name, "", parameters))
