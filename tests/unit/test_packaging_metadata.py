"""Linux desktop metadata: the .desktop entry, AppStream metainfo, icons, version agreement.

Checked in pure Python, so the suite needs no system tools; the official validators run
as well where they are installed.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
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

from navtalk_desktop.infra import resource_paths

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
APP_ID = "ai.navtalk.Desktop"
DESKTOP_FILE = RESOURCES / f"{APP_ID}.desktop"
METAINFO_FILE = RESOURCES / f"{APP_ID}.metainfo.xml"
MIME_FILE = RESOURCES / f"{APP_ID}.mime.xml"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
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
    categories = set(entry["Categories"].split(";")) - {""}
    assert {"Development", "Qt"} <= categories
    # One main category, or menus list the app twice (desktop-file-validate hints at it).
    main = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics"}
    main |= {"Network", "Office", "Science", "Settings", "System", "Utility"}
    assert len(categories & main) == 1, categories & main


def test_desktop_entry_launches_the_installed_console_script() -> None:
    entry = _desktop_entry()
    scripts = _pyproject()["project"]["scripts"]
    program, *codes = entry["Exec"].split()
    assert program in scripts, f"Exec runs {program!r}, which pyproject does not install"
    # --from-menu: warnings only on standard error, which the session journal records.
    assert codes == ["--from-menu", "%F"]
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


def test_package_copies_of_the_desktop_files_are_identical() -> None:
    """``--install-desktop-entry`` installs these package copies; they must not drift."""
    for name in (DESKTOP_FILE.name, METAINFO_FILE.name, MIME_FILE.name):
        packaged = ROOT / "navtalk_desktop" / "resources" / "desktop" / name
        assert packaged.read_bytes() == (RESOURCES / name).read_bytes(), (
            f"{name} differs: run packaging/render_icons.py"
        )


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


def test_metainfo_names_a_homepage_and_the_file_types() -> None:
    root = _metainfo()
    homepage = root.findtext("url[@type='homepage']") or ""
    assert homepage.startswith("https://"), "software centres link to it"
    assert homepage in _pyproject()["project"]["urls"].values()
    mediatypes = {element.text for element in root.iterfind("provides/mediatype")}
    assert mediatypes == set(_mime_types()), "the same types the MIME XML defines"


def test_metainfo_has_content_rating_and_a_dated_release() -> None:
    root = _metainfo()
    rating = root.find("content_rating")
    assert rating is not None
    assert rating.get("type") == "oars-1.1"
    releases = root.findall("releases/release")
    assert releases, "at least one <release>"
    newest = releases[0]
    released = date.fromisoformat(newest.get("date", ""))
    # The date of this release (0.1.0: this session, 2026-12-06), never one before the
    # project existed or one in the future of the current release.
    assert date(2026, 12, 1) <= released <= date(2027, 12, 31), released
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
    assert "hint:" not in output, output  # e.g. two main categories


def test_appstreamcli_validates_the_metainfo() -> None:
    program = _validator("appstreamcli", "appstream")
    result = subprocess.run(
        [program, "validate", "--no-net", "--pedantic", str(METAINFO_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Debian 12's appstream 0.16 predates <developer> (infos) and flags the upper-case
    # letters of the reverse-DNS id (pedantic); anything else, warnings included, fails.
    tolerated = ("unknown-tag developer", "cid-contains-uppercase-letter")
    findings = [
        line
        for line in output.splitlines()
        if line[:3] in {"E: ", "W: ", "I: ", "P: "} and not any(tag in line for tag in tolerated)
    ]
    assert not findings, output


# ----------------------------------------------------------------------------- file types


def _mime_types() -> dict[str, ET.Element]:
    root = ET.parse(MIME_FILE).getroot()
    assert root.tag == f"{MIME_NS}mime-info"
    return {element.get("type", ""): element for element in root.iter(f"{MIME_NS}mime-type")}


def test_mime_xml_defines_tool_sets_and_recordings_with_icons() -> None:
    types = _mime_types()
    assert set(types) == {"application/x-navtalk-tools+json", "application/x-navtalk-recording"}
    allowed = {"comment", "acronym", "expanded-acronym", "sub-class-of", "icon"}
    allowed |= {"generic-icon", "glob", "magic", "alias"}
    for name, element in types.items():
        assert name.count("/") == 1
        children = {child.tag.removeprefix(MIME_NS) for child in element}
        assert children <= allowed, children - allowed
        assert element.findtext(f"{MIME_NS}comment"), name
        icon = element.find(f"{MIME_NS}icon")
        assert icon is not None
        svg = HICOLOR / "scalable" / "mimetypes" / f"{icon.get('name')}.svg"
        assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg", svg
    tools = types["application/x-navtalk-tools+json"]
    globs = [glob.get("pattern") for glob in tools.iter(f"{MIME_NS}glob")]
    # The suffix the app saves tool sets with.
    from navtalk_desktop.infra.toolset_file import TOOLSET_SUFFIX

    assert globs == [f"*{TOOLSET_SUFFIX}"]
    # Recordings are *.jsonl, which is not ours to claim: only their header identifies them.
    recording = types["application/x-navtalk-recording"]
    assert recording.find(f"{MIME_NS}glob") is None
    assert recording.find(f"{MIME_NS}magic") is not None


def test_desktop_entry_opens_exactly_the_mime_types() -> None:
    listed = _desktop_entry()["MimeType"]
    assert listed.endswith(";")
    assert set(listed.split(";")) - {""} == set(_mime_types())


def test_xmllint_accepts_the_xml_files() -> None:
    program = _validator("xmllint", "libxml2-utils")
    for path in (MIME_FILE, METAINFO_FILE, *HICOLOR.glob("scalable/*/*.svg")):
        result = subprocess.run(
            [program, "--noout", str(path)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr


def _mime_database(tmp_path: Path) -> Path:
    """``update-mime-database`` over our XML alone: it rejects what it cannot parse."""
    program = _validator("update-mime-database", "shared-mime-info")
    mime = tmp_path / "share" / "mime"
    (mime / "packages").mkdir(parents=True)
    shutil.copy(MIME_FILE, mime / "packages" / f"{APP_ID}.xml")
    result = subprocess.run(
        [program, str(mime)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr
    return mime


def test_update_mime_database_compiles_globs_magic_and_icons(tmp_path: Path) -> None:
    mime = _mime_database(tmp_path)
    globs = (mime / "globs2").read_text()
    assert "application/x-navtalk-tools+json:*.navtools.json" in globs
    assert "jsonl" not in globs
    assert b"navtalk-desktop-timeline" in (mime / "magic").read_bytes()
    icons = (mime / "icons").read_text()
    assert "application/x-navtalk-recording:application-x-navtalk-recording" in icons
    subclasses = (mime / "subclasses").read_text()
    assert "application/x-navtalk-tools+json application/json" in subclasses


def test_desktop_recognises_our_files_by_name_and_content(tmp_path: Path) -> None:
    """GIO (what GNOME's file manager asks) resolves real files against the database."""
    from navtalk_desktop.core.timeline.timeline import Timeline
    from navtalk_desktop.infra.recording import export_timeline

    gio = _validator("gio", "libglib2.0-bin")
    mime = _mime_database(tmp_path)
    recording = tmp_path / "Tuesday demo.jsonl"
    export_timeline(Timeline(), recording)  # what File → Export and respond --record write
    other = tmp_path / "events.jsonl"
    other.write_text('{"event": "login"}\n')
    tools = tmp_path / "weather.navtools.json"
    tools.write_text('{"tools": []}\n')
    plain = tmp_path / "package.json"
    plain.write_text("{}\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(mime.parent),
        "XDG_DATA_DIRS": "/usr/local/share:/usr/share",
    }

    def content_type(path: Path) -> str:
        result = subprocess.run(
            [gio, "info", "--attributes=standard::content-type", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            env=env,
        )
        return result.stdout.split("standard::content-type:", 1)[1].strip()

    assert content_type(recording) == "application/x-navtalk-recording"
    assert content_type(tools) == "application/x-navtalk-tools+json"
    assert content_type(other) != "application/x-navtalk-recording"
    assert content_type(plain) == "application/json"
