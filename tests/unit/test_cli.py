"""The console script: sub-command dispatch, default command, version."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from navtalk_desktop import __version__, cli


def test_version_flag_prints_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"navtalk-desktop {__version__}"


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in cli.SUBCOMMANDS:
        assert name in out


def test_gui_is_the_default_subcommand() -> None:
    assert cli._with_default_command(["--connect", "--auto"]) == ["gui", "--connect", "--auto"]
    assert cli._with_default_command([]) == ["gui"]
    assert cli._with_default_command(["simulate", "--port", "0"])[0] == "simulate"


def test_python_dash_m_runs_the_same_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "navtalk_desktop", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"navtalk-desktop {__version__}"


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gui", "--no-such-option"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_file_arguments_may_follow_options(monkeypatch: pytest.MonkeyPatch) -> None:
    # The desktop entry passes %F last, but people type files anywhere on the line.
    module = cli._load("gui")
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(module, "run", lambda args: seen.append(args) or 0)
    assert cli.main(["tools.json", "--connect", "session.jsonl", "--auto"]) == 0
    (args,) = seen
    assert args.command == "gui"
    assert args.files == [Path("tools.json"), Path("session.jsonl")]
    assert args.connect
    assert args.auto
