"""Function tool definitions: what the model may call and with which JSON-Schema parameters."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


def _empty_parameters() -> dict[str, Any]:
    return {"type": "object", "properties": {}, "required": []}


@dataclass(frozen=True, slots=True)
class ToolDefinition:
    """One function tool as the model sees it.

    Attributes:
        name: function name the model calls (``function_call_judge``).
        description: when the model should call it.
        parameters: JSON Schema of the arguments object. Treated as immutable: edit a
            copy (:meth:`with_parameters`), never the dict in place.
    """

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=_empty_parameters)

    def to_realtime(self) -> dict[str, Any]:
        """The flat NavTalk/OpenAI Realtime shape sent in ``realtime.input_function_call``."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }

    def with_parameters(self, parameters: dict[str, Any]) -> ToolDefinition:
        """A copy with a deep copy of ``parameters``."""
        return ToolDefinition(self.name, self.description, copy.deepcopy(parameters))

    def copy(self) -> ToolDefinition:
        """A deep copy (the parameters dict is not shared)."""
        return self.with_parameters(self.parameters)

    def property_names(self) -> list[str]:
        """Top-level argument names, in schema order."""
        properties = self.parameters.get("properties")
        return list(properties) if isinstance(properties, dict) else []
