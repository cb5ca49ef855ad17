"""The layer boundaries are enforced: import-linter must reject a forbidden import."""

from __future__ import annotations

import os
import re
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


LAYERS = "layers: cli > app > ui | headless | engine_process > examples > simulator | infra > core"
ONLY_APP = "only app (the composition root) imports both ui and infra"
NO_QT = "respond, test, replay and simulate import no Qt"


def _verdict(output: str, contract: str) -> str | None:
    """KEPT or BROKEN for ``contract`` in lint-imports' summary (names may wrap)."""
    flat = " ".join(output.split())
    match = re.search(re.escape(contract) + r"(?:(?! KEPT| BROKEN).){0,200} (KEPT|BROKEN)", flat)
    return match.group(1) if match else None


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
        ("ui/shell/tasks.py", "import navtalk_desktop.headless.consent", "ui talks to core only"),
        # The layers: nothing imports a part above it, siblings never import each other.
        ("core/profile.py", "import navtalk_desktop.headless.cli_support", LAYERS),
        ("infra/paths.py", "import navtalk_desktop.examples.install", LAYERS),
        ("simulator/brain.py", "import navtalk_desktop.infra.paths", LAYERS),
        ("infra/paths.py", "import navtalk_desktop.simulator.timings", LAYERS),
        ("examples/install.py", "import navtalk_desktop.headless.consent", LAYERS),
        ("headless/consent.py", "import navtalk_desktop.app", LAYERS),
        ("cli.py", "import navtalk_desktop.__main__", LAYERS),
        ("engine_process/wire.py", "import navtalk_desktop.headless.consent", LAYERS),
        ("engine_process/child.py", "import PySide6.QtCore", "the engine's child process"),
        # A new top-level part must take its place in the layers.
        ("extra.py", "import navtalk_desktop.core.profile", LAYERS),
        ("headless/regression_cli.py", "import navtalk_desktop.ui.shell.tasks", ONLY_APP),
        ("examples/install.py", "import navtalk_desktop.ui.shell.tasks", ONLY_APP),
        # respond / test / replay / simulate stay Qt-free, also through what they import.
        ("headless/respond.py", "import PySide6.QtCore", NO_QT),
        ("headless/cli_support.py", "import qasync", NO_QT),
        ("simulator/cli.py", "import shiboken6", NO_QT),
        ("cli.py", "import PySide6", NO_QT),
        ("app/icon.py", "import tests.benchmarks.measure", "the product never imports the tests"),
    ],
)
def test_import_linter_rejects_forbidden_import(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    project = _copy_project(tmp_path)
    target = project / "navtalk_desktop" / module
    existing = target.read_text() if target.exists() else '"""A new module."""\n'
    target.write_text(existing + f"\n{line}  # deliberate violation\n")
    result = _lint(project)
    assert result.returncode != 0, result.stdout
    assert _verdict(result.stdout, contract) == "BROKEN", result.stdout


def test_import_linter_accepts_the_real_tree(tmp_path: Path) -> None:
    result = _lint(_copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (LAYERS, ONLY_APP, NO_QT):
        assert _verdict(result.stdout, contract) == "KEPT", result.stdout
