"""The GUI's ports as the engine's child process sees them: mirrored consent and folder."""

from __future__ import annotations

import pickle
from pathlib import Path

from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.tools.consent import HostAllowList, HostRule
from navtalk_desktop.engine_process.host import describe_exit
from navtalk_desktop.engine_process.recipe import PortMirror
from navtalk_desktop.engine_process.wire import PortCall, PortReply, PortUpdate

REMOTE = "https://hooks.example.com/call"


def test_hosts_the_gui_allows_are_allowed_in_the_child_and_folders_follow() -> None:
    mirror = PortMirror("allow it in the app", PortUpdate(Path("/first"), ()))
    factory = mirror.follow(ResponderFactory())
    refusal = mirror.hosts.refusal(REMOTE)
    assert refusal is not None
    assert refusal.endswith("allow it in the app")
    assert factory.base_dir == Path("/first")

    gui = HostAllowList()
    seen: list[int] = []
    gui.watch(lambda: seen.append(len(gui.rules)))
    gui.allow(["hooks.example.com"])
    assert seen == [1]
    # What crosses the pipe: the whole state, pickled.
    update = pickle.loads(pickle.dumps(PortUpdate(Path("/second"), gui.rules)))
    mirror.apply(update)
    assert mirror.hosts.refusal(REMOTE) is None
    assert factory.base_dir == Path("/second")
    mirror.apply(update)  # the same state again changes nothing
    assert mirror.hosts.rules == (HostRule("hooks.example.com"),)


def test_licenses_never_show_in_the_messages_repr() -> None:
    secret = "sk_navtalk_0123456789abcdef"
    assert secret not in repr(PortCall(1, "secrets", "set", ("Staging", secret)))
    assert secret not in repr(PortReply(1, secret))


def test_exit_descriptions() -> None:
    assert describe_exit(0) == "exit code 0"
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-9) == "killed by signal SIGKILL"
    assert describe_exit(-11) == "killed by signal SIGSEGV"


def test_frames_cross_the_pipe_as_columns_and_come_back_equal() -> None:
    from multiprocessing.reduction import ForkingPickler

    from navtalk_desktop.core.engine.events import FramesAppended
    from navtalk_desktop.core.timeline.timeline import Direction, Timeline, TimelineEntry

    timeline = Timeline()
    timeline.append(Direction.OUT, "user.text", '{"type": "user.text"}', summary="hi")
    timeline.append(Direction.IN, "delta", '{"d": 1}', fold_key="r1", call_id="c1")
    timeline.append(Direction.LOCAL, "note", "", error="bad frame")
    event = FramesAppended(0, timeline.rows(0, 3), timeline.fold_keys(0, 3))
    back = pickle.loads(ForkingPickler.dumps((event, FramesAppended(3, (), ()))))
    assert back == (event, FramesAppended(3, (), ()))
    assert all(type(row) is TimelineEntry for row in back[0].rows)
    assert [row.direction for row in back[0].rows] == [Direction.OUT, Direction.IN, Direction.LOCAL]
