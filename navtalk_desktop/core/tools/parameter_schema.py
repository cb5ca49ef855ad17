"""A tool's JSON-Schema ``parameters`` as the parameter editor shows and edits them (Qt-free).

Rows of the editor's tree are schema paths (``("properties", "city")``,
``("properties", "tags", "items")``; the empty path is the parameters object). The
functions here read and change the schema in place; keys the editor does not show
(``format``, ``minimum``, ``$ref`` …) are kept.
"""

from __future__ import annotations

import json
from typing import Any

PARAMETER_TYPES = ("string", "number", "integer", "boolean", "array", "object")
# Where a row's schema lives inside the parameters object.
SchemaPath = tuple[str, ...]


def node_at(schema: dict[str, Any], path: SchemaPath) -> dict[str, Any]:
    """The sub-schema at ``path`` (KeyError when the path does not exist)."""
    node: Any = schema
    for key in path:
        node = node[key]
    if not isinstance(node, dict):
        raise KeyError("/".join(path))
    return node


def parent_object(schema: dict[str, Any], path: SchemaPath) -> dict[str, Any] | None:
    """The object schema that declares the property at ``path`` (None for items rows)."""
    if len(path) < 2 or path[-2] != "properties":
        return None
    return node_at(schema, path[:-2])


def parse_enum(text: str, type_name: str) -> list[Any] | None:
    """Parse the enum field: a JSON array, or comma-separated values of ``type_name``.

    Returns None for an empty field (no enum). Raises ValueError with a readable message.
    """
    text = text.strip()
    if not text:
        return None
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"enum is not a valid JSON array: {error.msg}") from None
        if not isinstance(value, list):
            raise ValueError("enum must be a JSON array")
        return value
    items = [part.strip() for part in text.split(",")]
    return [parse_scalar(item, type_name, what="enum value") for item in items if item]


def parse_default(text: str, type_name: str) -> tuple[bool, Any]:
    """Parse the default field; returns ``(present, value)``. Raises ValueError."""
    if not text.strip():
        return False, None
    if type_name == "string":
        return True, text
    return True, parse_scalar(text.strip(), type_name, what="default")


def parse_scalar(text: str, type_name: str, what: str) -> Any:
    """Convert ``text`` to a value of ``type_name`` (JSON for arrays and objects)."""
    if type_name == "string":
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return json.loads(text)
        return text
    if type_name == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{what} {text!r} is not an integer") from None
    if type_name == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{what} {text!r} is not a number") from None
        return int(number) if number.is_integer() and "." not in text else number
    if type_name == "boolean":
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"{what} {text!r} is not true or false")
        return lowered == "true"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"{what} {text!r} is not valid JSON") from None


def format_enum(values: Any) -> str:
    """The enum field text for ``values`` (comma-separated when that is unambiguous)."""
    if not isinstance(values, list):
        return ""
    simple = all(
        isinstance(v, (int, float, bool))
        or (isinstance(v, str) and "," not in v and v.strip() == v and v)
        for v in values
    )
    if simple:
        return ", ".join(json.dumps(v) if isinstance(v, bool) else str(v) for v in values)
    return json.dumps(values, ensure_ascii=False)


def format_default(schema: dict[str, Any]) -> str:
    """The default field text of ``schema``."""
    if "default" not in schema:
        return ""
    value = schema["default"]
    if isinstance(value, str) and schema.get("type") == "string":
        return value
    return json.dumps(value, ensure_ascii=False)


def type_label(schema: dict[str, Any]) -> str:
    """The type shown in the tree ("string", "array of object", "string | null" …)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, dict) and isinstance(items.get("type"), str):
            return f"array of {items['type']}"
    if isinstance(kind, str):
        return kind
    return "(any)"


def add_property(schema: dict[str, Any], object_path: SchemaPath) -> SchemaPath:
    """Add a new string property (``param3``, ``field1`` …) to the object at ``object_path``."""
    node = node_at(schema, object_path)
    properties = node.get("properties")
    if not isinstance(properties, dict):
        properties = node["properties"] = {}
    if not object_path:
        node.setdefault("type", "object")
        node.setdefault("required", [])
    base = "param" if not object_path else "field"
    number = len(properties) + 1
    while f"{base}{number}" in properties:
        number += 1
    name = f"{base}{number}"
    properties[name] = {"type": "string", "description": ""}
    return (*object_path, "properties", name)


def child_object_path(schema: dict[str, Any], path: SchemaPath) -> SchemaPath | None:
    """Where children of the row at ``path`` go: the object itself or its array's items.

    An array whose items are not objects gets object items. None when the row can have
    no children (a scalar).
    """
    node = node_at(schema, path)
    if node.get("type") == "array":
        items = node.setdefault("items", {"type": "object"})
        if not isinstance(items, dict) or items.get("type") != "object":
            node["items"] = {"type": "object", "properties": {}}
        path = (*path, "items")
        node = node_at(schema, path)
    return path if node.get("type") == "object" else None


def remove_property(schema: dict[str, Any], path: SchemaPath) -> SchemaPath | None:
    """Remove the property at ``path``; returns the row to select next.

    Raises ValueError for an items row (it cannot be removed, only retyped).
    """
    owner = parent_object(schema, path)
    if owner is None:
        raise ValueError("The item type of an array cannot be removed; change its type")
    name = path[-1]
    properties = owner.get("properties", {})
    index = list(properties).index(name)
    del properties[name]
    if isinstance(owner.get("required"), list) and name in owner["required"]:
        owner["required"].remove(name)
    remaining = list(properties)
    if remaining:
        return (*path[:-1], remaining[min(index, len(remaining) - 1)])
    return path[:-2] or None


def move_property(schema: dict[str, Any], path: SchemaPath, offset: int) -> bool:
    """Move the property at ``path`` up (-1) or down (+1) among its siblings."""
    owner = parent_object(schema, path)
    if owner is None:
        return False
    properties: dict[str, Any] = owner.get("properties", {})
    keys = list(properties)
    index = keys.index(path[-1])
    target = index + offset
    if not 0 <= target < len(keys):
        return False
    keys[index], keys[target] = keys[target], keys[index]
    owner["properties"] = {key: properties[key] for key in keys}
    return True


def rename_property(owner: dict[str, Any], old: str, new: str) -> None:
    """Rename property ``old`` of the object schema ``owner`` (same position, still required).

    Raises ValueError for an empty or taken name.
    """
    properties: dict[str, Any] = owner.setdefault("properties", {})
    if not new:
        raise ValueError("A parameter needs a name")
    if new in properties:
        raise ValueError(f"There is already a parameter named {new!r} here")
    # Rebuild the dict so the renamed key keeps its position.
    owner["properties"] = {(new if key == old else key): value for key, value in properties.items()}
    required = owner.get("required")
    if isinstance(required, list) and old in required:
        required[required.index(old)] = new


def set_type(node: dict[str, Any], kind: str) -> bool:
    """Give ``node`` the type ``kind``; drops keywords and values that no longer fit.

    Returns False when it already had that type.
    """
    if node.get("type") == kind:
        return False
    node["type"] = kind
    # Keywords of the previous type would make the schema contradict itself.
    if kind != "object":
        for key in ("properties", "required", "additionalProperties"):
            node.pop(key, None)
    else:
        node.setdefault("properties", {})
    if kind != "array":
        node.pop("items", None)
    else:
        node.setdefault("items", {"type": "string"})
    if "default" in node and not fits(node["default"], kind):
        node.pop("default")
    enum = node.get("enum")
    if isinstance(enum, list) and not all(fits(value, kind) for value in enum):
        node.pop("enum")
    return True


def set_required(owner: dict[str, Any], name: str, required: bool) -> None:
    """Mark property ``name`` of ``owner`` required or not ("required" in declaration order)."""
    names = owner.get("required")
    if not isinstance(names, list):
        names = []
    if required and name not in names:
        # Keep "required" in declaration order: easier to read in the JSON.
        order = list(owner.get("properties", {}))
        names = sorted([*names, name], key=lambda n: order.index(n) if n in order else 1 << 30)
    elif not required and name in names:
        names = [n for n in names if n != name]
    owner["required"] = names


def ancestors(path: SchemaPath | None) -> set[SchemaPath]:
    """The paths above ``path`` (to expand so that it shows)."""
    # Prefixes that are not rows are harmless: no tree item has them as its path.
    return {path[:i] for i in range(1, len(path))} if path else set()


def fits(value: Any, kind: str) -> bool:
    """Whether ``value`` is of JSON-Schema type ``kind``."""
    checks: dict[str, Any] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    return bool(checks[kind](value))


__all__ = [
    "PARAMETER_TYPES",
    "SchemaPath",
    "add_property",
    "ancestors",
    "child_object_path",
    "fits",
    "format_default",
    "format_enum",
    "move_property",
    "node_at",
    "parent_object",
    "parse_default",
    "parse_enum",
    "parse_scalar",
    "remove_property",
    "rename_property",
    "set_required",
    "set_type",
    "type_label",
]
