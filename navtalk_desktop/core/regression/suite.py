"""Test suite files (``*.navtests.json``): call tests and conversation tests.

The file form is plain JSON, written with a fixed key order and one test per block so a
change to one test is a small diff in git::

    {"format": "navtalk-desktop.tests", "schema_version": 1, "name": "…",
     "tools": "weather.navtools.json",
     "tests": [
       {"name": "weather in Beijing", "kind": "call", "tool": "get_weather",
        "arguments": {"city": "Beijing"},
        "expect": {"not_error": true, "regex": "^Beijing: ", "latency_ms": 5000},
        "source": {"call_id": "call_…", "session_id": "…", "time": "2026-…Z"}},
       {"name": "asks for the weather", "kind": "conversation",
        "say": "What's the weather in Beijing?",
        "calls": [{"tool": "get_weather", "arguments": {"city": "Beijing"}}],
        "reply": {"regex": "Beijing"}}]}

The JSON Schema of this format ships as ``resources/schemas/navtests.schema.json``; this
module is the parser the runner uses (located error messages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from navtalk_desktop.core.json_reader import ConfigError, JsonReader, json_type

FORMAT_MARKER = "navtalk-desktop.tests"
SCHEMA_VERSION = 1
SUITE_SUFFIX = ".navtests.json"

# Key order of the file form: the order a reader wants, and what keeps diffs stable.
_EXPECT_KEYS = (
    "not_error",
    "is_error",
    "text",
    "json_subset",
    "json_schema",
    "regex",
    "latency_ms",
)
_ABSENT: Any = object()


@dataclass(frozen=True, slots=True)
class Expectation:
    """What an output (or the avatar's reply) must satisfy; every given check must hold.

    Attributes:
        not_error: the output must not be an error output.
        is_error: the output must be an error output (for tests of failure paths).
        text: the exact text.
        json_subset: the output parses as JSON and contains this value (objects: these
            keys with matching values, recursively; arrays and scalars: equal).
        json_schema: the output parses as JSON valid against this JSON Schema.
        regex: a regular expression found in the output (Python syntax, searched).
        latency_ms: the answer took at most this long.
    """

    not_error: bool = False
    is_error: bool = False
    text: str | None = None
    json_subset: Any = _ABSENT
    json_schema: dict[str, Any] | None = None
    regex: str | None = None
    latency_ms: float | None = None

    @property
    def has_json_subset(self) -> bool:
        """Whether a JSON subset is expected (``null`` is a valid subset value)."""
        return self.json_subset is not _ABSENT

    @property
    def empty(self) -> bool:
        """Whether nothing is checked."""
        return self == Expectation()


@dataclass(frozen=True, slots=True)
class TestSource:
    """Where a call test was saved from, so the app can show that call again.

    Attributes:
        call_id: the call's ``call_id`` in that session.
        session_id: the NavTalk session id, when the server named one.
        recording: the session file the timeline was opened from, if any.
        time: when the call arrived (ISO 8601, UTC).
    """

    __test__ = False  # not a pytest class, whatever its name
    call_id: str
    session_id: str | None = None
    recording: str | None = None
    time: str | None = None


@dataclass(frozen=True, slots=True)
class CallTest:
    """A synthetic call through the tool set's responders.

    Attributes:
        name: unique within the suite; shown in reports.
        tool: the tool called.
        arguments: the call's arguments.
        expect: what the output must satisfy.
        variables: tool set variables set for this test only.
        source: the call it was saved from (optional; informational, never checked).
    """

    name: str
    tool: str
    arguments: dict[str, Any]
    expect: Expectation = field(default_factory=Expectation)
    variables: dict[str, str] = field(default_factory=dict)
    source: TestSource | None = None
    kind: str = field(default="call", init=False)


@dataclass(frozen=True, slots=True)
class ExpectedCall:
    """A function call a conversation test expects.

    Attributes:
        tool: the tool that must be called.
        arguments: a JSON subset the call's arguments must contain.
        output: answer with this text instead of the tool set's responders.
        expect: what the answer (from the responders) must satisfy.
    """

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    output: str | None = None
    expect: Expectation = field(default_factory=Expectation)


@dataclass(frozen=True, slots=True)
class ConversationTest:
    """A user turn through a whole session: the calls it causes and the avatar's reply.

    Attributes:
        name: unique within the suite.
        say: typed user text.
        speak: an audio file spoken as the user turn (relative to the suite file).
        calls: the calls expected, in order (an empty list means: no call expected).
        reply: what the avatar's final reply (after the last call was answered) must match.
        timeout_s: longest wait for the calls and the reply.
    """

    name: str
    say: str | None = None
    speak: str | None = None
    calls: tuple[ExpectedCall, ...] = ()
    reply: Expectation = field(default_factory=Expectation)
    timeout_s: float = 30.0
    kind: str = field(default="conversation", init=False)


TestCase = CallTest | ConversationTest


@dataclass(frozen=True, slots=True)
class Suite:
    """A test suite file.

    Attributes:
        name: shown in reports (the JUnit ``testsuite`` name).
        tools: the tool set file the tests run against, relative to the suite file.
        tests: the cases, in file order.
        description: what the suite is for.
    """

    name: str
    tests: tuple[TestCase, ...] = ()
    tools: str | None = None
    description: str = ""


# ------------------------------------------------------------------ parsing


def suite_from_json(data: object) -> Suite:
    """Parse a suite document.

    Raises:
        ConfigError: a malformed document, with the location of the first problem.
    """
    reader = JsonReader(data, "")
    marker = reader.data.get("format")
    if marker != FORMAT_MARKER:
        raise ConfigError("format", f"expected {FORMAT_MARKER!r}, got {marker!r}")
    version = reader.data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ConfigError("schema_version", f"expected an integer, got {json_type(version)}")
    if version > SCHEMA_VERSION:
        raise ConfigError(
            "schema_version",
            f"written by a newer NavTalk Desktop (schema {version}; this version reads up to "
            f"{SCHEMA_VERSION}); update the app",
        )
    if version < 1:
        raise ConfigError("schema_version", f"unknown schema version {version}")
    tests: list[TestCase] = []
    seen: set[str] = set()
    for index, item in enumerate(reader.list("tests")):
        case = _case_from_json(item, f"tests[{index}]")
        if case.name in seen:
            raise ConfigError(f"tests[{index}].name", f"duplicate test name {case.name!r}")
        seen.add(case.name)
        tests.append(case)
    return Suite(
        name=reader.string("name", "Untitled suite"),
        tests=tuple(tests),
        tools=reader.optional_string("tools"),
        description=reader.string("description", ""),
    )


def _case_from_json(data: object, location: str) -> TestCase:
    reader = JsonReader(data, location)
    kind = reader.string("kind", "call")
    name = reader.string("name")
    if not name.strip():
        raise ConfigError(reader.at("name"), "must not be empty")
    if kind == "call":
        _only(reader, {"name", "kind", "tool", "arguments", "expect", "variables", "source"})
        source = reader.data.get("source")
        return CallTest(
            name=name,
            tool=reader.string("tool"),
            arguments=_object(reader, "arguments"),
            expect=_expectation(reader.data.get("expect", {}), reader.at("expect")),
            variables=reader.string_map("variables"),
            source=None if source is None else _source(source, reader.at("source")),
        )
    if kind == "conversation":
        _only(reader, {"name", "kind", "say", "speak", "calls", "reply", "timeout_s"})
        say = reader.optional_string("say")
        speak = reader.optional_string("speak")
        if (say is None) == (speak is None):
            raise ConfigError(
                location, "give exactly one of 'say' (typed text) or 'speak' (a file)"
            )
        calls = tuple(
            _expected_call(item, reader.at(f"calls[{i}]"))
            for i, item in enumerate(reader.list("calls"))
        )
        timeout = reader.number("timeout_s", 30.0)
        if timeout <= 0:
            raise ConfigError(reader.at("timeout_s"), "must be greater than 0")
        return ConversationTest(
            name=name,
            say=say,
            speak=speak,
            calls=calls,
            reply=_expectation(reader.data.get("reply", {}), reader.at("reply")),
            timeout_s=timeout,
        )
    raise ConfigError(reader.at("kind"), f"unknown kind {kind!r} (expected call or conversation)")


def _source(data: object, location: str) -> TestSource:
    reader = JsonReader(data, location)
    _only(reader, {"call_id", "session_id", "recording", "time"})
    return TestSource(
        call_id=reader.string("call_id"),
        session_id=reader.optional_string("session_id"),
        recording=reader.optional_string("recording"),
        time=reader.optional_string("time"),
    )


def source_to_json(source: TestSource) -> dict[str, Any]:
    """The file form of a test's source: only the fields that are set."""
    data: dict[str, Any] = {"call_id": source.call_id}
    for key in ("session_id", "recording", "time"):
        value = getattr(source, key)
        if value is not None:
            data[key] = value
    return data


def _expected_call(data: object, location: str) -> ExpectedCall:
    reader = JsonReader(data, location)
    _only(reader, {"tool", "arguments", "output", "expect"})
    return ExpectedCall(
        tool=reader.string("tool"),
        arguments=_object(reader, "arguments"),
        output=reader.optional_string("output"),
        expect=_expectation(reader.data.get("expect", {}), reader.at("expect")),
    )


def _expectation(data: object, location: str) -> Expectation:
    reader = JsonReader(data, location)
    _only(reader, set(_EXPECT_KEYS))
    schema = reader.data.get("json_schema")
    if schema is not None and not isinstance(schema, dict):
        raise ConfigError(reader.at("json_schema"), f"expected an object, got {json_type(schema)}")
    not_error = reader.boolean("not_error", False)
    is_error = reader.boolean("is_error", False)
    if not_error and is_error:
        raise ConfigError(location, "'not_error' and 'is_error' cannot both be true")
    return Expectation(
        not_error=not_error,
        is_error=is_error,
        text=reader.optional_string("text"),
        json_subset=reader.data.get("json_subset", _ABSENT),
        json_schema=schema,
        regex=reader.optional_string("regex"),
        latency_ms=reader.optional_number("latency_ms"),
    )


def _object(reader: JsonReader, key: str) -> dict[str, Any]:
    value = reader.data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(reader.at(key), f"expected an object, got {json_type(value)}")
    return value


def _only(reader: JsonReader, allowed: set[str]) -> None:
    # A typo ("expext") must not silently turn a check off.
    for key in reader.data:
        if key not in allowed:
            raise ConfigError(
                reader.at(key), f"unknown field (expected one of: {', '.join(sorted(allowed))})"
            )


# ------------------------------------------------------------------ file form


def expectation_to_json(expect: Expectation) -> dict[str, Any]:
    """The file form: only the checks that are set, in a fixed order."""
    data: dict[str, Any] = {}
    if expect.not_error:
        data["not_error"] = True
    if expect.is_error:
        data["is_error"] = True
    if expect.text is not None:
        data["text"] = expect.text
    if expect.has_json_subset:
        data["json_subset"] = expect.json_subset
    if expect.json_schema is not None:
        data["json_schema"] = expect.json_schema
    if expect.regex is not None:
        data["regex"] = expect.regex
    if expect.latency_ms is not None:
        data["latency_ms"] = (
            int(expect.latency_ms) if expect.latency_ms.is_integer() else expect.latency_ms
        )
    return data


def case_to_json(case: TestCase) -> dict[str, Any]:
    """One test's file form, keys in a fixed order."""
    if isinstance(case, CallTest):
        data: dict[str, Any] = {
            "name": case.name,
            "kind": "call",
            "tool": case.tool,
            "arguments": case.arguments,
        }
        if case.variables:
            data["variables"] = dict(sorted(case.variables.items()))
        data["expect"] = expectation_to_json(case.expect)
        if case.source is not None:
            data["source"] = source_to_json(case.source)
        return data
    data = {"name": case.name, "kind": "conversation"}
    if case.say is not None:
        data["say"] = case.say
    if case.speak is not None:
        data["speak"] = case.speak
    calls = []
    for call in case.calls:
        item: dict[str, Any] = {"tool": call.tool, "arguments": call.arguments}
        if call.output is not None:
            item["output"] = call.output
        if not call.expect.empty:
            item["expect"] = expectation_to_json(call.expect)
        calls.append(item)
    data["calls"] = calls
    data["reply"] = expectation_to_json(case.reply)
    if case.timeout_s != 30.0:
        data["timeout_s"] = case.timeout_s
    return data


def suite_to_json(suite: Suite) -> dict[str, Any]:
    """The suite document, keys in a fixed order."""
    data: dict[str, Any] = {
        "format": FORMAT_MARKER,
        "schema_version": SCHEMA_VERSION,
        "name": suite.name,
    }
    if suite.description:
        data["description"] = suite.description
    if suite.tools is not None:
        data["tools"] = suite.tools
    data["tests"] = [case_to_json(case) for case in suite.tests]
    return data


def suite_to_text(suite: Suite) -> str:
    """The suite file's text: two-space indent, one test per block, trailing newline.

    Writing a parsed file gives the same text back when it was written by this function,
    so saving a suite after adding one test changes only that test's lines.
    """
    return json.dumps(suite_to_json(suite), indent=2, ensure_ascii=False) + "\n"
