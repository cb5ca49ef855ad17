"""The limits every template render runs under: a deadline and a size cap, inside Jinja's sandbox.

Jinja's immutable sandbox stops code execution but not resource use: ``'x'|center(300000000)``
allocates 300 MB and nested ``range`` loops spin forever. This module holds the guarded
environment used everywhere a user template is rendered:

* widths, counts and repetitions that would build a string or list larger than the render's
  size limit are refused *before* anything is allocated (``center``, ``indent``, ``format``,
  ``%``, ``*``, ``+``, ``join``, ``replace``, ``batch``, ``slice``, ``str.ljust``…);
* ``range`` and the lists of the call's arguments check the render's deadline while a loop
  walks them, so nested loops stop cooperatively.

These guards make an in-process render stop in most cases; they are not the last line of
defence. The engine renders in a worker process that is killed when its budget is spent
(``infra.expression_worker``), and that process also has a memory limit.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from functools import wraps
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

# Used when a render does not say otherwise (previews, webhook URLs): 1 MB of text, 2 s.
DEFAULT_MAX_CHARS = 1_000_000
DEFAULT_TIME_S = 2.0
# Loops check the clock every this many items (cheap enough, fine-grained enough).
_TICK = 512
_MAX_EXPONENT = 1_000
_NUMBER = re.compile(r"\d+")


class RenderLimitError(Exception):
    """A render went past its deadline or size limit; the message says which and how much."""


class _State(threading.local):
    deadline: float = float("inf")
    time_s: float | None = None
    max_chars: int = DEFAULT_MAX_CHARS


_state = _State()


class limits:  # noqa: N801  (used as a context manager: ``with limits(…):``)
    """Set the deadline and size cap of the renders in this thread.

    Args:
        time_s: seconds from now until renders stop (``None``: no deadline).
        max_chars: the largest text or list a render may build.
    """

    def __init__(self, time_s: float | None, max_chars: int) -> None:
        self._time_s = time_s
        self._max_chars = max_chars
        self._saved: tuple[float, float | None, int] = (float("inf"), None, DEFAULT_MAX_CHARS)

    def __enter__(self) -> None:
        self._saved = (_state.deadline, _state.time_s, _state.max_chars)
        _state.deadline = float("inf") if self._time_s is None else time.monotonic() + self._time_s
        _state.time_s = self._time_s
        _state.max_chars = self._max_chars

    def __exit__(self, *exc: object) -> None:
        _state.deadline, _state.time_s, _state.max_chars = self._saved


def max_chars() -> int:
    """The size cap of renders in this thread."""
    return _state.max_chars


def check_deadline() -> None:
    """Raise :class:`RenderLimitError` when this thread's render is past its deadline."""
    if time.monotonic() > _state.deadline:
        raise RenderLimitError(
            f"template took longer than its {_state.time_s:g} s budget and was stopped"
        )


def _refuse_size(what: str, size: int) -> None:
    limit = _state.max_chars
    if size > limit:
        raise RenderLimitError(f"{what} larger than the {limit:,} characters allowed ({size:,})")


class BudgetedRange:
    """``range`` as templates see it: at most 100,000 items, and loops over it watch the clock."""

    def __init__(self, *args: int) -> None:
        self._range = range(*args)
        if len(self._range) > 100_000:
            raise RenderLimitError(
                f"range of {len(self._range):,} items; templates allow at most 100,000"
            )

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, index: int) -> int:
        return self._range[index]

    def __contains__(self, item: object) -> bool:
        return item in self._range

    def __iter__(self) -> Iterator[int]:
        return _ticking(iter(self._range))

    def __reversed__(self) -> Iterator[int]:
        return _ticking(reversed(self._range))

    def __repr__(self) -> str:
        return repr(self._range)


class BudgetedList(list[Any]):
    """A list from the call's arguments whose loops watch the clock (``json.dumps`` is unaffected)."""

    def __iter__(self) -> Iterator[Any]:
        return _ticking(super().__iter__())


def _ticking(items: Iterator[Any]) -> Iterator[Any]:
    for count, item in enumerate(items):
        if count % _TICK == 0:
            check_deadline()
        yield item


def budgeted(value: Any) -> Any:
    """``value`` with every list replaced by a :class:`BudgetedList` (dicts copied)."""
    if isinstance(value, dict):
        return {key: budgeted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return BudgetedList(budgeted(item) for item in value)
    return value


# ------------------------------------------------------------------ size checks


def _width(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _check_format(fmt: Any, args: tuple[Any, ...]) -> None:
    """Refuse ``%`` / ``str.format`` patterns whose field widths exceed the size cap."""
    if not isinstance(fmt, str):
        return
    for number in _NUMBER.findall(fmt):
        if len(number) > 12 or int(number) > _state.max_chars:
            _refuse_size("formatted text", int(number[:13]))
    # Widths can also come from the arguments: "%*s" % (n, x), "{:{}}".format(x, n).
    if "*" in fmt or "{:{" in fmt or "{}}" in fmt:
        for arg in args:
            _refuse_size("formatted text", _width(arg))


def _check_join(items: Any, separator: Any) -> list[Any]:
    listed = list(items)
    if isinstance(separator, str):
        _refuse_size("joined text", len(separator) * max(len(listed) - 1, 0))
    return listed


def _check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        hits = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        _refuse_size("replaced text", len(text) + hits * max(len(new) - len(old), 0))


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Checks for ``'x'.center(n)`` and friends, called as methods inside templates."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in ("center", "ljust", "rjust", "zfill"):
        _refuse_size(f"str.{name}()", _width(args[0] if args else kwargs.get("width")))
    elif name == "expandtabs":
        size = _width(args[0] if args else kwargs.get("tabsize", 8))
        _refuse_size("str.expandtabs()", len(owner) + owner.count("\t") * size)
    elif name in ("format", "format_map"):
        _check_format(owner, args + tuple(kwargs.values()))
    elif name == "join" and args and isinstance(args[0], list | tuple | BudgetedRange | str):
        _check_join(args[0], owner)  # iterators are left alone: checking would consume them
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, *args[:3])


def _guard_filter(
    function: Callable[..., Any], check: Callable[..., None], *, skip: int = 0
) -> Callable[..., Any]:
    """``function`` with ``check`` run on its arguments first (``skip`` leading context args)."""

    @wraps(function)  # keeps Jinja's pass_context / pass_eval_context marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        check(*args[skip:], **kwargs)
        return function(*args, **kwargs)

    return guarded


def _center(value: Any, width: Any = 80) -> None:
    _refuse_size("center()", _width(width))


def _indent(value: Any, width: Any = 4, *rest: Any, **kwargs: Any) -> None:
    lines = str(value).count("\n") + 1
    per_line = len(width) if isinstance(width, str) else _width(width)
    _refuse_size("indent()", len(str(value)) + lines * per_line)


def _filter_format(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_format(value, args + tuple(kwargs.values()))


def _batch(value: Any, linecount: Any, fill_with: Any = None) -> None:
    if fill_with is not None:
        _refuse_size("batch()", _width(linecount))


def _slice(value: Any, slices: Any, fill_with: Any = None) -> None:
    _refuse_size("slice()", _width(slices))


def _replace(value: Any, old: Any, new: Any, count: Any = None) -> None:
    _check_replace(str(value), str(old), str(new), -1 if count is None else count)


def _join(value: Any, d: Any = "", attribute: Any = None) -> None:
    if isinstance(value, list | tuple | BudgetedRange | str):
        _check_join(value, d)


def guarded_environment(tojson: Callable[[Any], str]) -> ImmutableSandboxedEnvironment:
    """The sandbox every user template renders in (see the module docstring)."""
    import jinja2  # deferred: ~25 ms, loaded when the first template is compiled
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _GuardedEnvironment(ImmutableSandboxedEnvironment):
        """The immutable sandbox, plus size limits on operators and calls."""

        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            """Refuse results larger than the size cap; otherwise behave as Jinja does."""
            if operator == "*":
                for seq, count in ((left, right), (right, left)):
                    if isinstance(seq, str | list | tuple) and isinstance(count, int):
                        _refuse_size("repetition", count * max(len(seq), 1))
            elif operator == "+":
                if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                    _refuse_size("concatenation", len(left) + len(right))
            elif operator == "%":
                _check_format(left, right if isinstance(right, tuple) else (right,))
            elif operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
                raise SecurityError(f"exponent larger than {_MAX_EXPONENT}")
            return super().call_binop(context, operator, left, right)

        def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
            """``str.format`` as the sandbox wraps it, with field widths checked first."""
            wrapper = super().wrap_str_format(value)
            if wrapper is None:
                return None
            fmt = value.__self__

            def checked(*args: Any, **kwargs: Any) -> str:
                _check_format(fmt, args + tuple(kwargs.values()))
                return wrapper(*args, **kwargs)

            return checked

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            """Check sizes of string methods before calling them through the sandbox."""
            _check_call(__obj, args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

    env = _GuardedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.globals["range"] = BudgetedRange
    checks: dict[str, Callable[..., None]] = {
        "center": _center,
        "indent": _indent,
        "format": _filter_format,
        "batch": _batch,
        "slice": _slice,
        "replace": _replace,
        "join": _join,
    }
    for name, check in checks.items():
        original = env.filters[name]
        # Filters marked pass_context / pass_eval_context / pass_environment (or with an
        # async variant) get that object first; the checks look at the values after it.
        skip = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0
        env.filters[name] = _guard_filter(original, check, skip=skip)
    # Jinja's own tojson HTML-escapes <, >, & and ' for safe embedding in HTML; outputs
    # here are JSON for machines, so they must stay exactly as the value is.
    env.filters["tojson"] = tojson
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
    return env
