"""What goes into the PyInstaller bundle and what is trimmed out: plain data, stdlib only.

``navtalk-desktop.spec`` applies these lists; ``build.py`` checks the result against them;
``tests/unit/test_packaging_bundle_config.py`` checks them against the source tree (for
example, that no Qt module the app imports is excluded). Nothing here imports PyInstaller.
"""

from __future__ import annotations

import fnmatch
import platform
import posixpath
import tomllib
from collections.abc import Callable, Collection
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
# xcb (X11 desktops, XWayland), SVG for the icon, and the SVG icon engine for QIcon. The two
# platform themes give native file dialogs: GTK 3 on GNOME, Xfce, Cinnamon and MATE (Qt
# loads it there by itself; it uses the system's GTK, which such a desktop always has), and
# the XDG desktop portal inside Flatpak/Snap or with QT_QPA_PLATFORMTHEME=xdgdesktopportal.
REQUIRED_QT_PLUGINS: tuple[str, ...] = (
    "platforms/libqoffscreen.so",
    "platforms/libqxcb.so",
    "platforms/libqwayland.so",
    "imageformats/libqsvg.so",
    "iconengines/libqsvgicon.so",
    "platformthemes/libqgtk3.so",
    "platformthemes/libqxdgdesktopportal.so",
)

# Qt plugins PyInstaller's QtGui hook collects wholesale that a desktop app does not use:
# embedded-Linux platforms (EGLFS, framebuffer, VNC, Vulkan KMS), evdev/tslib input, the
# virtual keyboard (drags in QtQuick + QtQml, ~17 MB), the PDF image format (libQt6Pdf).
# The GTK 3 platform theme stays (native file dialogs); the GTK/GLib/cairo stack it links
# against is the desktop's own (SYSTEM_LIBRARIES), not copied into the bundle.
DROPPED_QT_PLUGINS: tuple[str, ...] = (
    "platforms/libqeglfs.so",
    "platforms/libqlinuxfb.so",
    "platforms/libqminimalegl.so",
    "platforms/libqvkkhrdisplay.so",
    "platforms/libqvnc.so",
    "egldeviceintegrations/*",
    "generic/*",
    "platforminputcontexts/libqtvirtualkeyboardplugin.so",
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

# Shared libraries the target desktop provides, never copied into the bundle (file-name
# patterns). A private copy of these breaks more than it fixes: libX11/libxcb and GL must
# match the system's display server and drivers, fontconfig/freetype its font configuration,
# D-Bus and GLib its session, GTK (the file-dialog theme) its desktop; libstdc++/libgcc_s
# are always there, and the glibc floor below keeps the GLIBCXX need within what the oldest
# supported system's libstdc++ has. Libraries only these need are dropped with them.
SYSTEM_LIBRARIES: tuple[str, ...] = (
    "libstdc++.so*",
    "libgcc_s.so*",
    "libX*.so*",
    "libxcb*.so*",
    "libxkbcommon*.so*",
    "libGL*.so*",
    "libEGL*.so*",
    "libOpenGL*.so*",
    "libwayland-*.so*",
    "libfontconfig.so*",
    "libfreetype.so*",
    "libdbus-1.so*",
    "libglib-2.0.so*",
    "libgobject-2.0.so*",
    "libgio-2.0.so*",
    "libgmodule-2.0.so*",
    "libgthread-2.0.so*",
    "libgtk-3.so*",
    "libgdk-3.so*",
    "libgdk_pixbuf-2.0.so*",
    "libpango*.so*",
    "libcairo*.so*",
    "libatk*.so*",
    "libharfbuzz*.so*",
    "libepoxy.so*",
)

# The newest symbol versions a bundle may need from the system, per glibc floor. The floor is
# the oldest glibc the bundle must start on; libstdc++ (GLIBCXX, CXXABI) comes from the same
# systems. 2.34: RHEL/AlmaLinux 9 (GCC 11), the release target (packaging/Containerfile);
# 2.35: Ubuntu 22.04 (GCC 12); 2.36: Debian 12 (GCC 12).
GLIBC_FLOORS: dict[str, dict[str, str]] = {
    "2.34": {"GLIBC": "2.34", "GLIBCXX": "3.4.29", "CXXABI": "1.3.13"},
    "2.35": {"GLIBC": "2.35", "GLIBCXX": "3.4.30", "CXXABI": "1.3.13"},
    "2.36": {"GLIBC": "2.36", "GLIBCXX": "3.4.30", "CXXABI": "1.3.13"},
}
# A bundle needs at least the glibc its Python and bundled libraries were built against. On
# this project's Debian 12 machines (glibc 2.36) the bundle measures GLIBC_2.35: the pyenv-built
# libpython3.11 needs it, the Debian libraries that stay in the bundle need no more (expat
# needed 2.36, but only the system's fontconfig uses it, so it is left out). Hence the local
# default 2.35 (Ubuntu 22.04 and newer); a build with another Python may need
# --glibc-floor 2.36. The release recipe (packaging/Containerfile on AlmaLinux 9, run by
# .github/workflows/bundle.yml) builds with NAVTALK_GLIBC_FLOOR=2.34.
GLIBC_FLOOR_ENV = "NAVTALK_GLIBC_FLOOR"
DEFAULT_GLIBC_FLOOR = "2.35"
RELEASE_GLIBC_FLOOR = "2.34"

# Bundled distributions whose wheels carry no license file, and the texts (files under
# packaging/licenses/) shipped for them instead. Qt for Python is LGPL-3.0-only (or GPL);
# the LGPL is a set of additional permissions on top of the GPL-3.0, so both texts ship,
# plus how to replace the Qt libraries in the bundle (LGPL-3.0 section 4).
LICENSE_SUPPLEMENTS: dict[str, tuple[str, ...]] = {
    name: ("LGPL-3.0.txt", "GPL-3.0.txt", "QT-LIBRARIES.txt")
    for name in ("PySide6", "PySide6_Essentials", "PySide6_Addons", "shiboken6")
}
LICENSE_TEXTS_DIR = Path(__file__).resolve().parent / "licenses"


def glibc_floor(name: str) -> dict[str, str]:
    """The symbol-version limits of the glibc floor ``name`` (``"2.34"`` …).

    Raises:
        SystemExit: ``name`` is not a floor this file knows.
    """
    if name not in GLIBC_FLOORS:
        raise SystemExit(f"unknown glibc floor {name!r}; known: {', '.join(GLIBC_FLOORS)}")
    return GLIBC_FLOORS[name]


def is_system_library(dest: str) -> bool:
    """Whether a bundle entry is a library the target system provides (by file name)."""
    name = dest.replace("\\", "/").rsplit("/", 1)[-1]
    if name.startswith("libQt6"):
        return False
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in SYSTEM_LIBRARIES)


def project_metadata(root: Path = ROOT) -> dict[str, object]:
    """The ``[project]`` table of ``pyproject.toml``."""
    with (root / "pyproject.toml").open("rb") as handle:
        project: dict[str, object] = tomllib.load(handle)["project"]
    return project


def project_version(root: Path = ROOT) -> str:
    """The version in ``pyproject.toml`` (the single source every other copy must match)."""
    return str(project_metadata(root)["version"])


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


def split_system(entries: list[BundleEntry]) -> tuple[list[BundleEntry], list[BundleEntry]]:
    """Split entries into (kept, left to the system) by :func:`is_system_library`."""
    kept: list[BundleEntry] = []
    system: list[BundleEntry] = []
    for entry in entries:
        is_file = entry[2] != "SYMLINK"
        (system if is_file and is_system_library(entry[0]) else kept).append(entry)
    return kept, system


def drop_dangling_symlinks(
    entries: list[BundleEntry], elsewhere: Collection[str] = ()
) -> tuple[list[BundleEntry], list[str]]:
    """Remove SYMLINK entries whose target is no longer in the bundle (repeatedly, for chains).

    PyInstaller records a symbolic link as ``(dest, target relative to dest's folder,
    "SYMLINK")``, in ``datas`` even when it points at a binary; trimming the target leaves
    the link dangling in the bundle.

    Args:
        entries: the TOC to clean.
        elsewhere: destinations that stay in the bundle through another TOC.

    Returns:
        The remaining entries and the destinations of the dropped links.
    """
    dropped: list[str] = []
    while True:
        present = {PurePosixPath(e[0].replace("\\", "/")).as_posix() for e in entries}
        present.update(PurePosixPath(d.replace("\\", "/")).as_posix() for d in elsewhere)
        dangling = set()
        for dest, target, kind in entries:
            if kind != "SYMLINK":
                continue
            folder = PurePosixPath(dest.replace("\\", "/")).parent
            resolved = posixpath.normpath((folder / target.replace("\\", "/")).as_posix())
            if resolved not in present:
                dangling.add(dest)
        if not dangling:
            return entries, sorted(dropped)
        dropped.extend(dangling)
        entries = [e for e in entries if e[0] not in dangling]


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
        queue = [entry[1] for entry in start if entry[2] != "SYMLINK"]
        while queue:
            for soname in needed(queue.pop()):
                if soname in by_name and soname not in seen:
                    seen.add(soname)
                    queue.extend(e[1] for e in by_name[soname] if e[2] != "SYMLINK")
        return seen

    candidates = closure(trimmed)
    roots = [entry for entry in kept if PurePosixPath(entry[0]).name not in candidates]
    still_needed = closure(roots)
    return {entry[0] for name in candidates - still_needed for entry in by_name[name]}
