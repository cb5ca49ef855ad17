"""Accessible names for form fields, taken from the labels the user sees beside them."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

# "&Endpoint:" -> "Endpoint"; rich text and a trailing "*" (required) are dropped too.
_TAGS = re.compile(r"<[^>]+>")


def label_text(text: str) -> str:
    """The plain words of a form label: no mnemonic ``&``, markup, colon or ``*``."""
    plain = _TAGS.sub("", text).replace("&&", "\0").replace("&", "").replace("\0", "&")
    return plain.strip().rstrip(":*").strip()


def name_form_fields(root: QWidget) -> int:
    """Give every unnamed field of the form layouts under ``root`` its label's words.

    Screen readers name a field from a label only when the label is its buddy, which
    forms without mnemonics do not set; this makes the visible label the name.
    Returns how many fields were named.
    """
    named = 0
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label_item is None or field_item is None:
                continue
            label, field = label_item.widget(), field_item.widget()
            if not isinstance(label, QLabel) or field is None or field.accessibleName():
                continue
            words = label_text(label.text())
            if words:
                field.setAccessibleName(words)
                named += 1
    return named


__all__ = ["label_text", "name_form_fields"]
