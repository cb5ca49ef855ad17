"""Checking a call's arguments against its tool's JSON Schema (``jsonschema``)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.tools.definition import ToolDefinition

# jsonschema costs ~50 ms to import: it is loaded when the first call is checked, not
# at start-up.
if TYPE_CHECKING:
    from jsonschema.protocols import Validator


class SchemaError(ValueError):
    """The tool's parameter schema itself is not a valid JSON Schema."""


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Validator:
    import jsonschema  # deferred: see the TYPE_CHECKING import
    import jsonschema.exceptions
    import jsonschema.validators

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        raise SchemaError(f"{error.message} (at {error.json_path})") from None
    return cls(schema)


def argument_violations(tool: ToolDefinition, arguments: dict[str, Any]) -> list[str]:
    """Every way ``arguments`` break ``tool.parameters``, as readable lines.

    Each line is ``<JSON path>: <message>`` (``$.city: 3 is not of type 'string'``),
    sorted by path so the result is stable.

    Raises:
        SchemaError: when the tool's schema is invalid (the caller turns it into a warning).
    """
    try:
        schema_json = json.dumps(tool.parameters, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise SchemaError(f"parameters are not JSON: {error}") from None
    validator = _validator(schema_json)
    errors = sorted(validator.iter_errors(arguments), key=lambda e: (e.json_path, e.message))
    return [f"{error.json_path}: {error.message}" for error in errors]
