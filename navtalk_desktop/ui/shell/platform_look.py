"""PlatformLook: the style and palette the desktop gave the app, and whether to keep them.

The workbench's own light and dark palettes (on Fusion) are the fallback: they are used
when the user picks Light or Dark, and under "Follow System" when the desktop offers
nothing better (no native style, or a colour scheme it does not report). A native
style with a known scheme, and any high-contrast setting, are kept as the desktop has
them: forcing Fusion and a fixed palette would undo what the user chose there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

# Styles that are Qt's own rather than the desktop's: nothing native to keep.
GENERIC_STYLES = frozenset({"fusion", "windows"})


def high_contrast_requested() -> bool:
    """Whether the desktop asks for high contrast (Qt 6.10+ reports it; else False)."""
    hints = QGuiApplication.styleHints()
    accessibility = getattr(hints, "accessibility", None)
    preference = getattr(Qt, "ContrastPreference", None)
    if accessibility is None or preference is None:
        return False
    return bool(accessibility().contrastPreference() == preference.HighContrast)


@dataclass(slots=True)
class PlatformLook:
    """What the desktop gave the app at start-up.

    Attributes:
        style: the style's name (``windows11``, ``macOS``, ``Fusion`` …).
        palette: the palette that came with it.
        high_contrast: asks whether the desktop wants high contrast now.
    """

    style: str
    palette: QPalette
    high_contrast: Callable[[], bool] = field(default=high_contrast_requested)

    @classmethod
    def capture(cls, app: QApplication) -> PlatformLook:
        """The look ``app`` has now (call before the app changes its style)."""
        return cls(app.style().name(), QPalette(app.palette()))

    @property
    def native(self) -> bool:
        """Whether the style is the desktop's own (not one of Qt's generic ones)."""
        return self.style.casefold() not in GENERIC_STYLES

    def keep(self, scheme: Qt.ColorScheme) -> bool:
        """Whether "Follow System" should keep this look rather than the app's palette."""
        if self.high_contrast():
            return True
        return self.native and scheme != Qt.ColorScheme.Unknown


__all__ = ["GENERIC_STYLES", "PlatformLook", "high_contrast_requested"]
