"""The layer boundaries are enforced: import-linter must reject a forbidden import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_project(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "navtalk_desktop",
        tmp_path / "navtalk_desktop",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("core/tools/definition.py", "import PySide6.QtCore", "core is pure Python"),
        ("core/tools/definition.py", "import websockets", "core is pure Python"),
        ("core/tools/definition.py", "import keyring", "core is pure Python"),
        ("infra/paths.py", "from PySide6 import QtCore", "infra and simulator never import Qt"),
        ("simulator/__init__.py", "import PySide6", "infra and simulator never import Qt"),
        ("ui/shell/tasks.py", "import navtalk_desktop.infra.paths", "ui talks to core only"),
        ("ui/shell/tasks.py", "import keyring", "ui talks to core only"),
    ],
)
def test_import_linter_rejects_forbidden_import(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    project = _copy_project(tmp_path)
    target = project / "navtalk_desktop" / module
    target.write_text(target.read_text() + f"\n{line}  # deliberate violation\n")
    result = _lint(project)
    assert result.returncode != 0, result.stdout
    assert f"{contract}" in result.stdout
    assert "BROKEN" in result.stdout


def test_import_linter_accepts_the_real_tree(tmp_path: Path) -> None:
    result = _lint(_copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
