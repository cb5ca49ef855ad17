"""``navtalk-desktop --install-desktop-entry``: the menu entry for a pip-installed app.

Copies the desktop entry, AppStream metainfo, shared-mime-info XML and icons from the
package data into ``$XDG_DATA_HOME`` (default ``~/.local/share``), with ``Exec=`` pointing
at the running installation, and refreshes the desktop's caches when their tools exist.
The standalone bundle does the same with its ``install.sh``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from navtalk_desktop.infra.atomic_file import atomic_write_text
from navtalk_desktop.infra.resource_paths import APP_ID, ICON_SIZES

MIME_ICONS = ("application-x-navtalk-tools+json", "application-x-navtalk-recording")
# Started from the menu, the app logs only warnings to standard error (no journal spam).
MENU_FLAG = "--from-menu"


def data_home() -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when unset or not absolute (XDG spec)."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def _package_file(*parts: str) -> Path:
    path = Path(str(resources.files("navtalk_desktop").joinpath("resources", *parts)))
    if not path.is_file():
        raise FileNotFoundError(f"packaged file {'/'.join(parts)} is missing ({path})")
    return path


def _targets(share: Path) -> dict[Path, tuple[str, ...]]:
    """Installed file -> packaged source (parts under ``navtalk_desktop/resources``)."""
    hicolor = share / "icons" / "hicolor"
    files: dict[Path, tuple[str, ...]] = {
        share / "metainfo" / f"{APP_ID}.metainfo.xml": ("desktop", f"{APP_ID}.metainfo.xml"),
        share / "mime" / "packages" / f"{APP_ID}.xml": ("desktop", f"{APP_ID}.mime.xml"),
        hicolor / "scalable" / "apps" / f"{APP_ID}.svg": (
            "icons",
            "hicolor",
            "scalable",
            "apps",
            f"{APP_ID}.svg",
        ),
    }
    for size in ICON_SIZES:
        folder = f"{size}x{size}"
        files[hicolor / folder / "apps" / f"{APP_ID}.png"] = (
            "icons",
            "hicolor",
            folder,
            "apps",
            f"{APP_ID}.png",
        )
    for icon in MIME_ICONS:
        files[hicolor / "scalable" / "mimetypes" / f"{icon}.svg"] = (
            "icons",
            "hicolor",
            "scalable",
            "mimetypes",
            f"{icon}.svg",
        )
    return files


def launch_command() -> list[str]:
    """How the menu starts this installation: its console script, else ``python -m``."""
    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is not None and running.name == "navtalk-desktop" and running.is_file():
        return [str(running.absolute())]  # the script that was run, not another on PATH
    script = shutil.which("navtalk-desktop")
    if script:
        return [str(Path(script).absolute())]
    return [sys.executable, "-m", "navtalk_desktop"]


def desktop_entry_text(command: list[str]) -> str:
    """The packaged desktop entry with ``Exec``/``TryExec`` pointing at ``command``."""
    text = _package_file("desktop", f"{APP_ID}.desktop").read_text(encoding="utf-8")
    # Desktop Entry spec quoting: each argument in double quotes with \ " ` $ escaped, then
    # every backslash doubled (the general string escaping of the file format).
    quoted = []
    for arg in command:
        escaped = "".join("\\" + c if c in '\\"`$' else c for c in arg)
        quoted.append('"' + escaped.replace("\\", "\\\\") + '"')
    lines = []
    for line in text.splitlines():
        if line.startswith("Exec="):
            rest = line.split(None, 1)[1] if " " in line else ""
            line = f"Exec={' '.join(quoted)} {rest}".rstrip()
        elif line.startswith("TryExec="):
            line = f"TryExec={command[0]}".replace("\\", "\\\\")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _refresh(share: Path) -> None:
    """Run the cache tools that exist (all optional: desktops notice new files later)."""
    commands = [
        ["update-desktop-database", "-q", str(share / "applications")],
        ["update-mime-database", str(share / "mime")],
        ["gtk-update-icon-cache", "-q", "-t", str(share / "icons" / "hicolor")],
    ]
    for command in commands:
        if shutil.which(command[0]) and Path(command[-1]).is_dir():
            subprocess.run(command, capture_output=True, check=False, timeout=60)


def install(share: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Install the menu entry, metainfo, file types and icons; returns the files written.

    Args:
        share: data folder (default :func:`data_home`).
        command: what ``Exec=`` runs (default :func:`launch_command`).
    """
    share = share or data_home()
    written = []
    for target, parts in _targets(share).items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_package_file(*parts), target)
        written.append(target)
    entry = share / "applications" / f"{APP_ID}.desktop"
    # Atomic: a crash mid-install never leaves a torn entry in the user's menu.
    atomic_write_text(entry, desktop_entry_text(command or launch_command()))
    written.append(entry)
    _refresh(share)
    return written


def uninstall(share: Path | None = None) -> list[Path]:
    """Remove what :func:`install` wrote, and caches and folders nothing else needs now."""
    share = share or data_home()
    removed = []
    for target in [*_targets(share), share / "applications" / f"{APP_ID}.desktop"]:
        if target.is_file():
            target.unlink()
            removed.append(target)
    _refresh(share)
    packages = share / "mime" / "packages"
    if packages.is_dir() and not any(packages.iterdir()):
        shutil.rmtree(share / "mime")  # only the database generated from our XML was left
    hicolor = share / "icons" / "hicolor"
    generated = {"icon-theme.cache", "index.theme"}
    if hicolor.is_dir() and not any(
        p.is_file() and p.name not in generated for p in hicolor.rglob("*")
    ):
        (hicolor / "icon-theme.cache").unlink(missing_ok=True)
    applications = share / "applications"
    if applications.is_dir() and not any(
        p.is_file() and p.name != "mimeinfo.cache" for p in applications.iterdir()
    ):
        (applications / "mimeinfo.cache").unlink(missing_ok=True)
    for folder in (share / "icons", applications, share / "metainfo"):
        _remove_empty(folder)
    return removed


def _remove_empty(folder: Path) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if not any(folder.iterdir()):
        folder.rmdir()


__all__ = ["MENU_FLAG", "data_home", "desktop_entry_text", "install", "launch_command", "uninstall"]
