"""Linux desktop metadata: the .desktop entry, AppStream metainfo, icons, version agreement.

Checked in pure Python, so the suite needs no system tools; the official validators run
as well where they are installed.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import re
import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from navtalk_desktop import resource_paths

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
APP_ID = "ai.navtalk.Desktop"
DESKTOP_FILE = RESOURCES / f"{APP_ID}.desktop"
METAINFO_FILE = RESOURCES / f"{APP_ID}.metainfo.xml"
HICOLOR = RESOURCES / "icons" / "hicolor"
PACKAGE_HICOLOR = ROOT / "navtalk_desktop" / "resources" / "icons" / "hicolor"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def _desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # keys are case-sensitive
    parser.read_string(DESKTOP_FILE.read_text(encoding="utf-8"), source=str(DESKTOP_FILE))
    assert parser.sections() == ["Desktop Entry"], "one [Desktop Entry] group, nothing else"
    return dict(parser["Desktop Entry"])


def _metainfo() -> ET.Element:
    return ET.parse(METAINFO_FILE).getroot()


def _png_header(path: Path) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from a PNG's IHDR chunk."""
    data = path.read_bytes()[:33]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour


# ----------------------------------------------------------------------------- desktop entry


def test_desktop_entry_has_every_required_key_with_sane_values() -> None:
    entry = _desktop_entry()
    required = {
        "Type",
        "Name",
        "GenericName",
        "Comment",
        "Exec",
        "Icon",
        "Terminal",
        "Categories",
        "Keywords",
        "StartupWMClass",
    }
    assert required <= entry.keys(), f"missing: {sorted(required - entry.keys())}"
    assert entry["Type"] == "Application"
    assert entry["Name"] == "NavTalk Desktop"
    assert entry["Terminal"] == "false"
    assert entry["Icon"] == APP_ID == resource_paths.APP_ID
    for key in ("Categories", "Keywords"):
        assert entry[key].endswith(";"), f"{key} is a list and must end with ';'"
    assert {"Development", "Network", "Qt"} <= set(entry["Categories"].split(";"))


def test_desktop_entry_launches_the_installed_console_script() -> None:
    entry = _desktop_entry()
    scripts = _pyproject()["project"]["scripts"]
    program, *codes = entry["Exec"].split()
    assert program in scripts, f"Exec runs {program!r}, which pyproject does not install"
    assert codes == ["%F"]
    assert entry.get("TryExec", program) == program
    # Qt names X11 windows after the executable; the menu entry must match it.
    assert entry["StartupWMClass"] == program


def test_desktop_entry_strings_are_short_and_plain() -> None:
    entry = _desktop_entry()
    assert not entry["Comment"].endswith("."), "Comment is a tooltip, not a sentence"
    assert len(entry["Comment"]) <= 80
    assert entry["GenericName"] != entry["Name"]


# ----------------------------------------------------------------------------- icons


@pytest.mark.parametrize("size", ICON_SIZES)
def test_icon_png_exists_at_each_size_with_alpha(size: int) -> None:
    path = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    assert path.is_file(), f"{path} missing: run packaging/render_icons.py"
    width, height, depth, colour = _png_header(path)
    assert (width, height) == (size, size)
    assert (depth, colour) == (8, 6), "8-bit RGBA, so the rounded corners are transparent"


def test_icon_svg_sources_are_square_svg_documents() -> None:
    sources = [
        HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg",
        RESOURCES / "icons" / "src" / f"{APP_ID}-small.svg",
    ]
    for path in sources:
        root = ET.parse(path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", path
        _x, _y, width, height = (float(v) for v in root.attrib["viewBox"].split())
        assert width == height, f"{path} is not square"
        # SVG Tiny only, so librsvg and Qt's renderer agree (see render_icons.py).
        text = path.read_text(encoding="utf-8")
        assert "<filter" not in text, path
        assert "<text" not in text, path


def test_package_icons_mirror_the_resources_tree_exactly() -> None:
    """The window's icons (package data) and the installed icons are the same files."""
    source = {p.relative_to(HICOLOR): p.read_bytes() for p in HICOLOR.rglob("*") if p.is_file()}
    mirror = {
        p.relative_to(PACKAGE_HICOLOR): p.read_bytes()
        for p in PACKAGE_HICOLOR.rglob("*")
        if p.is_file()
    }
    assert source.keys() == mirror.keys(), "run packaging/render_icons.py"
    different = [str(path) for path in source if source[path] != mirror[path]]
    assert not different, f"package copies differ (run packaging/render_icons.py): {different}"


def test_package_data_declaration_ships_the_icons() -> None:
    package_data = _pyproject()["tool"]["setuptools"]["package-data"]["navtalk_desktop"]
    assert "resources/**/*" in package_data


# ----------------------------------------------------------------------------- metainfo


def test_metainfo_describes_the_app() -> None:
    root = _metainfo()
    assert root.tag == "component"
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("metadata_license") in {"CC0-1.0", "FSFAP", "MIT"}
    assert root.findtext("project_license") == _pyproject()["project"]["license"]
    assert root.findtext("name") == _desktop_entry()["Name"]
    summary = root.findtext("summary") or ""
    assert 10 <= len(summary) <= 100
    assert not summary.endswith(".")
    description = root.find("description")
    assert description is not None
    assert description.find("p") is not None
    assert len("".join(description.itertext()).split()) >= 20


def test_metainfo_launches_the_desktop_entry_and_names_the_binary() -> None:
    root = _metainfo()
    launchable = root.find("launchable")
    assert launchable is not None
    assert launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP_FILE.name
    binaries = [element.text for element in root.iterfind("provides/binary")]
    assert binaries == list(_pyproject()["project"]["scripts"])[:1]


def test_metainfo_has_content_rating_and_a_dated_release() -> None:
    root = _metainfo()
    rating = root.find("content_rating")
    assert rating is not None
    assert rating.get("type") == "oars-1.1"
    releases = root.findall("releases/release")
    assert releases, "at least one <release>"
    newest = releases[0]
    date.fromisoformat(newest.get("date", ""))
    versions = [release.get("version") for release in releases]
    assert len(set(versions)) == len(versions), "duplicate release versions"


# ----------------------------------------------------------------------------- versions


def _bundle_config() -> ModuleType:
    """``packaging/bundle_config.py``: what the PyInstaller spec takes its version from."""
    spec = importlib.util.spec_from_file_location(
        "bundle_config", ROOT / "packaging" / "bundle_config.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _init_fallback_version() -> str:
    """The version ``navtalk_desktop/__init__.py`` falls back to without installed metadata."""
    tree = ast.parse((ROOT / "navtalk_desktop" / "__init__.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                for statement in handler.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and isinstance(statement.targets[0], ast.Name)
                        and statement.targets[0].id == "__version__"
                        and isinstance(statement.value, ast.Constant)
                    ):
                        return str(statement.value.value)
    raise AssertionError("no __version__ fallback found in navtalk_desktop/__init__.py")


def test_every_copy_of_the_version_agrees_with_pyproject() -> None:
    import navtalk_desktop

    version = _pyproject()["project"]["version"]
    newest_release = _metainfo().find("releases/release")
    assert newest_release is not None
    copies = {
        "navtalk_desktop/__init__.py fallback": _init_fallback_version(),
        "installed metadata (navtalk_desktop.__version__)": navtalk_desktop.__version__,
        "metainfo newest release": newest_release.get("version"),
        "bundle spec (bundle_config.project_version)": _bundle_config().project_version(),
    }
    wrong = {where: value for where, value in copies.items() if value != version}
    assert not wrong, f"pyproject.toml says {version}; these disagree: {wrong}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)


# ----------------------------------------------------------------------------- validators


def _validator(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"{program} not installed (Debian package {package})")
    return path


def test_desktop_file_validate_accepts_the_entry() -> None:
    program = _validator("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run(
        [program, str(DESKTOP_FILE)], capture_output=True, text=True, timeout=30, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "error:" not in output, output
    assert "warning:" not in output, output


def test_appstreamcli_validates_the_metainfo() -> None:
    program = _validator("appstreamcli", "appstream")
    result = subprocess.run(
        [program, "validate", "--no-net", str(METAINFO_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
