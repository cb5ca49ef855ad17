"""Responder configuration: plain, immutable, JSON-serialisable descriptions of each responder.

These are what a tool set file stores. They hold no behaviour; :mod:`.factory` turns them
into runnable responders. Parsing reports the exact location of anything wrong, e.g.
``tools[1].responders.steps[0].timeout_s: expected a number``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

# ConfigError is re-exported: callers catch it from here, next to the configs it describes.
from navtalk_desktop.core.json_reader import ConfigError as ConfigError
from navtalk_desktop.core.json_reader import JsonReader
from navtalk_desktop.core.json_value import JsonValue


class ResponderKind(StrEnum):
    """The responder types a chain step can use."""

    MANUAL = "manual"
    STATIC = "static"
    TEMPLATE = "template"
    RULES = "rules"
    WEBHOOK = "webhook"
    SCRIPT = "script"


class MatchKind(StrEnum):
    """How a rule looks at the call's arguments."""

    EQUALS = "equals"
    REGEX = "regex"
    JSON_PATH = "json_path"
    ANY = "any"


class ErrorPolicy(StrEnum):
    """What a chain does when a responder fails (template error, HTTP 500, script crash…).

    SEND: answer with ``Error: <message>`` as the seed's handler does (default).
    NEXT: try the next step; if none is left, send the error.
    SILENT: send no output frame at all; the call keeps the message and stays unanswered.
    """

    SEND = "send"
    NEXT = "next"
    SILENT = "silent"


@dataclass(frozen=True, slots=True)
class ManualConfig:
    """Wait for a person to answer in the call desk."""

    kind: ResponderKind = field(default=ResponderKind.MANUAL, init=False)


@dataclass(frozen=True, slots=True)
class StaticConfig:
    """Always answer the same text or JSON value.

    Attributes:
        output: a string is sent as is; any other JSON value is serialised.
        is_error: mark the answer as an error output.
    """

    output: JsonValue = ""
    is_error: bool = False
    kind: ResponderKind = field(default=ResponderKind.STATIC, init=False)


@dataclass(frozen=True, slots=True)
class TemplateConfig:
    """Render a Jinja template (sandboxed) from the call's arguments.

    The template sees every argument by name, plus ``args`` (all arguments), ``call``
    (``id``, ``name``) and ``vars`` (the tool set's variables).
    """

    template: str = ""
    kind: ResponderKind = field(default=ResponderKind.TEMPLATE, init=False)


@dataclass(frozen=True, slots=True)
class Rule:
    """One matcher of a rules responder.

    Attributes:
        match: how to test the arguments.
        path: argument name (``city``), dotted path (``address.city``) or JSON path
            (``$.items[*].sku``); unused for ``any``.
        value: for ``equals`` the expected value; for ``json_path`` an optional expected
            value (without it, the path only has to exist).
        pattern: for ``regex``, searched in the value's text form.
        output: what to answer when the rule matches (string or JSON).
        delay_s: wait this long before answering (simulates slow backends).
        error: when set, answer ``Error: <error>`` as an error output instead.
        ignore_case: case-insensitive ``equals`` on strings and ``regex``.
    """

    match: MatchKind = MatchKind.ANY
    path: str = ""
    value: JsonValue = None
    pattern: str = ""
    output: JsonValue = ""
    delay_s: float = 0.0
    error: str | None = None
    ignore_case: bool = False


@dataclass(frozen=True, slots=True)
class RulesConfig:
    """Ordered rules; the first match answers. No match passes to the next step."""

    rules: tuple[Rule, ...] = ()
    kind: ResponderKind = field(default=ResponderKind.RULES, init=False)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Call an HTTP endpoint and answer with its response text (the seed's pattern).

    Attributes:
        url: template (``{{ vars.weather_url }}/weather``); must render to http(s).
        method: HTTP method.
        headers: header templates.
        body_template: request body template; empty means the arguments as JSON
            (``{"userInput": …}``), which is what the seed POSTs.
        timeout_s: total time allowed for the request.
        verify_tls: verify HTTPS certificates (turn off only for self-signed test servers).
        output_path: optional JSON path into a JSON response (``$.reply``); empty sends the
            whole response text.
    """

    url: str = ""
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    body_template: str = ""
    timeout_s: float = 10.0
    verify_tls: bool = True
    output_path: str = ""
    kind: ResponderKind = field(default=ResponderKind.WEBHOOK, init=False)


@dataclass(frozen=True, slots=True)
class ScriptConfig:
    """Call ``function(arguments, context)`` from a Python file, in a separate process.

    Attributes:
        path: the file; relative paths are relative to the tool set file.
        function: function name inside the file.
        timeout_s: the process is killed after this long.
    """

    path: str = ""
    function: str = "respond"
    timeout_s: float = 10.0
    kind: ResponderKind = field(default=ResponderKind.SCRIPT, init=False)


ResponderConfig: TypeAlias = (
    ManualConfig | StaticConfig | TemplateConfig | RulesConfig | WebhookConfig | ScriptConfig
)

AUTOMATIC_KINDS = frozenset(set(ResponderKind) - {ResponderKind.MANUAL})

# Budgets when a step does not set its own (``budget_s`` / ``max_output`` in the file).
# Templates and regexes are user expressions that could run forever: they always have a
# time budget. Webhooks and scripts are bounded by their own ``timeout_s`` (a webhook's
# templates by WEBHOOK_RENDER_BUDGET_S too); static answers cannot block. Every automatic
# answer is capped at 1,000,000 characters (the transport's frames are at most 16 MB, and a
# model gains nothing from more).
DEFAULT_BUDGET_S: Mapping[ResponderKind, float] = {
    ResponderKind.TEMPLATE: 2.0,
    ResponderKind.RULES: 1.0,
}
# A webhook step without ``budget_s`` renders its URL, headers and body within this (its
# HTTP request is bounded by its own ``timeout_s``).
WEBHOOK_RENDER_BUDGET_S = 2.0
DEFAULT_MAX_OUTPUT = 1_000_000


@dataclass(frozen=True, slots=True)
class StepLimits:
    """The time budget and output cap a step runs under.

    Attributes:
        time_s: seconds the step's own work may take (template rendering, regex matching;
            a rule's ``delay_s`` does not count); ``None``: no budget beyond the
            responder's own timeout.
        max_output: the largest answer, in characters.
    """

    time_s: float | None = None
    max_output: int = DEFAULT_MAX_OUTPUT


@dataclass(frozen=True, slots=True)
class ResponderStep:
    """One step of a chain.

    Attributes:
        config: which responder and its settings.
        deadline_s: give up on this step after this many seconds and fall back to the next
            one ("manual, then after 8 s the static answer"); ``None`` waits as long as the
            responder takes.
        enabled: disabled steps are skipped.
        budget_s: time budget of the step's own work (``None``: the kind's default, see
            :data:`DEFAULT_BUDGET_S`); a step over budget is stopped and fails.
        max_output: output cap in characters (``None``: :data:`DEFAULT_MAX_OUTPUT`); a
            larger answer fails.
    """

    config: ResponderConfig
    deadline_s: float | None = None
    enabled: bool = True
    budget_s: float | None = None
    max_output: int | None = None

    @property
    def limits(self) -> StepLimits:
        """The budget and cap this step runs under (its own, else the defaults)."""
        kind = self.config.kind
        time_s = self.budget_s if self.budget_s is not None else DEFAULT_BUDGET_S.get(kind)
        max_output = self.max_output if self.max_output is not None else DEFAULT_MAX_OUTPUT
        return StepLimits(time_s, max_output)

    @property
    def label(self) -> str:
        """Short human label, e.g. ``webhook`` or ``manual (8 s)``."""
        if self.deadline_s is None:
            return str(self.config.kind)
        return f"{self.config.kind} ({self.deadline_s:g} s)"


@dataclass(frozen=True, slots=True)
class ResponderChain:
    """The ordered responders of one tool.

    Attributes:
        steps: tried in order; each answers or passes.
        approve: hold automatic answers as drafts until someone approves them.
        on_error: what a failing responder leads to.
    """

    steps: tuple[ResponderStep, ...] = ()
    approve: bool = False
    on_error: ErrorPolicy = ErrorPolicy.SEND

    @property
    def has_automatic(self) -> bool:
        """Whether any enabled step can answer without a person."""
        return any(s.enabled and s.config.kind in AUTOMATIC_KINDS for s in self.steps)

    @property
    def has_manual(self) -> bool:
        """Whether any enabled step waits for a person."""
        return any(s.enabled and s.config.kind is ResponderKind.MANUAL for s in self.steps)

    @classmethod
    def manual_only(cls) -> ResponderChain:
        """The default for new tools: the call waits in the call desk."""
        return cls(steps=(ResponderStep(ManualConfig()),))


# ------------------------------------------------------------------ JSON (de)serialisation


def chain_to_json(chain: ResponderChain) -> dict[str, Any]:
    """The tool set file form of a chain."""
    return {
        "steps": [step_to_json(step) for step in chain.steps],
        "approve": chain.approve,
        "on_error": str(chain.on_error),
    }


def step_to_json(step: ResponderStep) -> dict[str, Any]:
    """The tool set file form of one step (config fields flattened next to ``kind``)."""
    data: dict[str, Any] = {"kind": str(step.config.kind)}
    data.update(config_to_json(step.config))
    if step.deadline_s is not None:
        data["deadline_s"] = step.deadline_s
    if not step.enabled:
        data["enabled"] = False
    # Written only when set, so files without budgets stay as they were.
    if step.budget_s is not None:
        data["budget_s"] = step.budget_s
    if step.max_output is not None:
        data["max_output"] = step.max_output
    return data


def config_to_json(config: ResponderConfig) -> dict[str, Any]:
    """The settings of one responder, without ``kind``."""
    match config:
        case ManualConfig():
            return {}
        case StaticConfig(output=output, is_error=is_error):
            data: dict[str, Any] = {"output": output}
            if is_error:
                data["is_error"] = True
            return data
        case TemplateConfig(template=template):
            return {"template": template}
        case RulesConfig(rules=rules):
            return {"rules": [_rule_to_json(rule) for rule in rules]}
        case WebhookConfig():
            return {
                "method": config.method,
                "url": config.url,
                "headers": dict(config.headers),
                "body_template": config.body_template,
                "timeout_s": config.timeout_s,
                "verify_tls": config.verify_tls,
                "output_path": config.output_path,
            }
        case ScriptConfig(path=path, function=function, timeout_s=timeout_s):
            return {"path": path, "function": function, "timeout_s": timeout_s}
    raise AssertionError(f"unhandled responder config {config!r}")  # pragma: no cover


def _rule_to_json(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {"match": str(rule.match)}
    if rule.match is not MatchKind.ANY:
        data["path"] = rule.path
    if rule.match in (MatchKind.EQUALS, MatchKind.JSON_PATH) and (
        rule.value is not None or rule.match is MatchKind.EQUALS
    ):
        data["value"] = rule.value
    if rule.match is MatchKind.REGEX:
        data["pattern"] = rule.pattern
    data["output"] = rule.output
    if rule.delay_s:
        data["delay_s"] = rule.delay_s
    if rule.error is not None:
        data["error"] = rule.error
    if rule.ignore_case:
        data["ignore_case"] = True
    return data


def chain_from_json(data: object, location: str = "responders") -> ResponderChain:
    """Parse a chain from its file form.

    Raises:
        ConfigError: anything malformed, with its location.
    """
    reader = JsonReader(data, location)
    steps = tuple(
        step_from_json(item, f"{reader.at('steps')}[{index}]")
        for index, item in enumerate(reader.list("steps"))
    )
    return ResponderChain(
        steps=steps,
        approve=reader.boolean("approve", False),
        on_error=reader.enum("on_error", ErrorPolicy, ErrorPolicy.SEND),
    )


def step_from_json(data: object, location: str) -> ResponderStep:
    """Parse one step (``kind`` plus that responder's settings)."""
    reader = JsonReader(data, location)
    kind = reader.enum("kind", ResponderKind, ResponderKind.MANUAL)
    if "kind" not in reader.data:
        raise ConfigError(reader.at("kind"), "is required")
    config = _config_from_reader(kind, reader)
    budget = reader.optional_number("budget_s")
    if budget is not None and budget <= 0:
        raise ConfigError(reader.at("budget_s"), "must be greater than 0")
    max_output = reader.data.get("max_output")
    if max_output is not None and (
        not isinstance(max_output, int) or isinstance(max_output, bool) or max_output < 1
    ):
        raise ConfigError(reader.at("max_output"), "expected a whole number of characters ≥ 1")
    return ResponderStep(
        config=config,
        deadline_s=reader.optional_number("deadline_s"),
        enabled=reader.boolean("enabled", True),
        budget_s=budget,
        max_output=max_output,
    )


def _config_from_reader(kind: ResponderKind, reader: JsonReader) -> ResponderConfig:
    match kind:
        case ResponderKind.MANUAL:
            return ManualConfig()
        case ResponderKind.STATIC:
            return StaticConfig(
                output=reader.data.get("output", ""),
                is_error=reader.boolean("is_error", False),
            )
        case ResponderKind.TEMPLATE:
            return TemplateConfig(template=reader.string("template"))
        case ResponderKind.RULES:
            rules = tuple(
                _rule_from_json(item, f"{reader.at('rules')}[{index}]")
                for index, item in enumerate(reader.list("rules"))
            )
            return RulesConfig(rules=rules)
        case ResponderKind.WEBHOOK:
            method = reader.string("method", "POST").upper()
            if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                raise ConfigError(reader.at("method"), f"unsupported HTTP method {method!r}")
            return WebhookConfig(
                url=reader.string("url"),
                method=method,
                headers=reader.string_map("headers"),
                body_template=reader.string("body_template", ""),
                timeout_s=reader.number("timeout_s", 10.0, minimum=0.001),
                verify_tls=reader.boolean("verify_tls", True),
                output_path=reader.string("output_path", ""),
            )
        case ResponderKind.SCRIPT:
            return ScriptConfig(
                path=reader.string("path"),
                function=reader.string("function", "respond"),
                timeout_s=reader.number("timeout_s", 10.0, minimum=0.001),
            )
    raise AssertionError(kind)  # pragma: no cover


def _rule_from_json(data: object, location: str) -> Rule:
    reader = JsonReader(data, location)
    match = reader.enum("match", MatchKind, MatchKind.ANY)
    path = reader.string("path", "")
    if match is not MatchKind.ANY and not path:
        raise ConfigError(reader.at("path"), f"a {match} rule needs the argument path it tests")
    pattern = reader.string("pattern", "")
    if match is MatchKind.REGEX and not pattern:
        raise ConfigError(reader.at("pattern"), "a regex rule needs a pattern")
    return Rule(
        match=match,
        path=path,
        value=reader.data.get("value"),
        pattern=pattern,
        output=reader.data.get("output", ""),
        delay_s=reader.number("delay_s", 0.0),
        error=reader.optional_string("error"),
        ignore_case=reader.boolean("ignore_case", False),
    )
