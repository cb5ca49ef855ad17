"""The bundle's recipe, without building it: trimming rules, icon lookup, smoke-log reading,
archive naming and the user install script."""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from navtalk_desktop.infra import resource_paths

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _load(name: str) -> ModuleType:
    """Import ``packaging/<name>.py`` (a folder of scripts, not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    if str(PACKAGING) not in sys.path:
        sys.path.insert(0, str(PACKAGING))  # the scripts import their siblings by name
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cfg = _load("bundle_config")
smoke = _load("smoke")
build = _load("build")


def _pyside6_dir() -> Path:
    # find_spec of a top-level package locates it without importing it (no Qt in unit tests).
    spec = importlib.util.find_spec("PySide6")
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def _qt_modules_imported_by_the_app() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "navtalk_desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "PySide6" and len(parts) > 1 and parts[1].startswith("Qt"):
                    found.add(parts[1])
    return found


# ----------------------------------------------------------------------------- trimming


def test_no_excluded_qt_module_is_imported_by_the_app() -> None:
    """Excluding a module the app imports would ship a bundle that dies at start-up."""
    used = _qt_modules_imported_by_the_app()
    assert {"QtCore", "QtGui", "QtWidgets"} <= used
    clash = sorted(used & set(cfg.EXCLUDED_QT_MODULES))
    assert not clash, f"the app imports {clash}; remove them from EXCLUDED_QT_MODULES"


def test_every_excluded_qt_module_exists_in_pyside6() -> None:
    """A misspelt exclusion silently excludes nothing."""
    available = {path.name.split(".")[0] for path in _pyside6_dir().glob("Qt*.abi3.so")}
    if not available:
        pytest.skip("PySide6 extension modules not found as Qt*.abi3.so on this platform")
    unknown = [name for name in cfg.EXCLUDED_QT_MODULES if name not in available]
    assert not unknown


def test_required_plugins_exist_and_are_never_trimmed() -> None:
    plugins = _pyside6_dir() / "Qt" / "plugins"
    for plugin in cfg.REQUIRED_QT_PLUGINS:
        assert (plugins / plugin).is_file(), f"PySide6 has no {plugin}"
        assert not cfg.is_trimmed(f"{cfg.QT_PREFIX}/plugins/{plugin}"), plugin


def test_every_dropped_plugin_pattern_matches_a_real_plugin() -> None:
    """A stale pattern (plugin renamed upstream) would silently stop trimming."""
    plugins = _pyside6_dir() / "Qt" / "plugins"
    real = [path.relative_to(plugins).as_posix() for path in plugins.rglob("*.so")]
    stale = [p for p in cfg.DROPPED_QT_PLUGINS if not fnmatch.filter(real, p)]
    assert not stale, f"patterns matching no plugin in this PySide6: {stale}"


@pytest.mark.parametrize(
    ("dest", "trimmed"),
    [
        ("PySide6/Qt/plugins/platforms/libqvnc.so", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
        ("PySide6/Qt/plugins/generic/libqevdevmouseplugin.so", True),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
        ("PySide6/Qt/translations/qtbase_de.qm", True),
        ("PySide6/Qt/lib/libQt6Quick.so.6", True),
        ("libQt6QmlModels.so.6", True),
        ("PySide6/Qt/lib/libQt6WebEngineCore.so.6", True),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", False),
        ("PySide6/Qt/lib/libQt6Svg.so.6", False),
        ("PySide6/Qt/lib/libQt6Multimedia.so.6", False),
        ("navtalk_desktop/resources/icons/hicolor/16x16/apps/ai.navtalk.Desktop.png", False),
        ("PySide6\\Qt\\plugins\\platforms\\libqeglfs.so", True),
    ],
)
def test_is_trimmed_decides_per_bundle_path(dest: str, trimmed: bool) -> None:
    assert cfg.is_trimmed(dest) is trimmed


def test_orphaned_libraries_are_those_only_trimmed_entries_need() -> None:
    graph = {
        "/src/libqgtk3.so": {"libgtk-3.so.0", "libQt6Gui.so.6"},
        "/src/libgtk-3.so.0": {"libcairo.so.2", "libglib-2.0.so.0"},
        "/src/libcairo.so.2": {"libpixman-1.so.0"},
        "/src/libpixman-1.so.0": set(),
        "/src/libQt6Gui.so.6": {"libQt6Core.so.6", "libglib-2.0.so.0"},
        "/src/libQt6Core.so.6": {"libglib-2.0.so.0"},
        "/src/libglib-2.0.so.0": set(),
        "/src/QtGui.abi3.so": {"libQt6Gui.so.6"},
    }
    kept = [
        ("PySide6/QtGui.abi3.so", "/src/QtGui.abi3.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/src/libQt6Gui.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/src/libQt6Core.so.6", "BINARY"),
        ("libgtk-3.so.0", "/src/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "/src/libcairo.so.2", "BINARY"),
        ("libpixman-1.so.0", "/src/libpixman-1.so.0", "BINARY"),
        ("libglib-2.0.so.0", "/src/libglib-2.0.so.0", "BINARY"),
    ]
    trimmed = [("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/src/libqgtk3.so", "BINARY")]
    orphans = cfg.orphaned_libraries(kept, trimmed, lambda path: graph[path])
    # glib stays: Qt itself links it. Qt stays: the Python module needs it.
    assert orphans == {"libgtk-3.so.0", "libcairo.so.2", "libpixman-1.so.0"}


def test_archive_name_carries_version_and_architecture() -> None:
    name = cfg.archive_name("1.2.3")
    assert name == f"navtalk-desktop-1.2.3-linux-{cfg.arch()}.tar.gz"
    assert cfg.arch()
    assert "/" not in cfg.arch()


def test_spec_applies_the_shared_configuration() -> None:
    spec = (PACKAGING / "navtalk-desktop.spec").read_text(encoding="utf-8")
    for needle in (
        "cfg.project_version()",
        "cfg.EXCLUDED_QT_MODULES",
        "cfg.split_trimmed",
        "cfg.orphaned_libraries",
        "cfg.split_system",
        "cfg.drop_dangling_symlinks",
        "direct_needs",
        "collect_submodules(cfg.PACKAGE)",
        "copy_metadata(cfg.DISTRIBUTION)",
        '"resources"',
        '"examples"',
    ):
        assert needle in spec, needle
    ast.parse(spec, "navtalk-desktop.spec")  # at least valid Python


def test_frozen_entry_answers_python_c_like_an_interpreter(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The script responder runs ``sys.executable -c RUNNER``; in the bundle that is us."""
    entry = _load("navtalk_desktop_main")
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    code = "import json, sys\nprint(json.dumps({'argv': sys.argv, 'name': __name__}))"
    assert entry.run_as_python_c(["navtalk-desktop", "-c", code, "a", "--b"]) is True
    assert json.loads(capsys.readouterr().out) == {"argv": ["-c", "a", "--b"], "name": "__main__"}


@pytest.mark.parametrize(
    "argv",
    [["navtalk-desktop"], ["navtalk-desktop", "--version"], ["navtalk-desktop", "-c"]],
)
def test_frozen_entry_leaves_normal_command_lines_to_the_cli(argv: list[str]) -> None:
    assert _load("navtalk_desktop_main").run_as_python_c(argv) is False


def test_frozen_entry_lets_errors_in_python_c_code_propagate() -> None:
    entry = _load("navtalk_desktop_main")
    with pytest.raises(ZeroDivisionError):
        entry.run_as_python_c(["navtalk-desktop", "-c", "1 / 0"])


# ----------------------------------------------------------------------------- icons API


def test_icon_paths_are_the_packaged_pngs_at_every_size() -> None:
    paths = resource_paths.icon_paths()
    assert list(paths) == list(resource_paths.ICON_SIZES)
    for size, path in paths.items():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (size, size)
        assert path.parts[-4:] == ("hicolor", f"{size}x{size}", "apps", f"{cfg.APP_ID}.png")


def test_svg_icon_path_is_the_scalable_icon() -> None:
    path = resource_paths.svg_icon_path()
    assert path.name == f"{cfg.APP_ID}.svg"
    assert path.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_icon_path_rejects_a_size_that_was_not_rendered() -> None:
    with pytest.raises(ValueError, match=r"no 20 px application icon; rendered sizes are 16, 24"):
        resource_paths.icon_path(20)


def test_resource_paths_stays_qt_free() -> None:
    tree = ast.parse(
        (ROOT / "navtalk_desktop" / "infra" / "resource_paths.py").read_text(encoding="utf-8")
    )
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not imported & {"PySide6", "qasync", "navtalk_desktop"}


# ----------------------------------------------------------------------------- smoke log


def _line(direction: str, frame: object, kind: str | None = None) -> str:
    """One record as the simulator's session log writes it."""
    if kind is None:
        decoded = json.loads(frame) if isinstance(frame, str) else frame
        kind = decoded["type"]
    return json.dumps(
        {"time": 1.0, "session": "s-1", "direction": direction, "type": kind, "frame": frame}
    )


CALL_ID = "call_AAAAAAAAAAAAAAAA"
CALL = {
    "type": "realtime.response.function_call_arguments.done",
    "data": {
        "function_name": "function_call_judge",
        "call_id": CALL_ID,
        "arguments": {"userInput": "What's the weather in Beijing?"},
    },
    "raw_data": {"type": "response.function_call_arguments.done", "call_id": CALL_ID},
}
SEED_ANSWER = {
    "type": "realtime.function_call_output",
    "data": {"call_id": CALL_ID, "output": "sunny"},
}
ITEM_ANSWER = {
    "type": "conversation.item.create",
    "item": {"type": "function_call_output", "call_id": CALL_ID, "output": "sunny"},
}


@pytest.mark.parametrize("answer", [SEED_ANSWER, ITEM_ANSWER], ids=["seed-style", "item-style"])
@pytest.mark.parametrize("raw", [False, True], ids=["object", "raw-text"])
def test_session_log_shows_a_completed_round_trip(answer: dict[str, object], raw: bool) -> None:
    lines = [
        _line("out", {"type": "conversation.connected.success", "data": {"sessionId": "s-1"}}),
        _line("out", json.dumps(CALL) if raw else CALL),
        _line("in", json.dumps(answer) if raw else answer),
        _line("in", {"type": "response.create"}),
        _line("note", {"call_id": CALL_ID, "style": "x"}, kind="result"),
    ]
    trip = smoke.analyse_session_log(lines)
    assert trip.completed == [CALL_ID]
    assert trip.answers == {CALL_ID: "sunny"}
    assert trip.records == 5


def test_session_log_of_a_load_stream_counts_the_accepted_result() -> None:
    """Load mode logs a summary instead of each call; the result itself is logged."""
    lines = [
        _line("note", {"rate": 50.0, "frames": 300}, kind="load.start"),
        _line("in", SEED_ANSWER),
        _line("note", {"frames": 300, "calls": 1, "results": 1}, kind="load.end"),
    ]
    trip = smoke.analyse_session_log(lines)
    assert (trip.load_calls, trip.load_results) == (1, 1)
    assert trip.completed == [CALL_ID]


def test_session_log_without_a_matching_answer_is_not_a_round_trip() -> None:
    text_turn = {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        },
    }
    other = {"type": "realtime.function_call_output", "data": {"call_id": "call_B", "output": "x"}}
    lines = [
        _line("out", CALL),
        _line("in", text_turn),
        _line("in", other),
        _line("note", {"call_id": "call_B", "style": "x"}, kind="result.unknown_call"),
        "not json",
    ]
    trip = smoke.analyse_session_log(lines)
    assert trip.calls == [CALL_ID]
    assert trip.outputs == ["call_B"]
    assert trip.unknown == ["call_B"]
    assert trip.completed == []
    assert trip.records == 4


def test_session_log_rejected_or_one_sided_results_do_not_count() -> None:
    # A load stream that made a call but counted no result, and a result it rejected.
    lines = [
        _line("in", SEED_ANSWER),
        _line("note", {"call_id": CALL_ID, "style": "x"}, kind="result.unknown_call"),
        _line("note", {"frames": 300, "calls": 1, "results": 0}, kind="load.end"),
    ]
    assert smoke.analyse_session_log(lines).completed == []
    # A result the simulator itself sent (direction "out") is not the client's answer.
    assert (
        smoke.analyse_session_log([_line("out", CALL), _line("out", SEED_ANSWER)]).completed == []
    )


def test_smoke_tool_set_answers_the_seed_tool_with_the_static_reply(tmp_path: Path) -> None:
    from navtalk_desktop.core.responders.config import StaticConfig
    from navtalk_desktop.core.tools.toolset import toolset_from_json

    path = smoke.write_tool_set(tmp_path / "tools.json")
    toolset = toolset_from_json(json.loads(path.read_text(encoding="utf-8")))
    (entry,) = toolset.tools
    assert entry.tool.name == "function_call_judge"
    (step,) = entry.chain.steps
    assert step.config == StaticConfig(smoke.SMOKE_ANSWER)
    assert entry.enabled


def test_smoke_environment_leaves_the_virtualenv_out(tmp_path: Path) -> None:
    env = smoke.scrubbed_env(tmp_path)
    assert env["PATH"] == "/usr/bin:/bin"
    assert not any(key in env for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"))
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    assert env["PYTHON_KEYRING_BACKEND"] == "keyring.backends.null.Keyring"
    for key in ("NAVTALK_DESKTOP_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        assert Path(env[key]).is_relative_to(tmp_path), key


def test_smoke_check_fails_clearly_on_a_folder_without_the_app(tmp_path: Path) -> None:
    with pytest.raises(smoke.SmokeError, match="navtalk-desktop is missing or not executable"):
        smoke.smoke_check(tmp_path, "0.1.0", say=lambda _text: None)


# ----------------------------------------------------------------------------- install.sh


@pytest.fixture
def fake_bundle(tmp_path: Path) -> Path:
    """A bundle folder laid out by build.py, with a shell script standing in for the app."""
    bundle = tmp_path / 'Apps with "quotes" & $dollar' / "navtalk-desktop"
    bundle.mkdir(parents=True)
    executable = bundle / "navtalk-desktop"
    executable.write_text('#!/bin/sh\necho "navtalk-desktop from the bundle"\n')
    executable.chmod(0o755)
    build.add_desktop_files(bundle)
    return bundle


def _install(
    bundle: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(bundle / "install.sh"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(bundle.parent),
            **(env or {}),
        },
    )


def test_install_script_installs_and_uninstalls_for_the_user(
    fake_bundle: Path, tmp_path: Path
) -> None:
    prefix = tmp_path / "prefix"
    result = _install(fake_bundle, "--prefix", str(prefix))
    assert result.returncode == 0, result.stderr
    launcher = prefix / "bin" / "navtalk-desktop"
    assert launcher.resolve() == (fake_bundle / "navtalk-desktop").resolve()
    ran = subprocess.run([str(launcher)], capture_output=True, text=True, timeout=30, check=True)
    assert ran.stdout.strip() == "navtalk-desktop from the bundle"
    share = prefix / "share"
    for size in resource_paths.ICON_SIZES:
        assert (
            share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{cfg.APP_ID}.png"
        ).is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{cfg.APP_ID}.svg").is_file()
    assert (share / "metainfo" / f"{cfg.APP_ID}.metainfo.xml").is_file()
    desktop = (share / "applications" / f"{cfg.APP_ID}.desktop").read_text()
    # Quoted per the Desktop Entry spec: ", ` and $ backslash-escaped, then the string
    # escape doubles each backslash.
    quoted = str(fake_bundle / "navtalk-desktop").replace('"', '\\\\"').replace("$", "\\\\$")
    assert f'Exec="{quoted}" --from-menu %F\n' in desktop
    assert f"TryExec={fake_bundle / 'navtalk-desktop'}\n" in desktop
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(share / "applications" / f"{cfg.APP_ID}.desktop")],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr

    result = _install(fake_bundle, "--prefix", str(prefix), "--uninstall")
    assert result.returncode == 0, result.stderr
    # Nothing left: no file, no icon/MIME/desktop cache the install generated, no folder
    # but the prefix's share/ itself.
    left = sorted(p.relative_to(prefix).as_posix() for p in prefix.rglob("*"))
    assert left == ["share"]
    assert not launcher.is_symlink()
    assert (fake_bundle / "navtalk-desktop").is_file(), "uninstall leaves the bundle alone"


def test_install_script_honours_xdg_data_home_and_registers_the_file_types(
    fake_bundle: Path, tmp_path: Path
) -> None:
    data = tmp_path / "xdg data"
    home = fake_bundle.parent
    result = _install(fake_bundle, env={"XDG_DATA_HOME": str(data)})
    assert result.returncode == 0, result.stderr
    assert (data / "applications" / f"{cfg.APP_ID}.desktop").is_file()
    assert (data / "mime" / "packages" / f"{cfg.APP_ID}.xml").is_file()
    for icon in ("application-x-navtalk-tools+json", "application-x-navtalk-recording"):
        assert (data / "icons" / "hicolor" / "scalable" / "mimetypes" / f"{icon}.svg").is_file()
    assert (home / ".local" / "bin" / "navtalk-desktop").is_symlink()
    assert not (home / ".local" / "share").exists(), "XDG_DATA_HOME, not ~/.local/share"
    if shutil.which("update-mime-database"):
        globs = (data / "mime" / "globs2").read_text()
        assert "application/x-navtalk-tools+json:*.navtools.json" in globs
    if shutil.which("update-desktop-database"):
        cache = (data / "applications" / "mimeinfo.cache").read_text()
        assert f"application/x-navtalk-recording={cfg.APP_ID}.desktop;" in cache
    if shutil.which("gtk-update-icon-cache"):
        assert (data / "icons" / "hicolor" / "icon-theme.cache").is_file()

    # Another application's files in the same folders survive, and its caches are rebuilt.
    other_icon = data / "icons" / "hicolor" / "48x48" / "apps" / "other.png"
    other_icon.write_bytes(b"png")
    result = _install(fake_bundle, "--uninstall", env={"XDG_DATA_HOME": str(data)})
    assert result.returncode == 0, result.stderr
    assert other_icon.is_file()
    assert not (data / "mime").exists(), "the MIME database held only our types"
    assert not (data / "applications").exists()
    assert not (home / ".local" / "bin" / "navtalk-desktop").exists()
    if shutil.which("gtk-update-icon-cache"):
        # Still needed for other.png: rebuilt without our icons, not removed.
        assert (data / "icons" / "hicolor" / "icon-theme.cache").is_file()
    other_icon.unlink()
    result = _install(fake_bundle, "--uninstall", env={"XDG_DATA_HOME": str(data)})
    assert result.returncode == 0, result.stderr
    assert sorted(data.rglob("*")) == []


# ----------------------------------------------------------------------------- system libraries


@pytest.mark.parametrize(
    ("dest", "system"),
    [
        ("libstdc++.so.6", True),
        ("libgcc_s.so.1", True),
        ("libX11.so.6", True),
        ("libxcb-cursor.so.0", True),
        ("libxkbcommon-x11.so.0", True),
        ("libfontconfig.so.1", True),
        ("libfreetype.so.6", True),
        ("libglib-2.0.so.0", True),
        ("libgtk-3.so.0", True),
        ("libdbus-1.so.3", True),
        ("libEGL.so.1", True),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", False),
        ("PySide6/Qt/lib/libQt6Gui.so.6", False),
        ("libpython3.11.so.1.0", False),
        ("libssl.so.3", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
    ],
)
def test_system_libraries_are_recognised_by_name(dest: str, system: bool) -> None:
    assert cfg.is_system_library(dest) is system


def test_the_gtk_platform_theme_stays_for_native_file_dialogs() -> None:
    gtk = f"{cfg.QT_PREFIX}/plugins/platformthemes/libqgtk3.so"
    portal = f"{cfg.QT_PREFIX}/plugins/platformthemes/libqxdgdesktopportal.so"
    assert not cfg.is_trimmed(gtk)
    assert not cfg.is_trimmed(portal)
    assert {"platformthemes/libqgtk3.so", "platformthemes/libqxdgdesktopportal.so"} <= set(
        cfg.REQUIRED_QT_PLUGINS
    )


def test_split_system_keeps_links_and_qt() -> None:
    entries = [
        ("libstdc++.so.6", "/usr/lib/libstdc++.so.6", "BINARY"),
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/venv/libQt6Core.so.6", "BINARY"),
        ("libX11.so.6", "/usr/lib/libX11.so.6", "BINARY"),
    ]
    kept, system = cfg.split_system(entries)
    assert [e[0] for e in system] == ["libstdc++.so.6", "libX11.so.6"]
    assert [e[0] for e in kept] == ["libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6"]


def test_links_to_trimmed_files_are_dropped_with_them() -> None:
    """The two dangling links of the first bundles: Qt EGLFS libraries trimmed, links kept."""
    entries = [
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/venv/libQt6Core.so.6", "BINARY"),
        ("libQt6EglFsKmsSupport.so.6", "PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6", "SYMLINK"),
        ("chain.so", "libQt6EglFsKmsSupport.so.6", "SYMLINK"),
        ("PySide6/Qt/lib/up.so", "../../../libQt6Core.so.6", "SYMLINK"),
    ]
    kept, dropped = cfg.drop_dangling_symlinks(entries)
    assert dropped == ["chain.so", "libQt6EglFsKmsSupport.so.6"]
    assert [e[0] for e in kept] == [
        "libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/up.so",
    ]


def test_verify_bundle_reports_system_libraries_and_dangling_links(tmp_path: Path) -> None:
    bundle = tmp_path / "navtalk-desktop"
    internal = bundle / "_internal"
    internal.mkdir(parents=True)
    (internal / "libX11.so.6").write_bytes(b"not really")
    (internal / "libQt6EglFsKmsSupport.so.6").symlink_to("PySide6/Qt/lib/gone.so.6")
    problems = build.verify_bundle(bundle, {"trimmed": []})
    assert "system library _internal/libX11.so.6 is in the bundle (SYSTEM_LIBRARIES)" in problems
    assert (
        "dangling symbolic link _internal/libQt6EglFsKmsSupport.so.6 -> PySide6/Qt/lib/gone.so.6"
        in problems
    )
    assert "required Qt plugin platformthemes/libqgtk3.so is missing" in problems


BUILT_BUNDLE = ROOT / "dist" / cfg.BUNDLE_NAME


@pytest.mark.skipif(
    not (BUILT_BUNDLE / "licenses").is_dir(),
    reason="no bundle built with licenses in dist/ (python3 dev.py bundle builds one)",
)
def test_the_built_bundle_file_list() -> None:
    """What `python3 dev.py bundle` produced last (build.py enforces the same when building)."""
    files = [p.relative_to(BUILT_BUNDLE).as_posix() for p in BUILT_BUNDLE.rglob("*")]
    assert not [f for f in files if cfg.is_system_library(f)]
    assert not [p for p in BUILT_BUNDLE.rglob("*") if p.is_symlink() and not p.exists()]
    plugins = f"_internal/{cfg.QT_PREFIX}/plugins"
    assert f"{plugins}/platformthemes/libqgtk3.so" in files
    assert "LICENSE" in files
    assert "licenses/THIRD_PARTY_NOTICES.txt" in files
    assert f"share/mime/packages/{cfg.APP_ID}.xml" in files


def test_install_script_refuses_to_run_outside_a_bundle(fake_bundle: Path, tmp_path: Path) -> None:
    (fake_bundle / "navtalk-desktop").unlink()
    result = _install(fake_bundle, "--prefix", str(tmp_path / "prefix"))
    assert result.returncode == 1
    assert "run this script from inside the extracted bundle" in result.stderr
    assert not (tmp_path / "prefix").exists()


def test_install_script_rejects_unknown_options(fake_bundle: Path) -> None:
    result = _install(fake_bundle, "--system")
    assert result.returncode == 2
    assert "unknown option --system" in result.stderr


# ----------------------------------------------------------------------------- glibc floor

glibc_floor = _load("glibc_floor")

OBJDUMP_P = """
/x/libexample.so:     file format elf64-x86-64

Dynamic Section:
  NEEDED               libstdc++.so.6
  NEEDED               libc.so.6

Version definitions:
1 0x01 0x0a4d9d4e libexample.so
2 0x00 0x0a4d9d4f GLIBCXX_3.4.99

Version References:
  required from libstdc++.so.6:
    0x0297f869 0x00 05 GLIBCXX_3.4.29
    0x0bafd178 0x00 04 CXXABI_1.3.8
  required from libc.so.6:
    0x09691a75 0x00 03 GLIBC_2.2.5
    0x069691b4 0x00 02 GLIBC_2.34
    0x06969194 0x00 06 GLIBC_2.14
"""


def test_version_references_take_the_highest_need_per_family() -> None:
    needed = glibc_floor.version_references(OBJDUMP_P)
    # GLIBCXX_3.4.99 is a version the library defines, not one it needs.
    assert needed == {"GLIBC": (2, 34), "GLIBCXX": (3, 4, 29), "CXXABI": (1, 3, 8)}


def test_floor_report_names_who_needs_too_new_a_glibc() -> None:
    report = glibc_floor.FloorReport()
    report.add("a.so", {"GLIBC": (2, 17)})
    report.add("b.so", {"GLIBC": (2, 36), "GLIBCXX": (3, 4, 29)})
    report.add("c.so", {"GLIBC": (2, 36)})
    assert report.summary() == "GLIBC_2.36, GLIBCXX_3.4.29"
    assert report.above(cfg.glibc_floor("2.36")) == []
    assert report.above(cfg.glibc_floor("2.34")) == [
        "GLIBC_2.36 is above the floor GLIBC_2.34 (needed by b.so, c.so)"
    ]


def test_every_floor_is_a_known_profile_and_the_release_floor_is_rhel9() -> None:
    assert cfg.RELEASE_GLIBC_FLOOR == "2.34"
    assert cfg.DEFAULT_GLIBC_FLOOR in cfg.GLIBC_FLOORS
    for name, limits in cfg.GLIBC_FLOORS.items():
        assert limits["GLIBC"] == name
        assert set(limits) == set(glibc_floor.FAMILIES)
    with pytest.raises(SystemExit, match=r"unknown glibc floor '2\.17'"):
        cfg.glibc_floor("2.17")


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) not installed")
def test_build_reports_and_enforces_the_floor_on_real_elf_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of PySide6's QtCore library needs glibc and libstdc++ symbol versions."""
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    qt_core = _pyside6_dir() / "Qt" / "lib" / "libQt6Core.so.6"
    shutil.copy(qt_core, bundle / "_internal" / "libQt6Core.so.6")
    (bundle / "_internal" / "notes.txt").write_text("not an ELF file")
    report = glibc_floor.scan(bundle)
    assert report.files == 1
    assert report.highest["GLIBC"] >= (2, 17)
    assert report.highest["GLIBCXX"] >= (3, 4)
    assert build.check_glibc_floor(bundle, "2.36") == []
    out = capsys.readouterr().out
    assert "glibc floor: the bundle's 1 ELF files need GLIBC_" in out
    assert "needed by _internal/libQt6Core.so.6" in out
    # A floor below what the file needs fails (PySide6 6.11 wheels are manylinux_2_28+).
    limits = {"GLIBC": "2.2.5", "GLIBCXX": "3.4", "CXXABI": "1.3"}
    problems = report.above(limits)
    assert len(problems) == 3
    assert problems[0].startswith("GLIBC_2.")


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) not installed")
def test_trimming_decides_with_direct_needs_not_the_ldd_closure() -> None:
    """Qt's offscreen plugin links Qt and X11; libX11 links libxcb: that is the system's."""
    plugin = _pyside6_dir() / "Qt" / "plugins" / "platforms" / "libqoffscreen.so"
    needs = glibc_floor.direct_needs(plugin)
    assert {"libQt6Gui.so.6", "libQt6Core.so.6", "libX11.so.6"} <= needs
    assert "libxcb.so.1" not in needs


def test_release_recipe_builds_on_almalinux_9_with_the_release_floor() -> None:
    """The Containerfile and the CI workflow cannot run here (no container engine): keep them
    consistent with the floor the build checks."""
    recipe = (PACKAGING / "Containerfile").read_text(encoding="utf-8")
    assert "FROM docker.io/library/almalinux:9 AS build" in recipe
    assert f"NAVTALK_GLIBC_FLOOR={cfg.RELEASE_GLIBC_FLOOR}" in recipe
    assert "python3.11 dev.py bundle" in recipe
    assert "FROM scratch AS artefacts" in recipe
    workflow = (ROOT / ".github" / "workflows" / "bundle.yml").read_text(encoding="utf-8")
    assert "-f packaging/Containerfile --target artefacts" in workflow
    for image in ("almalinux:9", "ubuntu:22.04"):
        assert image in workflow
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "dist", "build"} <= set(ignored)


GTK_PROBE = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QListView
app = QApplication([])
dialog = QFileDialog(None, "Open tool set")
QTimer.singleShot(1500, app.quit)
dialog.open()
app.exec()
maps = open("/proc/self/maps").read()
print("qgtk3", "libqgtk3.so" in maps)
print("qt-own-dialog", bool(dialog.findChildren(QListView)))
"""


@pytest.mark.skipif(
    not (BUILT_BUNDLE / "licenses").is_dir()
    or shutil.which("xvfb-run") is None
    or not any(
        Path(p).exists()
        for p in ("/usr/lib/x86_64-linux-gnu/libgtk-3.so.0", "/usr/lib64/libgtk-3.so.0")
    ),
    reason="needs a bundle built in dist/, xvfb-run and the system's GTK 3",
)
def test_the_built_bundle_shows_the_desktops_file_dialog_on_gnome(tmp_path: Path) -> None:
    """On GNOME, Qt loads the bundled GTK theme plugin, which opens GTK's own file chooser."""
    result = subprocess.run(
        ["xvfb-run", "-a", str(BUILT_BUNDLE / cfg.BUNDLE_NAME), "-c", GTK_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "XDG_CURRENT_DESKTOP": "GNOME",
            "QT_QPA_PLATFORM": "xcb",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "qgtk3 True" in result.stdout, result.stderr[-2000:]
    assert "qt-own-dialog False" in result.stdout
