"""Linting tools and responder chains: clear messages with exact locations.

Locations read like ``tools[2].parameters.properties.city.enum[1]``. Errors in tool
definitions block registering the tools (the server would reject them or the model would
see nonsense); warnings never block. Responder problems are reported with the same
locations but do not stop the tools from being sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.profile import Provider
from navtalk_desktop.core.responders.config import (
    MatchKind,
    ResponderKind,
    RulesConfig,
    ScriptConfig,
    TemplateConfig,
    WebhookConfig,
)
from navtalk_desktop.core.responders.json_path import JsonPathError, parse_json_path
from navtalk_desktop.core.responders.templating import check_template
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# OpenAI documents 128 tools as the maximum per request.
MAX_TOOLS = 128


@lru_cache(maxsize=1)
def _meta_validator() -> Draft202012Validator:
    """Checks a parameters object against the JSON Schema meta-schema.

    Built on first use: importing jsonschema costs ~50 ms of start-up.
    """
    from jsonschema import Draft202012Validator

    return Draft202012Validator(
        Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


class Severity(StrEnum):
    """How bad an issue is."""

    ERROR = "error"
    WARNING = "warning"


class IssueScope(StrEnum):
    """What an issue is about; only definition errors block sending the tools."""

    DEFINITION = "definition"
    RESPONDER = "responder"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class LintIssue:
    """One finding.

    Attributes:
        severity: error or warning.
        location: path to the offending value, e.g. ``tools[0].parameters.required[1]``.
        message: what is wrong and how to fix it.
        code: stable identifier for filtering (``name.invalid``, ``schema.enum-type``…).
        scope: definition, responder or provider.
    """

    severity: Severity
    location: str
    message: str
    code: str
    scope: IssueScope = IssueScope.DEFINITION

    @property
    def tool_index(self) -> int | None:
        """Index of the tool the issue belongs to, if any."""
        match = re.match(r"tools\[(\d+)\]", self.location)
        return int(match.group(1)) if match else None

    def __str__(self) -> str:
        return f"{self.severity}: {self.location}: {self.message}"


@dataclass(frozen=True, slots=True)
class LintReport:
    """All findings for a set of tools."""

    issues: tuple[LintIssue, ...]

    @property
    def errors(self) -> list[LintIssue]:
        """Issues of severity error."""
        return [issue for issue in self.issues if issue.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[LintIssue]:
        """Issues of severity warning."""
        return [issue for issue in self.issues if issue.severity is Severity.WARNING]

    @property
    def blocks_sending(self) -> bool:
        """Whether the tools must not be registered as they are."""
        return any(
            i.severity is Severity.ERROR and i.scope is IssueScope.DEFINITION for i in self.issues
        )

    def for_tool(self, index: int) -> list[LintIssue]:
        """The issues located in ``tools[index]``."""
        return [issue for issue in self.issues if issue.tool_index == index]

    def summary(self) -> str:
        """``2 errors, 1 warning`` (or ``no problems``)."""
        errors, warnings = len(self.errors), len(self.warnings)
        if not errors and not warnings:
            return "no problems"
        parts = []
        if errors:
            parts.append(f"{errors} error{'s' * (errors != 1)}")
        if warnings:
            parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
        return ", ".join(parts)


def lint_toolset(toolset: ToolSet, provider: Provider | None = None) -> LintReport:
    """Lint the enabled and disabled tools of a set and their responder chains."""
    return _lint(list(toolset.tools), provider)


def lint_tools(
    tools: Sequence[ToolDefinition | ToolEntry], provider: Provider | None = None
) -> LintReport:
    """Lint bare definitions (or entries, whose responders are linted too)."""
    entries = [t if isinstance(t, ToolEntry) else ToolEntry(tool=t) for t in tools]
    return _lint(entries, provider, responders=any(isinstance(t, ToolEntry) for t in tools))


def _lint(
    entries: list[ToolEntry], provider: Provider | None, responders: bool = True
) -> LintReport:
    issues: list[LintIssue] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        at = f"tools[{index}]"
        tool = entry.tool
        issues.extend(_lint_name(tool.name, f"{at}.name"))
        if tool.name in seen:
            issues.append(
                LintIssue(
                    Severity.ERROR,
                    f"{at}.name",
                    f"duplicate tool name {tool.name!r} (also tools[{seen[tool.name]}]); "
                    "the model could not tell them apart",
                    "name.duplicate",
                )
            )
        else:
            seen[tool.name] = index
        if not tool.description.strip():
            issues.append(
                LintIssue(
                    Severity.WARNING,
                    f"{at}.description",
                    "empty description: the model decides when to call a tool from its description",
                    "description.empty",
                )
            )
        issues.extend(_lint_parameters(tool.parameters, f"{at}.parameters"))
        if provider is Provider.ELEVENLABS:
            issues.append(
                LintIssue(
                    Severity.WARNING,
                    at,
                    f"ElevenLabs avatars cannot register tools over the API: {tool.name!r} will "
                    "not be sent; configure it in the ElevenLabs dashboard (calls that arrive "
                    "are still answered)",
                    "provider.cannot-register",
                    IssueScope.PROVIDER,
                )
            )
        if responders:
            issues.extend(_lint_chain(entry, at))
    if len(entries) > MAX_TOOLS:
        issues.append(
            LintIssue(
                Severity.WARNING,
                "tools",
                f"{len(entries)} tools; OpenAI accepts at most {MAX_TOOLS} per session",
                "tools.too-many",
            )
        )
    return LintReport(tuple(issues))


def _lint_name(name: str, at: str) -> Iterator[LintIssue]:
    if NAME_PATTERN.fullmatch(name):
        return
    if not name:
        problem = "the name is empty"
    elif len(name) > 64:
        problem = f"the name is {len(name)} characters long (at most 64)"
    else:
        bad = sorted({char for char in name if not re.fullmatch(r"[a-zA-Z0-9_-]", char)})
        problem = "the name contains " + ", ".join(repr(char) for char in bad)
    yield LintIssue(
        Severity.ERROR,
        at,
        f"{problem}; names may use only letters, digits, '_' and '-' (1 to 64 characters)",
        "name.invalid",
    )


# ------------------------------------------------------------------ JSON Schema


def _key(location: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{location}[{key}]"
    if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$\-]*", key):
        return f"{location}.{key}"
    return f"{location}[{key!r}]"


def _lint_parameters(parameters: Any, at: str) -> Iterator[LintIssue]:
    if not isinstance(parameters, dict):
        yield LintIssue(
            Severity.ERROR, at, "parameters must be a JSON Schema object", "schema.not-object"
        )
        return
    if parameters.get("type") != "object":
        yield LintIssue(
            Severity.ERROR,
            _key(at, "type"),
            f'the top-level schema must have "type": "object" (got {parameters.get("type")!r})',
            "schema.root-type",
        )
    for error in _meta_validator().iter_errors(parameters):
        location = at
        for part in error.absolute_path:
            location = _key(location, part)
        yield LintIssue(
            Severity.ERROR,
            location,
            f"invalid JSON Schema: {error.message}",
            "schema.invalid",
        )
    properties = parameters.get("properties")
    if isinstance(properties, dict):
        for name, schema in properties.items():
            if isinstance(schema, dict) and not str(schema.get("description", "")).strip():
                yield LintIssue(
                    Severity.WARNING,
                    _key(_key(at, "properties"), name),
                    f"argument {name!r} has no description; the model fills arguments from it",
                    "description.empty",
                )
    yield from _walk_schema(parameters, at)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}


def _matches_type(value: Any, type_names: list[str]) -> bool:
    for name in type_names:
        accepted = _JSON_TYPES.get(name)
        if accepted is None:
            return True  # unknown type names are the meta-schema's job
        if isinstance(value, bool) and name not in ("boolean",):
            continue
        if isinstance(value, accepted):
            return True
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True
    return False


def _walk_schema(schema: Any, at: str) -> Iterator[LintIssue]:
    if not isinstance(schema, dict):
        return
    declared = schema.get("type")
    type_names = [declared] if isinstance(declared, str) else declared
    if isinstance(type_names, list) and all(isinstance(t, str) for t in type_names):
        enum = schema.get("enum")
        if isinstance(enum, list):
            for index, value in enumerate(enum):
                if not _matches_type(value, type_names):
                    yield LintIssue(
                        Severity.ERROR,
                        _key(_key(at, "enum"), index),
                        f"enum value {value!r} is not of type {' or '.join(type_names)}",
                        "schema.enum-type",
                    )
        if "default" in schema and not _matches_type(schema["default"], type_names):
            yield LintIssue(
                Severity.WARNING,
                _key(at, "default"),
                f"default {schema['default']!r} is not of type {' or '.join(type_names)}",
                "schema.default-type",
            )
        if "array" in type_names and "items" not in schema and "prefixItems" not in schema:
            yield LintIssue(
                Severity.WARNING,
                at,
                'array without "items": the model does not know what the elements are '
                "(OpenAI's strict mode rejects it)",
                "schema.array-items",
            )
    required = schema.get("required")
    properties = schema.get("properties")
    if isinstance(required, list):
        known = properties if isinstance(properties, dict) else {}
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in known:
                yield LintIssue(
                    Severity.ERROR,
                    _key(_key(at, "required"), index),
                    f"required argument {name!r} is not among the properties",
                    "schema.required-missing",
                )
    for keyword in ("properties", "patternProperties", "$defs", "definitions"):
        children = schema.get(keyword)
        if isinstance(children, dict):
            for name, child in children.items():
                yield from _walk_schema(child, _key(_key(at, keyword), name))
    for keyword in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
        yield from _walk_schema(schema.get(keyword), _key(at, keyword))
    for keyword in ("prefixItems", "anyOf", "oneOf", "allOf"):
        children = schema.get(keyword)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield from _walk_schema(child, _key(_key(at, keyword), index))


# ------------------------------------------------------------------ responders


def _responder_issue(severity: Severity, location: str, message: str, code: str) -> LintIssue:
    return LintIssue(severity, location, message, code, IssueScope.RESPONDER)


def _lint_chain(entry: ToolEntry, at: str) -> Iterator[LintIssue]:
    chain_at = f"{at}.responders"
    steps = [(i, s) for i, s in enumerate(entry.chain.steps) if s.enabled]
    if not steps:
        yield _responder_issue(
            Severity.WARNING,
            chain_at,
            f"no responders: calls to {entry.name!r} can only be answered by hand, and "
            "automatic answering sends an error output",
            "chain.empty",
        )
    argument_names = set(entry.tool.property_names())
    for position, (index, step) in enumerate(steps):
        step_at = f"{chain_at}.steps[{index}]"
        is_last = position == len(steps) - 1
        if step.config.kind is ResponderKind.MANUAL and step.deadline_s is None and not is_last:
            yield _responder_issue(
                Severity.WARNING,
                step_at,
                "manual step without a deadline: the steps after it never run; "
                "set a deadline to fall back to them",
                "chain.unreachable",
            )
        if step.deadline_s is not None and is_last:
            yield _responder_issue(
                Severity.WARNING,
                f"{step_at}.deadline_s",
                "deadline on the last step: there is nothing to fall back to, the call stays "
                "unanswered when it passes",
                "chain.deadline-last",
            )
        yield from _lint_config(step.config, step_at, argument_names)


def _lint_config(config: object, at: str, argument_names: set[str]) -> Iterator[LintIssue]:
    match config:
        case TemplateConfig(template=template):
            problem = check_template(template)
            if problem:
                yield _responder_issue(Severity.ERROR, f"{at}.template", problem, "template.syntax")
        case RulesConfig(rules=rules):
            if not rules:
                yield _responder_issue(
                    Severity.WARNING,
                    f"{at}.rules",
                    "no rules: this step always passes",
                    "rules.empty",
                )
            for index, rule in enumerate(rules):
                rule_at = f"{at}.rules[{index}]"
                if rule.match is MatchKind.REGEX:
                    try:
                        re.compile(rule.pattern)
                    except re.error as exc:
                        yield _responder_issue(
                            Severity.ERROR,
                            f"{rule_at}.pattern",
                            f"invalid regular expression: {exc}",
                            "rules.regex",
                        )
                if rule.match is not MatchKind.ANY:
                    try:
                        path = parse_json_path(rule.path)
                    except JsonPathError as exc:
                        yield _responder_issue(
                            Severity.ERROR, f"{rule_at}.path", str(exc), "rules.path"
                        )
                    else:
                        first = next((s.key for s in path.steps if s.kind == "key"), None)
                        if (
                            argument_names
                            and path.steps
                            and path.steps[0].kind == "key"
                            and first not in argument_names
                        ):
                            yield _responder_issue(
                                Severity.WARNING,
                                f"{rule_at}.path",
                                f"{first!r} is not an argument of this tool (arguments: "
                                f"{', '.join(sorted(argument_names))})",
                                "rules.unknown-argument",
                            )
                if index < len(rules) - 1 and rule.match is MatchKind.ANY:
                    yield _responder_issue(
                        Severity.WARNING,
                        rule_at,
                        "wildcard rule before other rules: the rules after it never match",
                        "rules.unreachable",
                    )
        case WebhookConfig():
            if not config.url.strip():
                yield _responder_issue(
                    Severity.ERROR, f"{at}.url", "the webhook needs a URL", "webhook.url"
                )
            elif "{" not in config.url and not re.match(r"https?://", config.url):
                yield _responder_issue(
                    Severity.ERROR,
                    f"{at}.url",
                    "the URL must start with http:// or https://",
                    "webhook.url",
                )
            for field_name, source in (
                ("url", config.url),
                ("body_template", config.body_template),
            ):
                problem = check_template(source) if source else None
                if problem:
                    yield _responder_issue(
                        Severity.ERROR, f"{at}.{field_name}", problem, "template.syntax"
                    )
            for header, source in config.headers.items():
                problem = check_template(source)
                if problem:
                    yield _responder_issue(
                        Severity.ERROR, _key(f"{at}.headers", header), problem, "template.syntax"
                    )
            if config.output_path:
                try:
                    parse_json_path(config.output_path)
                except JsonPathError as exc:
                    yield _responder_issue(
                        Severity.ERROR, f"{at}.output_path", str(exc), "webhook.output-path"
                    )
            if not config.verify_tls:
                yield _responder_issue(
                    Severity.WARNING,
                    f"{at}.verify_tls",
                    "TLS certificates are not verified for this webhook",
                    "webhook.insecure",
                )
        case ScriptConfig(path=path, function=function):
            if not path.strip():
                yield _responder_issue(
                    Severity.ERROR, f"{at}.path", "the script responder needs a file", "script.path"
                )
            if not function.isidentifier():
                yield _responder_issue(
                    Severity.ERROR,
                    f"{at}.function",
                    f"{function!r} is not a Python function name",
                    "script.function",
                )
        case _:
            return
