"""Sandboxed Jinja rendering for template responders, webhook URLs, headers and bodies.

User templates may come from imported files, so they run in Jinja's immutable sandbox
(no attribute access to internals, no mutation) with ``StrictUndefined``: a misspelt
argument is an error that names it, never a silently empty answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

# jinja2 costs ~25 ms to import: it is loaded when the first template is compiled,
# not at start-up.
if TYPE_CHECKING:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateError(ValueError):
    """A template could not be compiled or rendered; the message says why and where."""


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# Templates render on the event loop: refuse operations that could allocate without bound.
_MAX_REPEAT = 100_000
_MAX_EXPONENT = 1_000


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    import jinja2  # deferred: see the TYPE_CHECKING import
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _GuardedEnvironment(ImmutableSandboxedEnvironment):
        """The immutable sandbox, plus limits on ``*`` and ``**`` (it does not limit them)."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            """Refuse huge repetitions and powers; otherwise behave as Jinja does."""
            if operator == "*":
                for seq, count in ((left, right), (right, left)):
                    if (
                        isinstance(seq, str | list | tuple)
                        and isinstance(count, int)
                        and count * max(len(seq), 1) > _MAX_REPEAT
                    ):
                        raise SecurityError(f"repetition larger than {_MAX_REPEAT} items")
            if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
                raise SecurityError(f"exponent larger than {_MAX_EXPONENT}")
            return super().call_binop(context, operator, left, right)

    env = _GuardedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    # Jinja's own tojson HTML-escapes <, >, & and ' for safe embedding in HTML; outputs
    # here are JSON for machines, so they must stay exactly as the value is.
    env.filters["tojson"] = _tojson
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
    return env


@lru_cache(maxsize=256)
def compile_template(source: str) -> jinja2.Template:
    """Compile ``source`` once (cached).

    Raises:
        TemplateError: a syntax error, with its line.
    """
    environment = _environment()
    import jinja2  # loaded by _environment(); this only binds the name

    try:
        return environment.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error on line {exc.lineno}: {exc.message}") from None


def check_template(source: str) -> str | None:
    """The syntax error of ``source``, or ``None`` when it compiles."""
    try:
        compile_template(source)
    except TemplateError as exc:
        return str(exc)
    return None


def template_context(
    arguments: Mapping[str, Any] | None,
    *,
    call_id: str = "",
    name: str = "",
    variables: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The names a template sees: each argument, ``args``, ``call`` and ``vars``."""
    args = dict(arguments or {})
    context: dict[str, Any] = {
        key: value for key, value in args.items() if isinstance(key, str) and key.isidentifier()
    }
    context["args"] = args
    context["call"] = {"id": call_id, "name": name}
    context["vars"] = dict(variables or {})
    return context


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render ``source`` with ``context``.

    Raises:
        TemplateError: syntax errors, undefined names (listing what is available),
            sandbox violations and runtime errors inside the template.
    """
    template = compile_template(source)
    import jinja2  # loaded by compile_template(); this only binds the name
    from jinja2.exceptions import SecurityError

    try:
        return template.render(dict(context))
    except jinja2.UndefinedError as exc:
        available = ", ".join(sorted(context.get("args", {}))) or "none"
        variables = ", ".join(sorted(context.get("vars", {}))) or "none"
        # Jinja words a missing key as "'dict object' has no attribute 'x'"; name it plainly.
        detail = re.sub(
            r"'dict object' has no attribute '([^']*)'", r"'\1' is missing", exc.message or ""
        )
        raise TemplateError(
            f"template uses an undefined value: {detail} "
            f"(arguments of this call: {available}; variables: {variables})"
        ) from None
    except SecurityError as exc:
        raise TemplateError(f"template blocked by the sandbox: {exc}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateError(f"template failed: {type(exc).__name__}: {exc}") from None
