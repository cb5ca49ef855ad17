"""Helpers for GUI tests: the real app (Workbench) on the test's qasync loop, and waits.

The workbench is built exactly as ``navtalk-desktop`` builds it (real simulator on a free
127.0.0.1 port, real WebSocket transport, real settings file, memory keyring from the root
conftest), with fast simulator timings and files under the test's ``tmp_path``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from navtalk_desktop import app as app_module
from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet, toolset_to_json
from navtalk_desktop.infra.settings_file import SettingsFile
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.tasks import TaskRunner

QUESTION = "What's the weather in Beijing?"


def app_args(*argv: str) -> argparse.Namespace:
    """Parse ``argv`` with the app's own parser."""
    parser = argparse.ArgumentParser()
    app_module.configure_parser(parser)
    return parser.parse_args(list(argv))


def build_workbench(
    await_in_qt: Callable[..., Any],
    tmp_path: Path,
    *argv: str,
    simulator_config: SimulatorConfig | None = None,
) -> app_module.Workbench:
    """Build the app's workbench on the test loop and show its window."""
    layout = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    simulator_config = simulator_config or SimulatorConfig.fast()
    if not simulator_config.media and "--no-media" not in argv:
        # The simulator sends canned SDPs without media: a real peer would wait for ICE.
        argv = (*argv, "--no-media")
    args = app_args(*argv)
    workbench: app_module.Workbench = await_in_qt(
        app_module.Workbench.create(
            args,
            layout_settings=layout,
            simulator_config=simulator_config,
            settings_file=SettingsFile(tmp_path / "settings.json"),
        ),
        timeout=20,
    )
    workbench.window.resize(1440, 880)
    workbench.window.show()
    workbench.start(args)
    return workbench


@pytest.fixture
def workbench_factory(
    qloop: Any, await_in_qt: Callable[..., Any], tmp_path: Path, app_home: Path
) -> Iterator[Callable[..., app_module.Workbench]]:
    """Build workbenches (``factory(*argv)``); every one is closed at teardown."""
    built: list[app_module.Workbench] = []

    def factory(*argv: str, **kwargs: Any) -> app_module.Workbench:
        workbench = build_workbench(await_in_qt, tmp_path, *argv, **kwargs)
        built.append(workbench)
        return workbench

    yield factory
    for workbench in built:
        await_in_qt(workbench.close(), timeout=20)


def static_toolset_file(path: Path, output: str) -> Path:
    """Write a tool set whose ``function_call_judge`` answers ``output`` automatically."""
    entry = new_entry("function_call_judge").replace(
        chain=ResponderChain(steps=(ResponderStep(StaticConfig(output)),))
    )
    toolset = ToolSet(name="Test tools", tools=(entry,))
    path.write_text(json.dumps(toolset_to_json(toolset), indent=2), encoding="utf-8")
    return path


def make_bridge(tasks: TaskRunner | None = None, **options: Any) -> EngineAdapter:
    """A bridge with the real WebSocket transport and no keychain.

    Args:
        tasks: owns the bridge's coroutines (a new runner when None: a bridge that is
            never connected, as panel tests use).
        options: further :class:`EngineAdapter` arguments (``simulator_url``, ``engine``,
            ``toolset`` …); ``profile`` defaults to the Local simulator profile.
    """
    from navtalk_desktop.core.profile import default_profiles
    from navtalk_desktop.infra.ws_transport import WebSocketTransport

    options.setdefault("profile", default_profiles()[0])
    return EngineAdapter(
        transport_factory=WebSocketTransport,
        secrets=None,
        tasks=tasks if tasks is not None else TaskRunner(),
        **options,
    )


# What each transcripts item used to be as a signal of its own: recorders list the items
# under these names, with the arguments those signals had (tests read them one by one).
TRANSCRIPT_KINDS = {
    "started": "response_started",
    "delta": "transcript_delta",
    "done": "transcript_done",
    "finished": "response_finished",
}


class LatestCall:
    """A call of the desk's session, read afresh on every access.

    The desk receives immutable snapshots; tests that follow one call through its life
    read the latest snapshot the adapter received for its key.
    """

    def __init__(self, bridge: EngineAdapter, key: str) -> None:
        self._bridge = bridge
        self.key = key

    @property
    def snapshot(self) -> Any:
        call = self._bridge.calls.get(self.key)
        assert call is not None
        return call

    def __getattr__(self, name: str) -> Any:
        return getattr(self.snapshot, name)


def engine_of(bridge: EngineAdapter) -> Any:
    """The engine behind an in-process adapter (its session, calls: engine thread's)."""
    return bridge.host.engine


def transcript_items(batch: list[Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """The items of one ``transcripts`` batch as ``(name, args)``, in order."""
    items: list[tuple[str, tuple[Any, ...]]] = []
    for item in batch:
        kind, role, response_id, text = item.kind, item.role, item.response_id, item.text
        name = TRANSCRIPT_KINDS[kind]
        if name.startswith("response_"):
            items.append((name, (response_id,)))
        else:
            items.append((name, (role, response_id, text)))
    return items
