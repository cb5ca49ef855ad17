"""ArgumentsForm: one field per parameter of a tool's schema, for test-call arguments."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

# Spin boxes need bounds; JSON numbers have none worth showing.
_INT_RANGE = 2**31 - 1


class ArgumentsForm(QWidget):
    """A form generated from a JSON Schema object (as MCP Inspector offers for tools).

    Strings get a line edit, integers and numbers a spin box, booleans a check box, an
    ``enum`` a drop-down; objects and arrays a line edit holding JSON. Required
    parameters are marked with ``*``. The form and the JSON text mirror each other: the
    owner calls :meth:`set_values` with what the text holds, and gets every edit made
    here from :attr:`values_edited` (the whole arguments object).

    Signals:
        values_edited(object): the user changed a field; the argument is the new dict.
    """

    values_edited = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("test_arguments_form")
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._fields: dict[str, QWidget] = {}
        self._schemas: dict[str, dict[str, Any]] = {}
        self._values: dict[str, Any] = {}
        self._setting = False
        self.empty_label = QLabel("This tool has no parameters.", self)
        self._layout.addRow(self.empty_label)

    @property
    def fields(self) -> dict[str, QWidget]:
        """The field of each parameter, by name."""
        return dict(self._fields)

    def set_schema(self, schema: dict[str, Any]) -> None:
        """Build one field per property of ``schema`` (a JSON Schema object)."""
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self._fields = {}
        properties = schema.get("properties") if isinstance(schema, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required", []) if isinstance(schema, dict) else []
        self._schemas = {k: v for k, v in properties.items() if isinstance(v, dict)}
        if not self._schemas:
            self.empty_label = QLabel("This tool has no parameters.", self)
            self._layout.addRow(self.empty_label)
            return
        for name, prop in self._schemas.items():
            field = self._make_field(name, prop)
            field.setObjectName(f"argument_{name}")
            label = f"{name}{' *' if name in required else ''}:"
            field.setAccessibleName(f"Argument {name}")
            description = prop.get("description")
            field.setToolTip(
                (description if isinstance(description, str) else "")
                + (" (required)" if name in required else "")
            )
            self._fields[name] = field
            self._layout.addRow(label, field)
        self.set_values(self._values)

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values`` in the fields (emits nothing)."""
        self._values = dict(values)
        self._setting = True
        try:
            for name, field in self._fields.items():
                _show(field, values.get(name))
        finally:
            self._setting = False

    def _make_field(self, name: str, prop: dict[str, Any]) -> QWidget:
        kind = prop.get("type")
        enum = prop.get("enum")
        field: QWidget
        if isinstance(enum, list) and enum:
            combo = QComboBox(self)
            for option in enum:
                combo.addItem(json.dumps(option) if not isinstance(option, str) else option, option)
            combo.currentIndexChanged.connect(
                lambda _i, n=name, c=combo: self._edited(n, c.currentData())
            )
            field = combo
        elif kind == "boolean":
            check = QCheckBox(self)
            check.toggled.connect(lambda on, n=name: self._edited(n, on))
            field = check
        elif kind == "integer":
            spin = QSpinBox(self)
            spin.setRange(-_INT_RANGE, _INT_RANGE)
            spin.valueChanged.connect(lambda v, n=name: self._edited(n, v))
            field = spin
        elif kind == "number":
            dspin = QDoubleSpinBox(self)
            dspin.setRange(-1e12, 1e12)
            dspin.setDecimals(4)
            dspin.valueChanged.connect(lambda v, n=name: self._edited(n, v))
            field = dspin
        else:
            edit = QLineEdit(self)
            if kind in ("object", "array"):
                edit.setPlaceholderText("JSON")
                edit.textEdited.connect(lambda t, n=name: self._edited_json(n, t))
            else:
                edit.textEdited.connect(lambda t, n=name: self._edited(n, t))
            field = edit
        return field

    def _edited_json(self, name: str, text: str) -> None:
        try:
            value = json.loads(text)
        except ValueError:
            return  # not yet valid: the JSON view keeps the last good value
        self._edited(name, value)

    @Slot()
    def _edited(self, name: str, value: Any) -> None:
        if self._setting:
            return
        self._values[name] = value
        self.values_edited.emit(dict(self._values))


def _show(field: QWidget, value: Any) -> None:
    if isinstance(field, QComboBox):
        index = field.findData(value)
        field.setCurrentIndex(max(index, 0) if value is not None else -1)
    elif isinstance(field, QCheckBox):
        field.setChecked(bool(value))
    elif isinstance(field, QSpinBox):
        field.setValue(int(value) if isinstance(value, int | float) else 0)
    elif isinstance(field, QDoubleSpinBox):
        field.setValue(float(value) if isinstance(value, int | float) else 0.0)
    elif isinstance(field, QLineEdit):
        if value is None:
            field.clear()
        elif isinstance(value, dict | list):
            field.setText(json.dumps(value, ensure_ascii=False))
        else:
            field.setText(str(value))


__all__ = ["ArgumentsForm"]
