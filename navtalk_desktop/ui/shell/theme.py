"""Light and dark palettes that follow the system colour scheme, plus semantic colours.

Qt 6.5+ reports the desktop's preference through ``QStyleHints.colorScheme``. Under
"Follow System" a native style with a known scheme, and any high-contrast setting, are
kept as the desktop has them (:mod:`~navtalk_desktop.ui.shell.platform_look`); otherwise,
and whenever Light or Dark is chosen, we apply a matching Fusion palette (the platform
styles ignore custom palettes on some desktops) and re-apply it when the system switches. Widgets that paint their own colours (timeline
directions, JSON syntax) ask :func:`colors` for the semantic set of the *current* palette
and refresh on ``QEvent.PaletteChange``, so no widget holds global theme state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QWidget,
)

from navtalk_desktop.ui.shell.platform_look import PlatformLook

THEME_PREFERENCES = ("system", "light", "dark")
# Lets screenshots and demos force a scheme without touching the desktop settings.
THEME_ENV = "NAVTALK_THEME"


@dataclass(frozen=True, slots=True)
class ThemeColors:
    """Semantic colours for one scheme (hex strings, usable in QColor and style sheets)."""

    dark: bool
    window: str
    base: str
    alternate_base: str
    text: str
    muted_text: str
    button: str
    accent: str
    accent_text: str
    inbound: str
    outbound: str
    local: str
    error: str
    warning: str
    success: str
    match_background: str
    json_key: str
    json_string: str
    json_number: str
    json_keyword: str
    json_punctuation: str
    toast_background: str
    toast_border: str
    indicator_border: str


LIGHT = ThemeColors(
    dark=False,
    window="#f3f4f6",
    base="#ffffff",
    alternate_base="#f7f8fa",
    text="#1f2328",
    muted_text="#646c76",
    button="#eceef1",
    accent="#2563eb",
    accent_text="#ffffff",
    inbound="#0b6bcb",
    outbound="#1a7f37",
    local="#8250df",
    error="#cf222e",
    warning="#9a6700",
    success="#1a7f37",
    match_background="#fff3b0",
    json_key="#0550ae",
    json_string="#0a3069",
    json_number="#953800",
    json_keyword="#8250df",
    json_punctuation="#57606a",
    toast_background="#ffffff",
    toast_border="#d0d7de",
    indicator_border="#8c959f",
)

DARK = ThemeColors(
    dark=True,
    window="#1e2127",
    base="#16181d",
    alternate_base="#1c1f25",
    text="#e6edf3",
    muted_text="#8d96a0",
    button="#2a2e36",
    accent="#4c8dff",
    accent_text="#ffffff",
    inbound="#58a6ff",
    outbound="#3fb950",
    local="#bc8cff",
    error="#ff7b72",
    warning="#d29922",
    success="#3fb950",
    match_background="#5a4a00",
    json_key="#79c0ff",
    json_string="#a5d6ff",
    json_number="#ffa657",
    json_keyword="#d2a8ff",
    json_punctuation="#8b949e",
    toast_background="#2a2e36",
    toast_border="#3d434d",
    indicator_border="#7d8590",
)


def colors(palette: QPalette | None = None) -> ThemeColors:
    """The semantic colours that fit ``palette`` (default: the application palette)."""
    if palette is None:
        palette = QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    return DARK if window.lightnessF() < 0.5 else LIGHT


def build_palette(theme: ThemeColors) -> QPalette:
    """A complete QPalette for ``theme`` (active, inactive and disabled groups)."""
    palette = QPalette()
    role = QPalette.ColorRole
    entries = {
        role.Window: theme.window,
        role.WindowText: theme.text,
        role.Base: theme.base,
        role.AlternateBase: theme.alternate_base,
        role.Text: theme.text,
        role.Button: theme.button,
        role.ButtonText: theme.text,
        role.BrightText: theme.error,
        role.Highlight: theme.accent,
        role.HighlightedText: theme.accent_text,
        role.ToolTipBase: theme.toast_background,
        role.ToolTipText: theme.text,
        role.PlaceholderText: theme.muted_text,
        role.Link: theme.accent,
        role.Light: "#ffffff" if not theme.dark else "#3a3f48",
        role.Midlight: "#e3e6ea" if not theme.dark else "#30343c",
        role.Mid: "#c4c9d0" if not theme.dark else "#262a31",
        role.Dark: "#9aa1ab" if not theme.dark else "#101216",
        role.Shadow: "#5c6370" if not theme.dark else "#000000",
    }
    for color_role, value in entries.items():
        palette.setColor(color_role, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for color_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, color_role, QColor(theme.muted_text))
    palette.setColor(disabled, role.Highlight, QColor(theme.muted_text))
    return palette


class WorkbenchStyle(QProxyStyle):
    """Fusion, with check box and radio button outlines that stay visible in dark mode.

    Fusion outlines indicators with the window colour darkened, which on a dark palette
    is almost the base colour they are filled with: an unticked box all but disappears.
    The outline is drawn again in a colour that contrasts with both. Item-view check
    boxes (the responder steps) go through the same primitive.
    """

    _OUTLINED = (
        QStyle.PrimitiveElement.PE_IndicatorCheckBox,
        QStyle.PrimitiveElement.PE_IndicatorRadioButton,
    )

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(  # noqa: N802  (Qt override)
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:  # Qt override
        super().drawPrimitive(element, option, painter, widget)
        if element not in self._OUTLINED or not colors(option.palette).dark:
            return
        state = option.state
        if (
            state & QStyle.StateFlag.State_HasFocus
            and state & QStyle.StateFlag.State_KeyboardFocusChange
        ):
            return  # Fusion's focus outline says more
        theme = DARK
        colour = QColor(theme.indicator_border)
        if not state & QStyle.StateFlag.State_Enabled:
            colour = QColor(theme.toast_border)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, 1.0))
        # The same geometry Fusion uses: half-pixel aligned, one pixel inside the rect.
        rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        if element is QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        else:
            painter.drawRect(rect)
        painter.restore()


class ThemeManager(QObject):
    """Applies the light or dark palette and follows the system when asked to.

    Args:
        app: the application whose palette is managed.
        preference: "system" (default), "light" or "dark".

    Signals:
        theme_changed(bool): a palette was applied; argument is True for dark.
    """

    theme_changed = Signal(bool)

    def __init__(
        self, app: QApplication, preference: str = "system", platform: PlatformLook | None = None
    ) -> None:
        super().__init__(app)
        self._app = app
        self._preference = "system"
        self.platform = platform or PlatformLook.capture(app)
        self._workbench_style = False
        hints = app.styleHints()
        # Remembered from the change signal: some platforms (offscreen) report Unknown when
        # asked but still announce changes.
        self._system_scheme = hints.colorScheme()
        hints.colorSchemeChanged.connect(self._on_system_scheme_changed)
        accessibility = getattr(hints, "accessibility", None)
        changed = (
            getattr(accessibility(), "contrastPreferenceChanged", None) if accessibility else None
        )
        if changed is not None:
            changed.connect(self._on_contrast_changed)
        self.set_preference(os.environ.get(THEME_ENV, preference))

    @property
    def preference(self) -> str:
        """ "system", "light" or "dark"."""
        return self._preference

    @property
    def is_dark(self) -> bool:
        """Whether the dark palette is in use."""
        return colors(self._app.palette()).dark

    def set_preference(self, preference: str) -> None:
        """Choose "system", "light" or "dark" and apply it now."""
        if preference not in THEME_PREFERENCES:
            preference = "system"
        self._preference = preference
        self.apply()

    @property
    def follows_platform(self) -> bool:
        """Whether the desktop's own style and palette are in use (not the app's)."""
        return self._preference == "system" and self.platform.keep(self._system_scheme)

    def apply(self) -> None:
        """Apply the look for the current preference, system scheme and contrast setting."""
        if self.follows_platform:
            style = QStyleFactory.create(self.platform.style)
            if style is not None:
                self._app.setStyle(style)
                self._workbench_style = False
                self._app.setPalette(self.platform.palette)
                self.theme_changed.emit(colors(self.platform.palette).dark)
                return
        if not self._workbench_style:
            # Fusion honours custom palettes everywhere, so light and dark look the same
            # on every platform (native styles partly ignore them).
            self._app.setStyle(WorkbenchStyle())
            self._workbench_style = True
        dark = self._wants_dark()
        theme = DARK if dark else LIGHT
        self._app.setPalette(build_palette(theme))
        self.theme_changed.emit(dark)

    def _wants_dark(self) -> bool:
        if self._preference == "system":
            return self._system_scheme == Qt.ColorScheme.Dark
        return self._preference == "dark"

    @Slot(Qt.ColorScheme)
    def _on_system_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        self._system_scheme = scheme
        if self._preference == "system":
            if self.platform.native:
                # The desktop switched: its style's palette for the new scheme.
                self.platform.palette = QPalette(self._app.style().standardPalette())
            self.apply()

    @Slot()
    def _on_contrast_changed(self, *args: object) -> None:
        del args
        if self._preference == "system":
            self.apply()


def use_plain_fusion(*widgets: QWidget) -> None:
    """Draw ``widgets`` with plain Fusion instead of the app's :class:`WorkbenchStyle`.

    For widgets that repaint at a stream's pace and draw no check box or radio button
    (tables, transcripts, their scroll bars and headers). WorkbenchStyle's
    ``drawPrimitive`` is Python, so C++ enters Python for every row background, frame and
    arrow such a widget draws, and with the session on the engine thread each entry first
    waits for the GIL. Plain Fusion draws them identically. Children keep the app's
    style, so scroll bars and headers are passed in separately. Does nothing when the app
    does not use WorkbenchStyle.
    """
    if not isinstance(QApplication.style(), WorkbenchStyle):
        return
    for widget in widgets:
        style = QStyleFactory.create("Fusion")
        style.setParent(widget)  # a widget does not own its style; this one dies with it
        widget.setStyle(style)
