"""The sdist and wheel a packager builds (``python -m build``): what they must carry.

``python -m build`` builds the sdist first and the wheel from the unpacked sdist, so a file
the sdist forgets also breaks the wheel here, as it would for a distribution's packager.
"""

from __future__ import annotations

import email.parser
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAME = "navtalk_desktop-0.1.0"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str], str]:
    """(sdist members, wheel members, wheel METADATA), built once for the module."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    with tarfile.open(sdist) as tar:
        members = [m.removeprefix(f"{NAME}/") for m in tar.getnames()]
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
        metadata = archive.read(f"{NAME}.dist-info/METADATA").decode()
    return members, files, metadata


def test_sdist_carries_license_tests_resources_packaging_and_the_readme_image(
    artefacts: tuple[list[str], list[str], str],
) -> None:
    members = set(artefacts[0])
    for needed in (
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "MANIFEST.in",
        "dev.py",
        "docs/screenshot.png",  # the README shows it by relative path
        "resources/ai.navtalk.Desktop.desktop",
        "resources/ai.navtalk.Desktop.metainfo.xml",
        "resources/ai.navtalk.Desktop.mime.xml",
        "resources/icons/hicolor/scalable/mimetypes/application-x-navtalk-recording.svg",
        "resources/icons/hicolor/256x256/apps/ai.navtalk.Desktop.png",
        "tests/conftest.py",
        "tests/unit/test_packaging_dist.py",
        "tests/gui/conftest.py",
        "tests/benchmarks/cli.py",  # python3 dev.py bench runs from a source tree
        "packaging/build.py",
        "packaging/install.sh",
        "packaging/bundle-requirements.txt",
        "packaging/licenses/LGPL-3.0.txt",
        "navtalk_desktop/cli.py",
    ):
        assert needed in members, needed
    assert not [m for m in members if m.endswith((".pyc", ".pyo")) or "__pycache__" in m]
    assert not [m for m in members if m.startswith((".venv", "dist/", "build/"))]


def test_wheel_carries_the_license_and_the_desktop_integration_files(
    artefacts: tuple[list[str], list[str], str],
) -> None:
    files = set(artefacts[1])
    for needed in (
        f"{NAME}.dist-info/licenses/LICENSE",
        "navtalk_desktop/py.typed",
        "navtalk_desktop/resources/desktop/ai.navtalk.Desktop.desktop",
        "navtalk_desktop/resources/desktop/ai.navtalk.Desktop.metainfo.xml",
        "navtalk_desktop/resources/desktop/ai.navtalk.Desktop.mime.xml",
        "navtalk_desktop/resources/icons/hicolor/scalable/mimetypes/"
        "application-x-navtalk-tools+json.svg",
        "navtalk_desktop/resources/icons/hicolor/48x48/apps/ai.navtalk.Desktop.png",
    ):
        assert needed in files, needed
    # Tests, benchmarks and packaging scripts are sdist-only.
    assert not [f for f in files if f.startswith(("tests/", "packaging/"))]
    assert not [f for f in files if f.startswith("navtalk_desktop/bench")]


def test_wheel_metadata_states_license_classifiers_and_urls(
    artefacts: tuple[list[str], list[str], str],
) -> None:
    metadata = email.parser.Parser().parsestr(artefacts[2])
    assert metadata["Metadata-Version"] >= "2.4"
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    classifiers = set(metadata.get_all("Classifier") or [])
    for needed in (
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Intended Audience :: Developers",
        "Topic :: Software Development :: Testing",
    ):
        assert needed in classifiers, needed
    assert not [c for c in classifiers if c.startswith("License ::")], "PEP 639: expression only"
    urls = metadata.get_all("Project-URL") or []
    assert urls
    assert all(url.split(", ", 1)[1].startswith("https://") for url in urls)
