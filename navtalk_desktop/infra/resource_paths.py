"""Where the packaged application icons are, as real file paths (no Qt here).

The icons are package data under ``navtalk_desktop/resources/icons/hicolor`` (a mirror of
the repository's ``resources/icons/hicolor``, refreshed by ``packaging/render_icons.py``).
They are found through :mod:`importlib.resources`, so the same code works from a source
checkout, an installed wheel and the PyInstaller bundle. The UI builds its window icon
from these paths; keeping this module Qt-free lets ``core``-level code and tests use it too.
"""

from __future__ import annotations

import atexit
import contextlib
from functools import cache
from importlib import resources
from pathlib import Path

APP_ID = "ai.navtalk.Desktop"
"""Reverse-DNS application id: icon name, ``.desktop`` file name, AppStream id, and the
value for ``QGuiApplication.setDesktopFileName`` (Wayland matches windows to it)."""

ICON_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256, 512)
"""Pixel sizes of the PNG renders, smallest first."""

_ICONS = ("resources", "icons", "hicolor")
# Extracted copies when the package is imported from a zip; removed when the process exits.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def _as_path(*parts: str) -> Path:
    resource = resources.files("navtalk_desktop").joinpath(*parts)
    if isinstance(resource, Path):
        path = resource
    else:  # a zip import: hand out a temporary file that lives as long as the process
        path = _extracted.enter_context(resources.as_file(resource))
    if not path.is_file():
        raise FileNotFoundError(
            f"packaged resource {'/'.join(parts)} is missing from {path.parent} "
            "(run packaging/render_icons.py, or reinstall NavTalk Desktop)"
        )
    return path


@cache
def icon_path(size: int) -> Path:
    """Return the PNG application icon of ``size`` x ``size`` pixels.

    Args:
        size: One of :data:`ICON_SIZES`.

    Raises:
        ValueError: ``size`` is not one of the rendered sizes.
        FileNotFoundError: the package was installed without its icons.
    """
    if size not in ICON_SIZES:
        sizes = ", ".join(str(s) for s in ICON_SIZES)
        raise ValueError(f"no {size} px application icon; rendered sizes are {sizes}")
    return _as_path(*_ICONS, f"{size}x{size}", "apps", f"{APP_ID}.png")


@cache
def svg_icon_path() -> Path:
    """Return the scalable (SVG) application icon.

    Raises:
        FileNotFoundError: the package was installed without its icons.
    """
    return _as_path(*_ICONS, "scalable", "apps", f"{APP_ID}.svg")


def icon_paths() -> dict[int, Path]:
    """Return every PNG render by size, e.g. to add each one to a ``QIcon``."""
    return {size: icon_path(size) for size in ICON_SIZES}
