"""The JSON value type shared by tool schemas, responder outputs and file formats."""

from __future__ import annotations

import json
from typing import Any, TypeAlias

# Recursive aliases confuse some tools; ``Any`` inside containers keeps mypy --strict happy
# while still documenting intent at every signature that takes or returns JSON.
JsonValue: TypeAlias = str | int | float | bool | dict[str, Any] | list[Any] | None


def to_output_text(value: object) -> str:
    """Turn a responder's result into the string NavTalk expects as ``output``.

    Strings pass through unchanged; every other JSON value is serialised compactly.

    Raises:
        TypeError: the value is not JSON (e.g. bytes, a set, an arbitrary object), with a
            message naming the offending type.
    """
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"result of type {type(value).__name__} cannot be sent as output: {exc}"
        ) from exc
