"""What wheel users get: ``navtalk-desktop --install-desktop-entry``, the documented
environment variables in ``--help``, and quiet logging when started from the menu."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from navtalk_desktop import cli

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "ai.navtalk.Desktop"


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "navtalk_desktop", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A user with their own HOME and XDG_DATA_HOME, this venv's scripts on PATH."""
    home = tmp_path / "home"
    home.mkdir()
    scripts = str(Path(sys.executable).parent)
    return {
        "PATH": f"{scripts}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "XDG_DATA_HOME": str(tmp_path / "data home"),
        "NAVTALK_DESKTOP_HOME": str(tmp_path / "app"),
    }


def test_install_desktop_entry_installs_into_xdg_data_home_and_uninstall_cleans_up(
    user_env: dict[str, str],
) -> None:
    data = Path(user_env["XDG_DATA_HOME"])
    result = _run("--install-desktop-entry", env=user_env)
    assert result.returncode == 0, result.stderr
    assert str(data) in result.stdout
    entry = data / "applications" / f"{APP_ID}.desktop"
    text = entry.read_text(encoding="utf-8")
    script = shutil.which("navtalk-desktop", path=user_env["PATH"])
    assert script is not None
    assert f'Exec="{script}" --from-menu %F\n' in text
    assert f"TryExec={script}\n" in text
    assert "MimeType=application/x-navtalk-tools+json;application/x-navtalk-recording;" in text
    for relative in (
        f"metainfo/{APP_ID}.metainfo.xml",
        f"mime/packages/{APP_ID}.xml",
        f"icons/hicolor/scalable/apps/{APP_ID}.svg",
        f"icons/hicolor/48x48/apps/{APP_ID}.png",
        "icons/hicolor/scalable/mimetypes/application-x-navtalk-recording.svg",
        "icons/hicolor/scalable/mimetypes/application-x-navtalk-tools+json.svg",
    ):
        assert (data / relative).is_file(), relative
    assert not (Path(user_env["HOME"]) / ".local").exists()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert "hint:" not in check.stdout + check.stderr
    if shutil.which("update-mime-database"):
        assert "*.navtools.json" in (data / "mime" / "globs2").read_text()

    result = _run("--uninstall-desktop-entry", env=user_env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*")) == []


def test_install_desktop_entry_reports_an_unwritable_data_home(
    user_env: dict[str, str], tmp_path: Path
) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    result = _run("--install-desktop-entry", env={**user_env, "XDG_DATA_HOME": str(blocked)})
    assert result.returncode == 1
    assert result.stderr.startswith("navtalk-desktop: ")
    assert "Traceback" not in result.stderr


def test_top_level_help_documents_the_environment_and_sub_command_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for needle in (
        "NAVTALK_LOG_LEVEL",
        "NAVTALK_THEME",
        "navtalk-desktop gui --help",
        "--install-desktop-entry",
        "--uninstall-desktop-entry",
    ):
        assert needle in out, needle


def test_gui_help_shows_the_gui_options_and_its_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["gui", "--help"])
    out = capsys.readouterr().out
    for needle in ("--connect", "--auto", "--from-menu", "--quit-after", "FILE"):
        assert needle in out, needle
    environment = out.split("environment variables:", 1)[1]
    for needle in ("NAVTALK_LOG_LEVEL", "NAVTALK_THEME", "NAVTALK_LICENSE", "NAVTALK_DESKTOP_HOME"):
        assert needle in environment, needle


@pytest.mark.parametrize("command", ["simulate", "respond"])
def test_other_commands_keep_their_own_epilog_and_list_their_environment(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert "NAVTALK_LOG_LEVEL" in out.split("environment variables:", 1)[1]
    if command == "simulate":
        assert "fault kinds:" in out


LOGGING_PROBE = """
import logging, sys
from navtalk_desktop import app
file_log = app.configure_logging("INFO", logging.WARNING if "--from-menu" in sys.argv else 0)
logging.getLogger("probe").info("an info line")
logging.getLogger("probe").warning("a warning line")
file_log.close()
"""


@pytest.mark.parametrize("from_menu", [False, True])
def test_started_from_the_menu_only_warnings_reach_stderr(
    from_menu: bool, user_env: dict[str, str]
) -> None:
    args = ["--from-menu"] if from_menu else []
    result = subprocess.run(
        [sys.executable, "-c", LOGGING_PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=user_env,
    )
    assert "a warning line" in result.stderr
    assert ("an info line" in result.stderr) is not from_menu
    # The log file keeps everything either way.
    log = Path(user_env["NAVTALK_DESKTOP_HOME"]) / "logs" / "navtalk-desktop.log"
    text = log.read_text(encoding="utf-8")
    assert "an info line" in text
    assert "a warning line" in text


def test_the_gui_parser_accepts_from_menu() -> None:
    import argparse

    from navtalk_desktop import app

    parser = argparse.ArgumentParser()
    app.configure_parser(parser)
    assert parser.parse_args(["--from-menu", "a.navtools.json"]).from_menu is True
    assert parser.parse_args([]).from_menu is False
