"""Sandboxed Jinja rendering for template responders, webhook URLs, headers and bodies.

User templates may come from imported files, so they run in Jinja's immutable sandbox
(no attribute access to internals, no mutation) with ``StrictUndefined``: a misspelt
argument is an error that names it, never a silently empty answer. Every render has a
deadline and a size cap (:mod:`.template_limits`); the engine renders through an
:class:`~navtalk_desktop.core.responders.sandbox.ExpressionSandbox`, off its event loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.responders.template_limits import (
    DEFAULT_MAX_CHARS,
    DEFAULT_TIME_S,
    RenderLimitError,
    budgeted,
    check_deadline,
    guarded_environment,
    limits,
)

# jinja2 costs ~25 ms to import: it is loaded when the first template is compiled,
# not at start-up.
if TYPE_CHECKING:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateError(ValueError):
    """A template could not be compiled or rendered; the message says why and where."""


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    return guarded_environment(_tojson)


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


class TemplateLimitError(TemplateError):
    """A render went past its time budget or output cap."""


def render(
    source: str,
    context: Mapping[str, Any],
    *,
    time_s: float | None = DEFAULT_TIME_S,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> str:
    """Render ``source`` with ``context``, within a deadline and a size cap.

    The output is streamed and rendering stops as soon as it passes ``max_chars``, so a
    huge answer is never built in full.

    Args:
        source: the template.
        context: the names it sees (see :func:`template_context`).
        time_s: deadline for loops over ``range`` and argument lists (``None``: none).
            Callers that render in-process without a sandbox (webhook URLs, headers and
            bodies) get the default, so a loop there ends after 2 s instead of never.
        max_chars: the largest output, and the largest string or list built on the way.

    Raises:
        TemplateLimitError: over the deadline or the size cap.
        TemplateError: syntax errors, undefined names (listing what is available),
            sandbox violations and runtime errors inside the template.
    """
    template = compile_template(source)
    import jinja2  # loaded by compile_template(); this only binds the name
    from jinja2.exceptions import SecurityError

    try:
        with limits(time_s, max_chars):
            size = 0
            chunks: list[str] = []
            for chunk in template.generate(budgeted(dict(context))):
                size += len(chunk)
                if size > max_chars:
                    raise TemplateLimitError(
                        f"template output is larger than the {max_chars:,} characters allowed "
                        "(stopped there)"
                    )
                chunks.append(chunk)
                check_deadline()
            return "".join(chunks)
    except TemplateError:
        raise
    except RenderLimitError as exc:
        text = str(exc)
        raise TemplateLimitError(
            text if text.startswith("template") else f"template stopped: {text}"
        ) from None
    except MemoryError:
        raise TemplateLimitError("template stopped: it needed more memory than allowed") from None
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
