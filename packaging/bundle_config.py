"""What goes into the PyInstaller bundle and what is trimmed out: plain data, stdlib only.

``navtalk-desktop.spec`` applies these lists; ``build.py`` checks the result against them;
``tests/unit/test_packaging_bundle_config.py`` checks them against the source tree (for
example, that no Qt module the app imports is excluded). Nothing here imports PyInstaller.
"""

from __future__ import annotations

import fnmatch
import platform
import tomllib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "ai.navtalk.Desktop"
BUNDLE_NAME = "navtalk-desktop"  # folder and executable name inside dist/
PACKAGE = "navtalk_desktop"
DISTRIBUTION = "navtalk-desktop"

# Qt modules the app never imports. PyInstaller would only pull most of them in through a
# stray import, but listing them makes the bundle's contents a decision, not an accident;
# a unit test fails if any of them is imported under navtalk_desktop/.
EXCLUDED_QT_MODULES: tuple[str, ...] = (
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtBluetooth",
    "QtCanvasPainter",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLocation",
    "QtNetworkAuth",
    "QtNfc",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtQml",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    # sqlite3 from the standard library stores everything; Qt's SQL layer is unused.
    "QtSql",
    "QtStateMachine",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    # The app speaks WebSocket through the `websockets` library, not Qt's.
    "QtWebSockets",
    "QtWebView",
    "QtXml",
)

# Python packages that are never needed at run time (dev tools a stray import could drag in).
EXCLUDED_PYTHON_MODULES: tuple[str, ...] = (
    "tkinter",
    "_tkinter",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
    "importlinter",
    "PyInstaller",
    "IPython",
)

# Standard-library modules that user response scripts commonly import. In the bundle those
# scripts run on the bundled interpreter (navtalk_desktop_main.py answers ``-c``), which has
# only the modules PyInstaller saw imported, so these are added on purpose.
SCRIPT_STDLIB_MODULES: tuple[str, ...] = (
    "base64",
    "calendar",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "fractions",
    "gzip",
    "hashlib",
    "hmac",
    "html",
    "http.client",
    "json",
    "math",
    "pprint",
    "random",
    "secrets",
    "sqlite3",
    "statistics",
    "string",
    "textwrap",
    "urllib.parse",
    "urllib.request",
    "uuid",
    "xml.etree.ElementTree",
    "zipfile",
    "zoneinfo",
)

# Qt plugins that must be in the bundle: offscreen (tests, smoke check, headless CI) and
# xcb (X11 desktops, XWayland), SVG for the icon, and the SVG icon engine for QIcon.
REQUIRED_QT_PLUGINS: tuple[str, ...] = (
    "platforms/libqoffscreen.so",
    "platforms/libqxcb.so",
    "platforms/libqwayland.so",
    "imageformats/libqsvg.so",
    "iconengines/libqsvgicon.so",
)

# Qt plugins PyInstaller's QtGui hook collects wholesale that a desktop app does not use:
# embedded-Linux platforms (EGLFS, framebuffer, VNC, Vulkan KMS), evdev/tslib input, the
# virtual keyboard (drags in QtQuick + QtQml, ~17 MB), the PDF image format (libQt6Pdf),
# and the GTK 3 platform theme, which would copy the system's whole GTK/GLib/cairo stack
# into the bundle; file dialogs still look native through the xdg-desktop-portal theme.
DROPPED_QT_PLUGINS: tuple[str, ...] = (
    "platforms/libqeglfs.so",
    "platforms/libqlinuxfb.so",
    "platforms/libqminimalegl.so",
    "platforms/libqvkkhrdisplay.so",
    "platforms/libqvnc.so",
    "egldeviceintegrations/*",
    "generic/*",
    "platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "platformthemes/libqgtk3.so",
    "networkinformation/*",
    "imageformats/libqpdf.so",
    "imageformats/libqicns.so",
    "imageformats/libqtga.so",
    "imageformats/libqtiff.so",
    "imageformats/libqwbmp.so",
    "sqldrivers/*",
)

# Qt's own translations (~60 MB unpacked in the wheel): the app's UI is English only, so Qt's
# stock dialogs stay English too.
DROP_QT_TRANSLATIONS = True

# Where Qt lives inside the bundle's _internal folder.
QT_PREFIX = "PySide6/Qt"


def project_version(root: Path = ROOT) -> str:
    """The version in ``pyproject.toml`` (the single source every other copy must match)."""
    with (root / "pyproject.toml").open("rb") as handle:
        data = tomllib.load(handle)
    version: str = data["project"]["version"]
    return version


def arch() -> str:
    """Machine architecture as used in the archive name (``x86_64``, ``aarch64``)."""
    return platform.machine() or "unknown"


def archive_name(version: str) -> str:
    """``navtalk-desktop-<version>-linux-<arch>.tar.gz``."""
    return f"{BUNDLE_NAME}-{version}-linux-{arch()}.tar.gz"


# Qt libraries without a Python module of their own that only dropped plugins load.
EXCLUDED_QT_LIBRARIES: tuple[str, ...] = ("libQt6VirtualKeyboard",)


def excluded_qt_library_prefixes() -> tuple[str, ...]:
    """Shared-library name prefixes of the excluded Qt modules (``libQt6Pdf`` …)."""
    from_modules = (f"libQt6{name.removeprefix('Qt')}" for name in EXCLUDED_QT_MODULES)
    return (*from_modules, *EXCLUDED_QT_LIBRARIES)


def is_trimmed(dest: str) -> bool:
    """Whether a bundle entry (its destination path, ``/``-separated) is trimmed away.

    Args:
        dest: Path inside the bundle's ``_internal`` folder, e.g.
            ``PySide6/Qt/plugins/platforms/libqvnc.so``.
    """
    dest = dest.replace("\\", "/")
    plugins = f"{QT_PREFIX}/plugins/"
    if dest.startswith(plugins):
        relative = dest[len(plugins) :]
        return any(fnmatch.fnmatchcase(relative, pattern) for pattern in DROPPED_QT_PLUGINS)
    if DROP_QT_TRANSLATIONS and dest.startswith(f"{QT_PREFIX}/translations/"):
        return True
    name = dest.rsplit("/", 1)[-1]
    return name.startswith(excluded_qt_library_prefixes()) and ".so" in name


BundleEntry = tuple[str, str, str]
"""A PyInstaller TOC entry: (destination in the bundle, source path, type code)."""


def split_trimmed(entries: list[BundleEntry]) -> tuple[list[BundleEntry], list[BundleEntry]]:
    """Split entries into (kept, trimmed) by :func:`is_trimmed`."""
    kept: list[BundleEntry] = []
    trimmed: list[BundleEntry] = []
    for entry in entries:
        (trimmed if is_trimmed(entry[0]) else kept).append(entry)
    return kept, trimmed


def orphaned_libraries(
    kept: list[BundleEntry],
    trimmed: list[BundleEntry],
    needed: Callable[[str], set[str]],
) -> set[str]:
    """Destinations of kept libraries that only trimmed entries link against.

    PyInstaller collects each plugin's link-time dependencies along with it, so dropping the
    GTK theme plugin alone would still ship libgtk-3 and friends. A library is orphaned when
    something trimmed needs it (directly or through other libraries) and nothing kept does.

    Args:
        kept: Entries that stay in the bundle.
        trimmed: Entries removed by :func:`is_trimmed`.
        needed: Returns the sonames a binary (given by source path) links against.
    """
    by_name: dict[str, list[BundleEntry]] = {}
    for entry in kept:
        by_name.setdefault(PurePosixPath(entry[0].replace("\\", "/")).name, []).append(entry)

    def closure(start: list[BundleEntry]) -> set[str]:
        seen: set[str] = set()
        queue = [entry[1] for entry in start]
        while queue:
            for soname in needed(queue.pop()):
                if soname in by_name and soname not in seen:
                    seen.add(soname)
                    queue.extend(entry[1] for entry in by_name[soname])
        return seen

    candidates = closure(trimmed)
    roots = [entry for entry in kept if PurePosixPath(entry[0]).name not in candidates]
    still_needed = closure(roots)
    return {entry[0] for name in candidates - still_needed for entry in by_name[name]}
