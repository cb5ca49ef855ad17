"""Collect license notices: from installed distributions' metadata, or from the bundle.

The standalone bundle carries no metadata of the packages inside it, so the build collects
their notices once (``packaging/build.py`` calls :func:`distribution_notice` for every
distribution PyInstaller bundled) and writes them with :func:`write_notices` into the
bundle's ``licenses/`` folder; the app reads them back with :func:`read_notices`. Run from a
virtual environment, the app collects them itself (:func:`installed_notices`).
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path, PurePosixPath

from navtalk_desktop.core.licenses import LicenseNotice, LicenseText, combined_notices

PROJECT_DISTRIBUTION = "navtalk-desktop"
BUNDLE_LICENSES_DIR = "licenses"
INDEX_FILE = "index.json"
NOTICES_FILE = "THIRD_PARTY_NOTICES.txt"
# Files that are license texts even when the metadata does not list them (older wheels).
_LICENSE_NAME = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)


def canonical_name(name: str) -> str:
    """PEP 503 normalised distribution name (``Jinja2`` and ``jinja2`` are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _field(meta: metadata.PackageMetadata, key: str) -> str:
    """A single metadata field, "" when missing (``meta[key]`` warns on 3.12+ then)."""
    values = meta.get_all(key) or []
    return str(values[0]) if values else ""


def license_of(dist: metadata.Distribution) -> str:
    """The license as the metadata states it: SPDX expression, classifier or License field."""
    meta = dist.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return str(expression).strip()
    classifiers = [
        str(c).split(" :: ")[-1]
        for c in meta.get_all("Classifier") or []
        if str(c).startswith("License ::")
    ]
    if classifiers:
        return " / ".join(classifiers)
    field = _field(meta, "License").strip()
    # Some projects paste their whole license text into the License field.
    return field if field and "\n" not in field and len(field) <= 80 else ""


def _license_texts(dist: metadata.Distribution) -> tuple[LicenseText, ...]:
    names = [str(n) for n in dist.metadata.get_all("License-File") or []]
    texts: list[LicenseText] = []
    for name in names:
        # PEP 639 puts them under .dist-info/licenses/, older setuptools beside METADATA.
        for candidate in (f"licenses/{name}", name):
            text = dist.read_text(candidate)
            if text:
                texts.append(LicenseText(name, text))
                break
        else:
            # A source checkout's egg-info lists the file but leaves it in the project root.
            beside = Path(str(dist.locate_file(name)))
            if beside.is_file():
                texts.append(LicenseText(name, beside.read_text(encoding="utf-8")))
    if texts:
        return tuple(texts)
    # No (readable) License-File entries: look for license-like files in the metadata folder.
    for file in dist.files or []:
        path = PurePosixPath(str(file))
        in_metadata = path.parts and path.parts[0].endswith((".dist-info", ".egg-info"))
        if in_metadata and _LICENSE_NAME.match(path.name):
            text = dist.read_text("/".join(path.parts[1:]))
            if text:
                texts.append(LicenseText("/".join(path.parts[1:]), text))
    return tuple(texts)


def notice_of(dist: metadata.Distribution) -> LicenseNotice:
    """The notice of one distribution (``texts`` empty when none is found)."""
    return LicenseNotice(
        name=_field(dist.metadata, "Name") or dist.name,
        version=dist.version,
        license=license_of(dist),
        texts=_license_texts(dist),
    )


def distribution_notice(name: str) -> LicenseNotice:
    """The notice of one installed distribution (``texts`` empty when none is found).

    Raises:
        importlib.metadata.PackageNotFoundError: ``name`` is not installed.
    """
    return notice_of(metadata.distribution(name))


def python_notice() -> LicenseNotice:
    """Python's own license (PSF), read from the running interpreter's installation."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [
        Path(sys.base_prefix) / "lib" / f"python{version}" / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE.txt",  # Windows layout
        Path(f"/usr/share/doc/python{version}/copyright"),  # Debian strips LICENSE.txt
    ]
    texts: tuple[LicenseText, ...] = ()
    for path in candidates:
        if path.is_file():
            texts = (LicenseText(path.name, path.read_text(encoding="utf-8", errors="replace")),)
            break
    return LicenseNotice("Python", sys.version.split()[0], "PSF-2.0", texts)


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _installed() -> dict[str, metadata.Distribution]:
    """Every installed distribution by normalised name (one scan of sys.path, not one each)."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = _field(dist.metadata, "Name")
        if name:
            found.setdefault(canonical_name(str(name)), dist)
    return found


def runtime_requirements(
    name: str, installed: dict[str, metadata.Distribution] | None = None
) -> list[metadata.Distribution]:
    """Installed distributions ``name`` needs at run time, recursively (not itself).

    Requirements that only an extra pulls in (``; extra == "dev"``) are left out; other
    markers are approximated by what is installed, so no ``packaging`` import is needed.
    """
    installed = _installed() if installed is None else installed
    seen: dict[str, metadata.Distribution] = {}
    queue = [canonical_name(name)]
    while queue:
        current = installed.get(queue.pop())
        for requirement in (current.requires or []) if current else []:
            if "extra ==" in requirement.replace('"', "").replace("'", ""):
                continue
            match = _REQUIREMENT_NAME.match(requirement)
            key = canonical_name(match.group(1)) if match else ""
            if key in seen or key == canonical_name(name) or key not in installed:
                continue
            seen[key] = installed[key]
            queue.append(key)
    return [seen[key] for key in sorted(seen)]


def installed_notices(project: str = PROJECT_DISTRIBUTION) -> list[LicenseNotice]:
    """The project's notice, Python's, then every runtime dependency's (by name)."""
    installed = _installed()
    notices = [notice_of(installed[canonical_name(project)]), python_notice()]
    notices += [notice_of(dist) for dist in runtime_requirements(project, installed)]
    return notices


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "_"


def write_notices(folder: Path, notices: list[LicenseNotice]) -> None:
    """Write ``notices`` as ``folder/<name>/<file>`` + ``index.json`` + the combined text."""
    folder.mkdir(parents=True, exist_ok=True)
    index = []
    for notice in notices:
        files = []
        for text in notice.texts:
            relative = PurePosixPath(_safe(notice.name), *map(_safe, text.name.split("/")))
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.text, encoding="utf-8")
            files.append({"name": text.name, "path": str(relative)})
        index.append(
            {
                "name": notice.name,
                "version": notice.version,
                "license": notice.license,
                "files": files,
            }
        )
    (folder / INDEX_FILE).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    (folder / NOTICES_FILE).write_text(combined_notices(notices), encoding="utf-8")


def read_notices(folder: Path) -> list[LicenseNotice]:
    """Read what :func:`write_notices` wrote.

    Raises:
        OSError: the folder or a file in it cannot be read.
        ValueError: ``index.json`` is not what :func:`write_notices` writes.
    """
    entries = json.loads((folder / INDEX_FILE).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{folder / INDEX_FILE} is not a list")
    notices = []
    for entry in entries:
        texts = tuple(
            LicenseText(str(f["name"]), (folder / str(f["path"])).read_text(encoding="utf-8"))
            for f in entry.get("files", [])
        )
        notices.append(
            LicenseNotice(str(entry["name"]), str(entry["version"]), str(entry["license"]), texts)
        )
    return notices


def bundle_licenses_dir() -> Path | None:
    """The ``licenses/`` folder beside the executable of a PyInstaller bundle, else None."""
    if not getattr(sys, "frozen", False):
        return None
    folder = Path(sys.executable).resolve().parent / BUNDLE_LICENSES_DIR
    return folder if (folder / INDEX_FILE).is_file() else None


def available_notices() -> list[LicenseNotice]:
    """What Help → Licenses shows: the bundle's collected notices, or the installed ones."""
    folder = bundle_licenses_dir()
    if folder is not None:
        return read_notices(folder)
    return installed_notices()
