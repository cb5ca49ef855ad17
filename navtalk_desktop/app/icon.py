"""The application icon, from the packaged resources."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from navtalk_desktop.infra import resource_paths

log = logging.getLogger(__name__)


def application_icon() -> QIcon:
    """The app icon at every packaged size (crisp on high-DPI screens); empty if missing."""
    icon = QIcon()
    try:
        # Exact renders for every common size first; the SVG covers anything larger.
        for size, path in resource_paths.icon_paths().items():
            icon.addFile(str(path), QSize(size, size))
        icon.addFile(str(resource_paths.svg_icon_path()))
    except (FileNotFoundError, ValueError) as error:
        log.warning("application icon not found: %s", error)
    return icon
