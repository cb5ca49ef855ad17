"""Sample arguments built from a tool's JSON Schema (for previews and test calls)."""

from __future__ import annotations

from typing import Any

# Deep or recursive schemas ($ref loops are not followed) stop here.
_MAX_DEPTH = 6


def sample_arguments(parameters: dict[str, Any]) -> dict[str, Any]:
    """Plausible arguments for a tool: defaults, first enum values, else typed placeholders.

    Every declared property is filled (not only the required ones), so a template preview
    shows each argument. The result always validates against simple schemas; schemas with
    patterns, formats or bounds may need editing by hand.
    """
    value = sample_value(parameters, "arguments", 0)
    return value if isinstance(value, dict) else {}


def sample_value(schema: Any, name: str, depth: int = 0) -> Any:
    """A sample value for ``schema``; ``name`` (the property name) makes strings readable."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    for keyword in ("anyOf", "oneOf"):
        options = schema.get(keyword)
        if isinstance(options, list) and options:
            return sample_value(options[0], name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None and isinstance(schema.get("properties"), dict):
        kind = "object"
    match kind:
        case "object":
            properties = schema.get("properties")
            if not isinstance(properties, dict):
                return {}
            return {key: sample_value(child, key, depth + 1) for key, child in properties.items()}
        case "array":
            item = sample_value(schema.get("items"), name, depth + 1)
            return [] if item is None else [item]
        case "integer":
            minimum = schema.get("minimum")
            return int(minimum) if isinstance(minimum, int | float) else 1
        case "number":
            minimum = schema.get("minimum")
            return float(minimum) if isinstance(minimum, int | float) else 1.5
        case "boolean":
            return True
        case "string":
            return f"sample {name}"
        case "null":
            return None
    return f"sample {name}"
