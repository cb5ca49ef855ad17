"""Checking an output against an :class:`~.suite.Expectation`, with readable reasons.

Each failed check yields a :class:`Mismatch`: one line saying what was wrong plus, where it
helps, a unified diff of expected vs. actual (JSON pretty-printed with sorted keys, so the
diff shows the differing fields rather than a reordered line).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.core.json_reader import json_type
from navtalk_desktop.core.regression.ports import BudgetedRegex, PatternError
from navtalk_desktop.core.regression.suite import Expectation

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One check that did not hold.

    Attributes:
        check: which check (``text``, ``json_subset``, ``regex``…).
        message: one line for the console.
        diff: unified diff of expected vs. actual ("" when a diff says nothing more).
    """

    check: str
    message: str
    diff: str = ""

    def render(self) -> str:
        """The message and the diff under it."""
        return self.message + ("\n" + self.diff if self.diff else "")


@dataclass(frozen=True, slots=True)
class Observed:
    """What actually happened to a call or a turn.

    Attributes:
        output: the text sent (``None``: nothing was sent).
        is_error: the output reports a failure.
        latency_s: how long the answer took.
    """

    output: str | None
    is_error: bool = False
    latency_s: float | None = None


def unified_diff(expected: str, actual: str, *, what: str = "output") -> str:
    """A unified diff of two texts (``--- expected`` / ``+++ actual``)."""
    lines = difflib.unified_diff(
        expected.splitlines(),
        actual.splitlines(),
        fromfile=f"expected {what}",
        tofile=f"actual {what}",
        lineterm="",
    )
    return "\n".join(lines)


def pretty(value: Any) -> str:
    """JSON with sorted keys and two-space indent (stable for diffs)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def subset_mismatch(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where ``actual`` does not contain ``expected``, or ``None`` when it does.

    Objects match when every expected key is present with a matching value (extra keys are
    fine); arrays must have the same length with matching items; scalars must be equal
    (``1`` and ``1.0`` are equal, ``true`` and ``1`` are not).
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {json_type(actual)}"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key}: missing"
            found = subset_mismatch(value, actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path}: expected an array, got {json_type(actual)}"
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found = subset_mismatch(want, got, f"{path}[{index}]")
            if found:
                return found
        return None
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    else:
        same = expected == actual and json_type(expected) == json_type(actual)
    if same:
        return None
    return f"{path}: expected {json.dumps(expected, ensure_ascii=False)}, got {json.dumps(actual, ensure_ascii=False)}"


def _project(expected: Any, actual: Any) -> Any:
    """``actual`` reduced to the keys ``expected`` names (so a diff shows only those)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {
            key: _project(value, actual[key]) for key, value in expected.items() if key in actual
        }
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [_project(e, a) for e, a in zip(expected, actual, strict=True)]
    return actual


def schema_violations(schema: dict[str, Any], value: Any) -> list[str]:
    """Every way ``value`` breaks ``schema`` (``<JSON path>: <message>``), sorted.

    Raises:
        ValueError: the schema itself is invalid.
    """
    import jsonschema  # deferred: ~50 ms to import
    import jsonschema.exceptions
    import jsonschema.validators

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        raise ValueError(f"the expected JSON Schema is invalid: {error.message}") from None
    errors = sorted(cls(schema).iter_errors(value), key=lambda e: (e.json_path, e.message))
    return [f"{e.json_path}: {e.message}" for e in errors]


async def check(
    expect: Expectation, observed: Observed, regex: BudgetedRegex, *, what: str = "output"
) -> list[Mismatch]:
    """Every check of ``expect`` that ``observed`` fails (empty: it passes)."""
    problems: list[Mismatch] = []
    output = observed.output
    if output is None:
        if not expect.empty:
            problems.append(Mismatch("answered", f"no {what} was sent"))
        return problems
    if expect.not_error and observed.is_error:
        problems.append(Mismatch("not_error", f"the {what} is an error: {_short(output)}"))
    if expect.is_error and not observed.is_error:
        problems.append(Mismatch("is_error", f"expected an error {what}, got {_short(output)}"))
    if expect.text is not None and output != expect.text:
        problems.append(
            Mismatch(
                "text",
                f"the {what} differs from the expected text",
                unified_diff(expect.text, output, what=what),
            )
        )
    if expect.has_json_subset or expect.json_schema is not None:
        try:
            parsed: Any = json.loads(output)
        except json.JSONDecodeError as exc:
            problems.append(
                Mismatch(
                    "json",
                    f"the {what} is not JSON ({exc.msg} at column {exc.colno}): {_short(output)}",
                )
            )
        else:
            if expect.has_json_subset:
                where = subset_mismatch(expect.json_subset, parsed)
                if where is not None:
                    diff = unified_diff(
                        pretty(expect.json_subset),
                        pretty(_project(expect.json_subset, parsed)),
                        what=what,
                    )
                    problems.append(
                        Mismatch("json_subset", f"JSON subset not found: {where}", diff)
                    )
            if expect.json_schema is not None:
                try:
                    violations = schema_violations(expect.json_schema, parsed)
                except ValueError as exc:
                    problems.append(Mismatch("json_schema", str(exc)))
                else:
                    if violations:
                        problems.append(
                            Mismatch(
                                "json_schema",
                                f"the {what} breaks the JSON Schema: " + "; ".join(violations[:5]),
                            )
                        )
    if expect.regex is not None:
        try:
            found = await regex.search(expect.regex, output)
        except PatternError as exc:
            problems.append(Mismatch("regex", str(exc)))
        else:
            if not found:
                problems.append(
                    Mismatch(
                        "regex",
                        f"regex {expect.regex!r} not found in the {what}",
                        unified_diff(f"/{expect.regex}/", output, what=what),
                    )
                )
    if expect.latency_ms is not None and observed.latency_s is not None:
        took = observed.latency_s * 1000
        if took > expect.latency_ms:
            problems.append(
                Mismatch("latency_ms", f"took {took:.0f} ms, budget {expect.latency_ms:g} ms")
            )
    return problems


def _short(text: str, limit: int = 200) -> str:
    shown = json.dumps(text, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
