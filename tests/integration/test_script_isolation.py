"""Script responders run isolated: nothing next to a script shadows the standard library.

The attack this guards against: a folder holding an exact copy of a trusted script plus
its own ``sqlite3.py``. Before, the runner put the script's folder first on ``sys.path``,
so the planted module ran on the first call.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from navtalk_desktop.examples.databases import build_sales
from navtalk_desktop.examples.install import BUNDLED
from navtalk_desktop.infra.script_runner import SubprocessScriptRunner, script_environment


def _plant(folder: Path, module: str, marker: Path) -> None:
    (folder / f"{module}.py").write_text(
        f"open({str(marker)!r}, 'w').write('planted {module} ran')\n"
        "raise SystemExit('planted module')\n",
        encoding="utf-8",
    )


@pytest.mark.asyncio
async def test_planted_sqlite3_next_to_a_bundled_script_never_runs(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    script = folder / "sales.py"
    shutil.copyfile(BUNDLED / "scripts" / "sales.py", script)
    marker = tmp_path / "pwned"
    for module in ("sqlite3", "datetime", "typing"):
        _plant(folder, module, marker)
    database = tmp_path / "sales.sqlite3"
    build_sales(database, BUNDLED / "sales.json")

    result = await SubprocessScriptRunner().run(
        script,
        "respond",
        {"period": "this_month"},
        {"vars": {"sales_db": str(database)}},
        30.0,
    )

    assert not marker.exists()
    assert isinstance(result, str)
    assert result.startswith("Sales this month")


@pytest.mark.asyncio
async def test_sibling_modules_still_import_but_never_as_stdlib_names(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _plant(tmp_path, "json", marker)
    (tmp_path / "helpers.py").write_text("def shout(text):\n    return text.upper()\n")
    script = tmp_path / "handler.py"
    script.write_text(
        textwrap.dedent(
            """
            import json, os, sys
            import helpers

            def respond(arguments, context):
                return {
                    "text": helpers.shout(json.dumps(arguments["word"])),
                    "cwd": os.getcwd(),
                    "first_path": sys.path[0] if sys.path else "",
                }
            """
        ),
        encoding="utf-8",
    )

    result = await SubprocessScriptRunner().run(script, "respond", {"word": "hi"}, {}, 30.0)

    assert not marker.exists()
    assert isinstance(result, dict)
    assert result["text"] == '"HI"'
    assert result["cwd"] == str(tmp_path)
    assert result["first_path"] != str(tmp_path)
    assert result["first_path"] != ""


@pytest.mark.asyncio
async def test_environment_is_a_short_allow_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NAVTALK_LICENSE", "sk_navtalk_must_not_leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-must-not-leak")
    # Would make the child import a planted module at start-up without -I.
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    marker = tmp_path / "pwned"
    _plant(tmp_path, "sitecustomize", marker)
    script = tmp_path / "env.py"
    script.write_text(
        "import os\n\ndef respond(arguments, context):\n    return dict(os.environ)\n",
        encoding="utf-8",
    )

    seen = await SubprocessScriptRunner().run(script, "respond", {}, {}, 30.0)

    assert not marker.exists()
    assert isinstance(seen, dict)
    assert "NAVTALK_LICENSE" not in seen
    assert "AWS_SECRET_ACCESS_KEY" not in seen
    assert "PYTHONPATH" not in seen
    assert seen.get("PATH")
    assert set(seen) <= set(script_environment()) | {"LC_CTYPE"}


def test_the_packaged_app_gets_only_dash_c(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = SubprocessScriptRunner()
    assert runner.command()[1:4] == ["-I", "-X", "utf8"]
    # The bundle's executable answers only "-c CODE" (packaging/navtalk_desktop_main.py).
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert runner.command()[1:2] == ["-c"]
    assert SubprocessScriptRunner("/usr/bin/python3").command()[1] == "-I"


@pytest.mark.asyncio
async def test_without_isolation_flags_stdlib_names_are_still_not_shadowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in the bundle: "-c" only, so the runner itself keeps '' (the script's folder
    # once it changed into it) off the import path.
    marker = tmp_path / "pwned"
    _plant(tmp_path, "csv", marker)
    script = tmp_path / "handler.py"
    script.write_text(
        "import csv\n\ndef respond(arguments, context):\n    return csv.__file__\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    found = await SubprocessScriptRunner().run(script, "respond", {}, {}, 30.0)
    assert not marker.exists()
    assert isinstance(found, str)
    assert Path(found).parent != tmp_path
