"""ParameterEditor: a tree + form editor for a tool's JSON-Schema ``parameters`` object."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.tools.parameter_schema import (
    PARAMETER_TYPES,
    SchemaPath,
    add_property,
    ancestors,
    child_object_path,
    format_default,
    format_enum,
    move_property,
    node_at,
    parent_object,
    parse_default,
    parse_enum,
    remove_property,
    rename_property,
    set_required,
    set_type,
    type_label,
)
from navtalk_desktop.ui.shell.theme import colors

PATH_ROLE = Qt.ItemDataRole.UserRole + 1

COLUMN_NAME, COLUMN_TYPE, COLUMN_REQUIRED, COLUMN_DESCRIPTION = range(4)


class ParameterEditor(QWidget):
    """Edits a JSON-Schema ``parameters`` object: a tree of properties and a detail form.

    The editor keeps keys it does not show (``format``, ``minimum``, ``$ref`` …) untouched,
    so editing through the form never loses what the raw JSON contains. Every change emits
    :attr:`parameters_changed` with a full copy; the owner turns it into an (undoable)
    edit of the tool in the core editor model. :meth:`set_parameters` replaces the shown
    schema without emitting, keeping the selected row and expanded branches.

    Signals:
        parameters_changed(object): the user changed the schema; argument is the new schema
            (a dict, sent as a Python object: a Qt map would sort its keys and lose the
            parameter order).
    """

    parameters_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._schema: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        self._loading = False

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("parameter_tree")
        self.tree.setAccessibleName("Parameters")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Parameter", "Type", "Req.", "Description"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setToolTip(
            "Parameters the model fills in. Objects and arrays nest: select one and use\n"
            "“Add child” to declare its properties or item type."
        )
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(COLUMN_NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COLUMN_TYPE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COLUMN_REQUIRED, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(COLUMN_NAME, 150)
        header.resizeSection(COLUMN_TYPE, 110)
        header.resizeSection(COLUMN_REQUIRED, 40)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)

        self.add_button = QPushButton("Add parameter", self)
        self.add_button.setToolTip("Add a top-level parameter")
        self.add_child_button = QPushButton("Add child", self)
        self.add_child_button.setToolTip(
            "Add a property to the selected object (or to its array's item object)"
        )
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Remove the selected parameter")
        self.up_button = QPushButton("▲", self)
        self.up_button.setToolTip("Move the selected parameter up")
        self.down_button = QPushButton("▼", self)
        self.down_button.setToolTip("Move the selected parameter down")
        for button in (self.up_button, self.down_button):
            button.setFixedWidth(button.fontMetrics().horizontalAdvance("▲") + 24)
        self.add_button.clicked.connect(self.add_parameter)
        self.add_child_button.clicked.connect(self.add_child)
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))

        # Detail form of the selected row.
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("parameter_name")
        self.name_edit.setAccessibleName("Parameter name")
        self.name_edit.setPlaceholderText("e.g. city")
        self.name_edit.setToolTip("Property name the model uses in the arguments object")
        self.type_combo = QComboBox(self)
        self.type_combo.setObjectName("parameter_type")
        self.type_combo.addItems(PARAMETER_TYPES)
        self.type_combo.setToolTip("JSON type of the value")
        self.required_check = QCheckBox("Required", self)
        self.required_check.setObjectName("parameter_required")
        self.required_check.setToolTip("The model must always supply this parameter")
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setObjectName("parameter_description")
        self.description_edit.setPlaceholderText("What the value means; the model reads this")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.enum_edit = QLineEdit(self)
        self.enum_edit.setObjectName("parameter_enum")
        self.enum_edit.setPlaceholderText("e.g. celsius, fahrenheit  (empty: any value)")
        self.enum_edit.setToolTip(
            'Allowed values, comma-separated, or a JSON array such as ["a, b", "c"]'
        )
        self.default_edit = QLineEdit(self)
        self.default_edit.setObjectName("parameter_default")
        self.default_edit.setPlaceholderText("(no default)")
        self.default_edit.setToolTip("Default value; JSON for numbers, booleans, arrays, objects")
        self.field_error = QLabel(self)
        self.field_error.setObjectName("parameter_error")
        self.field_error.setWordWrap(True)
        self.field_error.hide()

        self.name_edit.editingFinished.connect(self._on_name_edited)
        self.type_combo.activated.connect(self._on_type_chosen)
        self.required_check.toggled.connect(self._on_required_toggled)
        self.description_edit.textChanged.connect(self._on_description_edited)
        self.enum_edit.editingFinished.connect(self._on_enum_edited)
        self.default_edit.editingFinished.connect(self._on_default_edited)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.add_child_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)

        self.form = QWidget(self)
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 4, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        name_row = QHBoxLayout()
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(self.type_combo)
        name_row.addWidget(self.required_check)
        form.addRow("Name", name_row)
        form.addRow("Description", self.description_edit)
        form.addRow("Enum", self.enum_edit)
        form.addRow("Default", self.default_edit)
        form.addRow(self.field_error)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(4)
        top_layout.addWidget(self.tree, 1)
        top_layout.addLayout(buttons)
        self.tree.setMinimumHeight(self.fontMetrics().height() * 5)
        # The user decides how much room the tree and the selected row's form get.
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(self.form)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)

        self.setTabOrder(self.tree, self.add_button)
        self.setTabOrder(self.add_button, self.add_child_button)
        self.setTabOrder(self.add_child_button, self.remove_button)
        self.setTabOrder(self.remove_button, self.up_button)
        self.setTabOrder(self.up_button, self.down_button)
        self.setTabOrder(self.down_button, self.name_edit)
        self.setTabOrder(self.name_edit, self.type_combo)
        self.setTabOrder(self.type_combo, self.required_check)
        self.setTabOrder(self.required_check, self.description_edit)
        self.setTabOrder(self.description_edit, self.enum_edit)
        self.setTabOrder(self.enum_edit, self.default_edit)
        self._rebuild(select=None)

    # ------------------------------------------------------------------ public API
    def parameters(self) -> dict[str, Any]:
        """A copy of the schema being edited."""
        return copy.deepcopy(self._schema)

    def set_parameters(self, schema: dict[str, Any]) -> None:
        """Show ``schema``; keeps the selected row when it still exists. Emits nothing."""
        if schema == self._schema:
            return
        selected = self.selected_path()
        expanded = self._expanded_paths()
        self._schema = copy.deepcopy(schema) if isinstance(schema, dict) else {}
        self._rebuild(select=selected, expanded=expanded)

    def selected_path(self) -> SchemaPath | None:
        """Schema path of the selected row (None when nothing is selected)."""
        item = self.tree.currentItem()
        return None if item is None else tuple(item.data(COLUMN_NAME, PATH_ROLE))

    def select_path(self, path: SchemaPath) -> bool:
        """Select the row at ``path`` (or its closest existing ancestor). Returns success."""
        while path:
            item = self._find_item(path)
            if item is not None:
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return True
            path = path[:-1]
        return False

    def select_parameter(self, dotted: str) -> bool:
        """Select a property by dotted name (``"address.city"``; ``[]`` steps into items)."""
        path: list[str] = []
        for part in dotted.replace("[]", ".[]").split("."):
            if not part:
                continue
            path.extend(["items"] if part == "[]" else ["properties", part])
        return self.select_path(tuple(path))

    @Slot()
    def add_parameter(self) -> None:
        """Add a new string parameter at the top level and select it."""
        self._add_property(())

    @Slot()
    def add_child(self) -> None:
        """Add a property to the selected object (or its array's item object)."""
        path = self.selected_path()
        if path is None:
            self._add_property(())
            return
        target = child_object_path(self._schema, path)
        if target is None:
            self._show_field_error("Only object parameters (or arrays of objects) have children")
            return
        self._add_property(target)

    @Slot()
    def remove_selected(self) -> None:
        """Remove the selected property (items rows cannot be removed, only retyped)."""
        path = self.selected_path()
        if path is None:
            return
        try:
            select = remove_property(self._schema, path)
        except ValueError as error:
            self._show_field_error(str(error))
            return
        self._changed(select=select)

    def move_selected(self, offset: int) -> None:
        """Move the selected property up (-1) or down (+1) among its siblings."""
        path = self.selected_path()
        if path is not None and move_property(self._schema, path, offset):
            self._changed(select=path)

    # ------------------------------------------------------------------ tree
    def _rebuild(self, select: SchemaPath | None, expanded: set[SchemaPath] | None = None) -> None:
        self._loading = True
        try:
            self.tree.clear()
            self._add_children(self.tree.invisibleRootItem(), (), self._schema)
            if expanded is None:
                self.tree.expandAll()
            else:
                for path in expanded:
                    item = self._find_item(path)
                    if item is not None:
                        item.setExpanded(True)
        finally:
            self._loading = False
        if select is None or not self.select_path(select):
            first = self.tree.topLevelItem(0)
            if first is not None:
                self.tree.setCurrentItem(first)
        self._load_form()

    def _add_children(self, parent: QTreeWidgetItem, path: SchemaPath, node: Any) -> None:
        if not isinstance(node, dict):
            return
        properties = node.get("properties")
        declared = node.get("required")
        required: list[Any] = declared if isinstance(declared, list) else []
        if isinstance(properties, dict):
            for name, child in properties.items():
                child_path = (*path, "properties", name)
                item = self._make_item(name, child_path, child, name in required)
                parent.addChild(item)
                self._add_children(item, child_path, child)
        items = node.get("items")
        if path and isinstance(items, dict):
            child_path = (*path, "items")
            item = self._make_item("[items]", child_path, items, None)
            item.setForeground(COLUMN_NAME, QColor(colors(self.palette()).muted_text))
            parent.addChild(item)
            self._add_children(item, child_path, items)

    def _make_item(
        self, name: str, path: SchemaPath, schema: Any, required: bool | None
    ) -> QTreeWidgetItem:
        schema = schema if isinstance(schema, dict) else {}
        description = str(schema.get("description", "")).replace("\n", " ")
        item = QTreeWidgetItem(
            [
                name,
                type_label(schema),
                "" if required is None else ("✓" if required else ""),
                description,
            ]
        )
        item.setData(COLUMN_NAME, PATH_ROLE, list(path))
        item.setTextAlignment(COLUMN_REQUIRED, Qt.AlignmentFlag.AlignCenter)
        item.setToolTip(COLUMN_DESCRIPTION, description)
        return item

    def _find_item(self, path: SchemaPath) -> QTreeWidgetItem | None:
        wanted = list(path)
        for item in self._all_items():
            if item.data(COLUMN_NAME, PATH_ROLE) == wanted:
                return item
        return None

    def _all_items(self) -> list[QTreeWidgetItem]:
        result: list[QTreeWidgetItem] = []
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item is None:
                continue
            result.append(item)
            stack.extend(item.child(i) for i in range(item.childCount()))
        return result

    def _expanded_paths(self) -> set[SchemaPath]:
        return {
            tuple(item.data(COLUMN_NAME, PATH_ROLE))
            for item in self._all_items()
            if item.isExpanded()
        }

    # ------------------------------------------------------------------ form
    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_tree_current_changed(
        self, current: QTreeWidgetItem | None, previous: QTreeWidgetItem | None
    ) -> None:
        del current, previous
        if not self._loading:
            self._load_form()

    def _load_form(self) -> None:
        path = self.selected_path()
        self._show_field_error("")
        blockers = [
            QSignalBlocker(widget)
            for widget in (
                self.name_edit,
                self.type_combo,
                self.required_check,
                self.description_edit,
                self.enum_edit,
                self.default_edit,
            )
        ]
        try:
            if path is None:
                for widget in (self.name_edit, self.enum_edit, self.default_edit):
                    widget.clear()
                self.description_edit.clear()
                self.required_check.setChecked(False)
                self.form.setEnabled(False)
                self._update_buttons(None, {})
                return
            node = node_at(self._schema, path)
            owner = parent_object(self._schema, path)
            self.form.setEnabled(True)
            self.name_edit.setText(path[-1] if owner is not None else "[items]")
            self.name_edit.setEnabled(owner is not None)
            kind = node.get("type")
            index = self.type_combo.findText(kind) if isinstance(kind, str) else -1
            if index < 0:
                # A custom or union type ("string | null"): editable in the JSON tab only.
                self.type_combo.setCurrentIndex(-1)
                self.type_combo.setPlaceholderText(type_label(node))
            else:
                self.type_combo.setCurrentIndex(index)
            required = owner.get("required") if owner is not None else None
            self.required_check.setEnabled(owner is not None)
            self.required_check.setChecked(isinstance(required, list) and path[-1] in required)
            self.description_edit.setPlainText(str(node.get("description", "")))
            self.enum_edit.setText(format_enum(node.get("enum")))
            self.default_edit.setText(format_default(node))
            self._update_buttons(path, node)
        finally:
            del blockers

    def _update_buttons(self, path: SchemaPath | None, node: dict[str, Any]) -> None:
        has_owner = path is not None and parent_object(self._schema, path) is not None
        self.remove_button.setEnabled(has_owner)
        self.up_button.setEnabled(has_owner)
        self.down_button.setEnabled(has_owner)
        self.add_child_button.setEnabled(node.get("type") in ("object", "array"))

    @Slot()
    def _on_name_edited(self) -> None:
        path = self.selected_path()
        if path is None:
            return
        owner = parent_object(self._schema, path)
        old = path[-1]
        new = self.name_edit.text().strip()
        if owner is None or new == old:
            return
        try:
            rename_property(owner, old, new)
        except ValueError as error:
            self._show_field_error(str(error))
            self.name_edit.setText(old)
            return
        self._changed(select=(*path[:-1], new))

    @Slot(int)
    def _on_type_chosen(self, index: int) -> None:
        path = self.selected_path()
        if path is None or index < 0:
            return
        if set_type(node_at(self._schema, path), PARAMETER_TYPES[index]):
            self._changed(select=path)

    @Slot(bool)
    def _on_required_toggled(self, checked: bool) -> None:
        path = self.selected_path()
        if path is None:
            return
        owner = parent_object(self._schema, path)
        if owner is None:
            return
        set_required(owner, path[-1], checked)
        self._changed(select=path, rebuild=False)
        item = self.tree.currentItem()
        if item is not None:
            item.setText(COLUMN_REQUIRED, "✓" if checked else "")

    @Slot()
    def _on_description_edited(self) -> None:
        path = self.selected_path()
        if path is None:
            return
        node = node_at(self._schema, path)
        text = self.description_edit.toPlainText()
        if text:
            node["description"] = text
        else:
            node.pop("description", None)
        item = self.tree.currentItem()
        if item is not None:
            item.setText(COLUMN_DESCRIPTION, text.replace("\n", " "))
            item.setToolTip(COLUMN_DESCRIPTION, text)
        self._changed(select=path, rebuild=False)

    @Slot()
    def _on_enum_edited(self) -> None:
        path = self.selected_path()
        if path is None:
            return
        node = node_at(self._schema, path)
        try:
            values = parse_enum(self.enum_edit.text(), str(node.get("type", "string")))
        except ValueError as error:
            self._show_field_error(str(error))
            return
        if values == node.get("enum"):
            self._show_field_error("")
            return
        if values is None:
            node.pop("enum", None)
        else:
            node["enum"] = values
        self._changed(select=path, rebuild=False)

    @Slot()
    def _on_default_edited(self) -> None:
        path = self.selected_path()
        if path is None:
            return
        node = node_at(self._schema, path)
        try:
            present, value = parse_default(
                self.default_edit.text(), str(node.get("type", "string"))
            )
        except ValueError as error:
            self._show_field_error(str(error))
            return
        if present == ("default" in node) and (not present or node["default"] == value):
            self._show_field_error("")
            return
        if present:
            node["default"] = value
        else:
            node.pop("default", None)
        self._changed(select=path, rebuild=False)

    # ------------------------------------------------------------------ helpers
    def _add_property(self, object_path: SchemaPath) -> None:
        self._changed(select=add_property(self._schema, object_path))
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _changed(self, select: SchemaPath | None, rebuild: bool = True) -> None:
        self._show_field_error("")
        if rebuild:
            self._rebuild(select=select, expanded=self._expanded_paths() | ancestors(select))
        self.parameters_changed.emit(copy.deepcopy(self._schema))

    def _show_field_error(self, message: str) -> None:
        self.field_error.setText(message)
        self.field_error.setStyleSheet(f"QLabel {{ color: {colors(self.palette()).error}; }}")
        self.field_error.setVisible(bool(message))
