#!/usr/bin/env python3
"""Render the application icon PNGs from their SVG sources and refresh the package copy.

Run after editing an SVG under ``resources/icons``; the PNGs are committed, so neither the
test suite nor the bundle build needs a renderer::

    .venv/bin/python packaging/render_icons.py

Sizes 16 and 24 come from the hand-simplified ``resources/icons/src/…-small.svg`` (the full
icon's ``{ƒ}`` is unreadable that small); 32 px and up from the scalable icon. ``rsvg-convert``
(Debian package ``librsvg2-bin``) renders when present; otherwise Qt's ``QSvgRenderer`` on the
offscreen platform does, which needs no system package beyond Qt's own. Both render the same
shapes because the SVGs use SVG Tiny features only (no filters, no text).

Afterwards ``resources/icons/hicolor`` (the tree a Linux install uses) is mirrored into
``navtalk_desktop/resources/icons/hicolor`` (package data that
``navtalk_desktop.infra.resource_paths`` serves to the window); a unit test keeps the two equal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "ai.navtalk.Desktop"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_SIZES = frozenset({16, 24})
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
SCALABLE_SVG = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
SMALL_SVG = ROOT / "resources" / "icons" / "src" / f"{APP_ID}-small.svg"
PACKAGE_HICOLOR = ROOT / "navtalk_desktop" / "resources" / "icons" / "hicolor"


def png_path(size: int, hicolor: Path = HICOLOR) -> Path:
    """Where the ``size`` px PNG lives in a hicolor tree."""
    return hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def source_for(size: int) -> Path:
    """The SVG a given size is rendered from."""
    return SMALL_SVG if size in SMALL_SIZES else SCALABLE_SVG


def _render_rsvg(svg: Path, size: int, out: Path) -> None:
    subprocess.run(
        ["rsvg-convert", "--width", str(size), "--height", str(size), "-o", str(out), str(svg)],
        check=True,
    )


def _render_qt(jobs: list[tuple[Path, int, Path]]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    for svg, size, out in jobs:
        renderer = QSvgRenderer(str(svg))
        if not renderer.isValid():
            raise SystemExit(f"Qt cannot parse {svg}")
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        if not image.save(str(out), b"PNG"):
            raise SystemExit(f"could not write {out}")
    del app


def render(renderer: str) -> list[Path]:
    """Render every size with ``renderer`` (``rsvg`` or ``qt``); return the PNGs written."""
    jobs = []
    for size in ICON_SIZES:
        out = png_path(size)
        out.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((source_for(size), size, out))
    if renderer == "rsvg":
        for svg, size, out in jobs:
            _render_rsvg(svg, size, out)
    else:
        _render_qt(jobs)
    return [out for _svg, _size, out in jobs]


def mirror_into_package() -> None:
    """Mirror ``resources/icons/hicolor`` and the XDG files into the package data."""
    if PACKAGE_HICOLOR.exists():
        shutil.rmtree(PACKAGE_HICOLOR)
    shutil.copytree(HICOLOR, PACKAGE_HICOLOR)
    # The desktop entry, metainfo and MIME types too: --install-desktop-entry installs them.
    desktop = ROOT / "navtalk_desktop" / "resources" / "desktop"
    desktop.mkdir(exist_ok=True)
    for suffix in (".desktop", ".metainfo.xml", ".mime.xml"):
        shutil.copy2(ROOT / "resources" / f"{APP_ID}{suffix}", desktop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--renderer",
        choices=("auto", "rsvg", "qt"),
        default="auto",
        help="auto: rsvg-convert when installed, else Qt's QSvgRenderer",
    )
    args = parser.parse_args(argv)
    renderer = args.renderer
    if renderer == "auto":
        renderer = "rsvg" if shutil.which("rsvg-convert") else "qt"
    elif renderer == "rsvg" and not shutil.which("rsvg-convert"):
        raise SystemExit("rsvg-convert not found: apt-get install librsvg2-bin")
    written = render(renderer)
    mirror_into_package()
    print(f"rendered {len(written)} PNGs with {renderer}; mirrored into {PACKAGE_HICOLOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
