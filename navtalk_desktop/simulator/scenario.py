r"""Scenario files: regex rules for the deterministic brain, phrases, faults and timings.

A scenario is a JSON object; every key is optional::

    {
      "rules": [
        {"match": "weather in (?P<city>[A-Za-z ]+)", "tool": "get_weather",
         "arguments": {"city": "{city}"}},
        {"match": "^(hi|hello)\\b", "reply": "Hello there!"},
        {"match": "refund", "tool": "function_call_judge", "arguments_as_string": true}
      ],
      "greeting": "Welcome to the simulator.",
      "result_reply": "Here is what I found: {output}",
      "fallback_reply": "I heard you say: {text}",
      "speech_transcripts": ["What's the weather in Beijing?"],
      "faults": ["insufficient_balance@turn:3"],
      "timings": "fast",
      "arguments_as_string": false,
      "load": "2000",
      "seed": 42
    }

Rules are tried in order against the user's text (case-insensitive unless
``"case_sensitive": true``). A rule names either a ``tool`` (with ``arguments``, whose
``{group}`` placeholders take the regex's named groups and ``{text}`` the whole text;
without ``arguments`` they are extracted from the tool's schema) or a ``reply``. A tool rule
fires only when that tool is registered, unless ``"force": true``. A ``seed`` makes the
ids (session, call, response, item) and latencies repeat from run to run; without one they
differ in every run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from navtalk_desktop.simulator.faults import FaultSpec, FaultSpecError
from navtalk_desktop.simulator.load import LoadSpec
from navtalk_desktop.simulator.timings import Timings

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
DEFAULT_RESULT_REPLY = "Here is what I found: {output}"
DEFAULT_FALLBACK_REPLY = "I heard you say: {text}"
# There is no speech recognition: detected utterances "say" these lines in turn.
DEFAULT_TRANSCRIPTS = ("What's the weather in Beijing?",)


class ScenarioError(ValueError):
    """A scenario file is unreadable or invalid; the message names the file and the problem."""


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders found in ``values``; leave every other brace alone."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def fill_arguments(value: Any, values: Mapping[str, str]) -> Any:
    """:func:`fill` applied to every string inside a JSON value."""
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, list):
        return [fill_arguments(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill_arguments(item, values) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Rule:
    """One scenario rule: a regex and what the avatar does when it matches.

    Attributes:
        pattern: compiled regex searched in the user's text.
        tool: function to call, or ``None`` for a spoken reply.
        arguments: argument template (``None``: extract from the tool's schema).
        reply: spoken reply template when ``tool`` is ``None``.
        force: call ``tool`` even when the client did not register it.
        arguments_as_string: per-rule override of the arguments encoding.
        omit_function_name: send the call without ``data.function_name`` (raw_data only).
    """

    pattern: re.Pattern[str]
    tool: str | None = None
    arguments: dict[str, Any] | None = None
    reply: str | None = None
    force: bool = False
    arguments_as_string: bool | None = None
    omit_function_name: bool = False

    def match(self, text: str) -> dict[str, str] | None:
        """Placeholder values (named groups, ``text``) when the rule matches, else ``None``."""
        found = self.pattern.search(text)
        if found is None:
            return None
        values = {key: value.strip() for key, value in found.groupdict().items() if value}
        values.setdefault("text", text)
        values.setdefault("match", found.group(0))
        return values


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything a scenario file can say; the defaults make the seed flow work.

    Attributes:
        rules: tried in order before the heuristic.
        greeting: reply to a ``response.create`` with nothing to answer yet
            (``None``: the avatar's first message).
        result_reply: follow-up after a function result; ``{output}`` is the result text.
        fallback_reply: reply when no tool fits; ``{text}`` is the user's text.
        speech_transcripts: what detected utterances "said", used in turn (there is no ASR).
        faults: faults injected into every session.
        timings: overrides the configured timings.
        arguments_as_string: overrides the configured arguments encoding.
        load: overrides the configured load mode.
        seed: overrides the configured seed (reproducible ids); ``None`` keeps it.
        source: where the scenario came from, for messages.
    """

    rules: tuple[Rule, ...] = ()
    greeting: str | None = None
    result_reply: str = DEFAULT_RESULT_REPLY
    fallback_reply: str = DEFAULT_FALLBACK_REPLY
    speech_transcripts: tuple[str, ...] = DEFAULT_TRANSCRIPTS
    faults: tuple[FaultSpec, ...] = ()
    timings: Timings | None = None
    arguments_as_string: bool | None = None
    load: LoadSpec | None = None
    seed: int | None = None
    source: str = "<built-in>"

    @classmethod
    def from_dict(cls, data: object, source: str = "<scenario>") -> Scenario:
        """Validate a decoded scenario object.

        Raises:
            ScenarioError: with ``source`` and the offending key in the message.
        """
        if not isinstance(data, dict):
            raise ScenarioError(f"{source}: a scenario must be a JSON object")
        known = {"rules", "greeting", "result_reply", "fallback_reply", "speech_transcripts"}
        known |= {"faults", "timings", "arguments_as_string", "load", "seed"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ScenarioError(f"{source}: unknown key(s) {', '.join(unknown)}")
        rules = tuple(
            _rule(item, f"{source}: rules[{index}]")
            for index, item in enumerate(_list(data, "rules", source))
        )
        faults: list[FaultSpec] = []
        for index, item in enumerate(_list(data, "faults", source)):
            if not isinstance(item, str):
                raise ScenarioError(f"{source}: faults[{index}] must be a string like 'gpu_full'")
            try:
                faults.append(FaultSpec.parse(item))
            except FaultSpecError as exc:
                raise ScenarioError(f"{source}: faults[{index}]: {exc}") from None
        transcripts = _list(data, "speech_transcripts", source) or list(DEFAULT_TRANSCRIPTS)
        if not all(isinstance(item, str) and item.strip() for item in transcripts):
            raise ScenarioError(f"{source}: speech_transcripts must be non-empty strings")
        load = None
        if "load" in data:
            try:
                load = LoadSpec.parse(str(data["load"]))
            except ValueError as exc:
                raise ScenarioError(f"{source}: load: {exc}") from None
        strings = {}
        for key in ("greeting", "result_reply", "fallback_reply"):
            if key in data:
                if not isinstance(data[key], str):
                    raise ScenarioError(f"{source}: {key} must be a string")
                strings[key] = data[key]
        as_string = data.get("arguments_as_string")
        if as_string is not None and not isinstance(as_string, bool):
            raise ScenarioError(f"{source}: arguments_as_string must be true or false")
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ScenarioError(f"{source}: seed must be a whole number")
        return cls(
            rules=rules,
            greeting=strings.get("greeting"),
            result_reply=strings.get("result_reply", DEFAULT_RESULT_REPLY),
            fallback_reply=strings.get("fallback_reply", DEFAULT_FALLBACK_REPLY),
            speech_transcripts=tuple(transcripts),
            faults=tuple(faults),
            timings=_timings(data["timings"], source) if "timings" in data else None,
            arguments_as_string=as_string,
            load=load,
            seed=seed,
            source=source,
        )


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file.

    Raises:
        ScenarioError: the file is missing, not JSON, or invalid; the message says where.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return Scenario.from_dict(data, str(path))


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ScenarioError(f"{source}: {key} must be a list")
    return value


def _rule(item: object, where: str) -> Rule:
    if not isinstance(item, dict):
        raise ScenarioError(f"{where} must be an object")
    known = {"match", "tool", "arguments", "reply", "force", "case_sensitive"}
    known |= {"arguments_as_string", "omit_function_name"}
    unknown = sorted(set(item) - known)
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}")
    pattern = item.get("match")
    if not isinstance(pattern, str) or not pattern:
        raise ScenarioError(f"{where}: 'match' must be a non-empty regular expression")
    flags = 0 if item.get("case_sensitive") else re.IGNORECASE
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise ScenarioError(f"{where}: invalid regular expression {pattern!r}: {exc}") from None
    tool, reply = item.get("tool"), item.get("reply")
    if (tool is None) == (reply is None):
        raise ScenarioError(f"{where}: give exactly one of 'tool' or 'reply'")
    if tool is not None and (not isinstance(tool, str) or not tool):
        raise ScenarioError(f"{where}: 'tool' must be a function name")
    if reply is not None and not isinstance(reply, str):
        raise ScenarioError(f"{where}: 'reply' must be a string")
    arguments = item.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        raise ScenarioError(f"{where}: 'arguments' must be an object")
    flags_ok = all(
        isinstance(item.get(key, False), bool)
        for key in ("force", "omit_function_name", "case_sensitive")
    )
    as_string = item.get("arguments_as_string")
    if not flags_ok or (as_string is not None and not isinstance(as_string, bool)):
        raise ScenarioError(f"{where}: flags must be true or false")
    return Rule(
        pattern=compiled,
        tool=tool,
        arguments=arguments,
        reply=reply,
        force=bool(item.get("force", False)),
        arguments_as_string=as_string,
        omit_function_name=bool(item.get("omit_function_name", False)),
    )


def _timings(value: object, source: str) -> Timings:
    if value == "fast":
        return Timings.fast()
    if value == "default":
        return Timings()
    if not isinstance(value, dict):
        raise ScenarioError(f"{source}: timings must be 'fast', 'default' or an object")
    names = {f.name for f in fields(Timings)} | {"preset"}
    unknown = sorted(set(value) - names)
    if unknown:
        raise ScenarioError(f"{source}: unknown timing(s) {', '.join(unknown)}")
    base = Timings.fast() if value.get("preset") == "fast" else Timings()
    changes: dict[str, Any] = {}
    for key, item in value.items():
        if key != "preset":
            changes[key] = _timing_value(key, item, source)
    return _replace_timings(base, changes, source)


def _timing_value(key: str, item: object, source: str) -> Any:
    if item is None and key in {"call_timeout", "max_session"}:
        return None
    if isinstance(item, list) and len(item) == 2 and all(_is_number(x) for x in item):
        low, high = float(item[0]), float(item[1])
        if low < 0 or high < low:
            raise ScenarioError(
                f"{source}: timings.{key} range must be [low, high] with 0<=low<=high"
            )
        return (low, high)
    if _is_number(item):
        number = float(item)  # type: ignore[arg-type]
        if number < 0:
            raise ScenarioError(f"{source}: timings.{key} must not be negative")
        if key in {"audio_chunk_ms", "vad_prefix_ms", "vad_silence_ms", "vad_min_speech_ms"}:
            return int(number)
        return number
    raise ScenarioError(f"{source}: timings.{key} must be a number or [low, high]")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _replace_timings(base: Timings, changes: dict[str, Any], source: str) -> Timings:
    values = {f.name: getattr(base, f.name) for f in fields(Timings)}
    values.update(changes)
    if not 20 <= values["audio_chunk_ms"] <= 200:
        raise ScenarioError(f"{source}: timings.audio_chunk_ms must be between 20 and 200")
    return Timings(**values)
