"""License notices: collected from real installed metadata, written into and read back from a
bundle, the project's LICENSE in every artefact's metadata, and the hash-locked bundle
dependencies."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from navtalk_desktop.core.licenses import LicenseNotice, LicenseText
from navtalk_desktop.infra import licenses

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
QT_DISTRIBUTIONS = {"pyside6", "pyside6-essentials", "pyside6-addons", "shiboken6"}


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    if str(PACKAGING) not in sys.path:
        sys.path.insert(0, str(PACKAGING))
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _project() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def _runtime_requirements() -> list[Requirement]:
    return [Requirement(text) for text in _project()["dependencies"]]


# ----------------------------------------------------------------------------- the project


def test_the_project_license_is_mit_with_the_developers_as_holders() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 NavTalk Desktop developers" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    project = _project()
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]


# ----------------------------------------------------------------------------- collection


def test_installed_notices_cover_the_app_python_and_every_runtime_dependency() -> None:
    notices = licenses.installed_notices()
    first, python = notices[0], notices[1]
    assert first.name == "navtalk-desktop"
    assert first.license == "MIT"
    assert "NavTalk Desktop developers" in first.full_text()
    assert python.name == "Python"
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in python.full_text()
    names = {canonicalize_name(notice.name) for notice in notices}
    wanted = {canonicalize_name(req.name) for req in _runtime_requirements()}
    assert wanted <= names, wanted - names
    # Transitive ones too (aiohttp -> yarl), and nothing only the dev extra pulls in.
    assert {"yarl", "markupsafe"} <= names
    assert not names & {"pytest", "mypy", "ruff", "hypothesis"}
    without = [n.name for n in notices[2:] if not n.texts]
    assert {canonicalize_name(n) for n in without} <= QT_DISTRIBUTIONS, without


def test_a_notice_reads_every_license_file_the_metadata_lists() -> None:
    notice = licenses.distribution_notice("aiohttp")
    assert notice.license  # Apache-2.0 AND MIT (an SPDX expression) in current releases
    names = [text.name for text in notice.texts]
    assert len(names) >= 2, "aiohttp ships its own and its vendored llhttp's license"
    assert all(text.text.strip() for text in notice.texts)


def test_notices_round_trip_through_the_bundle_folder(tmp_path: Path) -> None:
    notices = [
        LicenseNotice("navtalk-desktop", "0.1.0", "MIT", (LicenseText("LICENSE", "MIT text"),)),
        LicenseNotice(
            "odd/name", "1", "Apache-2.0", (LicenseText("vendor/x/LICENSE", "vendored text"),)
        ),
        LicenseNotice("no-text", "2", ""),
    ]
    folder = tmp_path / "licenses"
    licenses.write_notices(folder, notices)
    assert licenses.read_notices(folder) == notices
    combined = (folder / licenses.NOTICES_FILE).read_text(encoding="utf-8")
    for piece in ("navtalk-desktop 0.1.0 — MIT", "vendored text", "No license text was found"):
        assert piece in combined
    # Every file stays inside the folder, whatever the names look like.
    assert all(path.is_relative_to(folder) for path in folder.rglob("*"))


def test_a_frozen_app_reads_the_notices_of_its_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "navtalk-desktop"
    only = [LicenseNotice("from-the-bundle", "9", "MIT", (LicenseText("LICENSE", "x"),))]
    licenses.write_notices(bundle / licenses.BUNDLE_LICENSES_DIR, only)
    (bundle / "navtalk-desktop").write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "navtalk-desktop"))
    assert licenses.available_notices() == only


def test_bad_bundle_index_is_a_value_error(tmp_path: Path) -> None:
    (tmp_path / licenses.INDEX_FILE).write_text('{"not": "a list"}')
    with pytest.raises(ValueError, match="is not a list"):
        licenses.read_notices(tmp_path)


# ----------------------------------------------------------------------------- bundle time


def _fake_distribution(site: Path, name: str, *, license_file: bool) -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.4", f"Name: {name}", "Version: 1.0"]
    if license_file:
        lines += ["License-Expression: MIT", "License-File: LICENSE"]
        (info / "licenses").mkdir()
        (info / "licenses" / "LICENSE").write_text(f"{name} license text")
    (info / "METADATA").write_text("\n".join(lines) + "\n")


def test_bundle_licenses_are_collected_and_a_missing_text_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _load("build")
    site = tmp_path / "site"
    _fake_distribution(site, "with-text", license_file=True)
    _fake_distribution(site, "textless", license_file=False)
    monkeypatch.syspath_prepend(str(site))
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    problems = build.collect_licenses(bundle, ["navtalk-desktop", "with-text", "PySide6"])
    assert problems == []
    assert (bundle / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    shipped = licenses.read_notices(bundle / "licenses")
    assert [n.name for n in shipped] == ["navtalk-desktop", "Python", "with-text", "PySide6"]
    qt = shipped[3]
    assert [t.name for t in qt.texts] == ["LGPL-3.0.txt", "GPL-3.0.txt", "QT-LIBRARIES.txt"]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in qt.texts[0].text
    assert "replace" in qt.texts[2].text
    assert "_internal/PySide6/Qt/lib/" in qt.texts[2].text

    problems = build.collect_licenses(bundle, ["textless"])
    assert problems == [
        "no license text found for the bundled distribution textless 1.0 (license unknown): "
        "add its text to packaging/licenses/ and bundle_config.LICENSE_SUPPLEMENTS"
    ]


def test_the_qt_replacement_note_names_paths_that_exist_in_the_bundle_layout() -> None:
    cfg = _load("bundle_config")
    note = (cfg.LICENSE_TEXTS_DIR / "QT-LIBRARIES.txt").read_text(encoding="utf-8")
    assert f"_internal/{cfg.QT_PREFIX}/lib/" in note
    assert f"_internal/{cfg.QT_PREFIX}/plugins/" in note
    for name in {f for files in cfg.LICENSE_SUPPLEMENTS.values() for f in files}:
        assert (cfg.LICENSE_TEXTS_DIR / name).is_file(), name


# ----------------------------------------------------------------------------- lock file


def _lock() -> dict[str, tuple[str, list[str]]]:
    """name -> (pinned version, hashes) from packaging/bundle-requirements.txt."""
    text = (PACKAGING / "bundle-requirements.txt").read_text(encoding="utf-8")
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        first = block.split("\\", 1)[0].strip()
        if "==" not in first or first.startswith("#"):
            continue
        name, version = first.split(";")[0].split("==")
        pins[canonicalize_name(name)] = (version.strip(), re.findall(r"--hash=sha256:(\w+)", block))
    return pins


def test_lock_pins_every_runtime_dependency_within_pyproject_ranges_with_hashes() -> None:
    pins = _lock()
    for requirement in _runtime_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in packaging/bundle-requirements.txt"
        version, hashes = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name}=={version} is outside pyproject's {requirement.specifier}: "
            "refresh the lock (see packaging/build.py)"
        )
        assert hashes, f"{name} has no hash"
    # The bundle extra (PyInstaller) is locked too, and every pin carries hashes.
    bundle_extra = [Requirement(r) for r in _project()["optional-dependencies"]["bundle"]]
    for requirement in bundle_extra:
        assert canonicalize_name(requirement.name) in pins
    assert all(len(h) == 64 for _v, hashes in pins.values() for h in hashes)
    assert all(hashes for _v, hashes in pins.values())


def test_lock_reader_in_build_agrees_with_the_lock() -> None:
    build = _load("build")
    assert build.locked_versions() == {name: v for name, (v, _h) in _lock().items()}
