"""``navtalk-desktop test --from-recording REC.jsonl SUITE``: tests made from a recorded session.

Every call the recorded client answered becomes a call test of the suite file (created
when missing): the tool, its arguments, and an expectation prefilled from the recorded
answer. An output starting with ``Error:`` (the app's error outputs) is expected to be an
error again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.regression.capture import call_test_from, describe_call, with_case
from navtalk_desktop.core.regression.suite import Suite
from navtalk_desktop.headless.cli_support import command_output
from navtalk_desktop.headless.replay.recording import RecordingError, read_recording
from navtalk_desktop.headless.replay.script import recorded_calls, recorded_outputs

_err, _ = command_output("test")

EXIT_OK = 0
EXIT_USAGE = 2


def capture_recording(args: argparse.Namespace) -> int:
    """Add the recording's answered calls to the one suite file named; returns the exit code."""
    from navtalk_desktop.infra.test_suite_file import load_suite, save_suite

    if len(args.suites) != 1:
        _err("--from-recording needs exactly one SUITE file to write")
        return EXIT_USAGE
    target = Path(args.suites[0])
    try:
        frames = read_recording(args.from_recording)
    except RecordingError as exc:
        _err(str(exc))
        return EXIT_USAGE
    if target.exists():
        try:
            suite = load_suite(target)
        except (OSError, ConfigError) as exc:
            _err(f"{target}: {exc}")
            return EXIT_USAGE
    else:
        tools = None
        if args.tools is not None:
            tools = _relative(args.tools, target.parent)
        suite = Suite(name=target.name.removesuffix(".navtests.json"), tools=tools)
    outputs = recorded_outputs(frames)
    added = 0
    for call_id, call in recorded_calls(frames).items():
        if call_id not in outputs or not call.name:
            continue
        output = outputs[call_id][0].output
        case = call_test_from(
            describe_call(call.name, call.arguments),
            call.name,
            call.arguments,
            output,
            is_error=output.startswith("Error:"),
        )
        suite = with_case(suite, case)
        sys.stdout.write(f"added {suite.tests[-1].name}\n")
        added += 1
    try:
        save_suite(target, suite)
    except OSError as exc:
        _err(f"cannot write {target}: {exc.strerror or exc}")
        return EXIT_USAGE
    sys.stdout.write(f"{added} test{'s' * (added != 1)} added to {target}\n")
    return EXIT_OK


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path.resolve())
