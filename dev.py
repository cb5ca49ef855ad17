#!/usr/bin/env python3
"""One-command set-up for NavTalk Desktop: ``run``, ``test``, ``bench`` and ``bundle``.

Only the standard library is used here, because this script runs before anything is
installed. It creates ``.venv`` next to itself, installs the project with its dev extras
(re-installing only when ``pyproject.toml`` changed), installs the system packages the
chosen command needs when it runs as root on a Debian-like machine, and then runs it.

Usage:
    python3 dev.py run [APP ARGS...]    set everything up, then start the app
    python3 dev.py test [PYTEST ARGS...] set everything up, then run lint + types + tests
    python3 dev.py bench [BENCH ARGS...] set everything up, then run the benchmarks
    python3 dev.py bundle               build the standalone bundle (PyInstaller)
"""

from __future__ import annotations

import ctypes.util
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
MIN_PYTHON = (3, 11)

# Debian packages Qt needs to open a real X11 window (xcb platform plugin), keyed by the
# shared library name ctypes looks for. Printed verbatim when one is missing.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-randr": "libxcb-randr0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xinerama": "libxcb-xinerama0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "xkbcommon": "libxkbcommon0",
    "EGL": "libegl1",
    "GL": "libgl1",
    "fontconfig": "libfontconfig1",
    "dbus-1": "libdbus-1-3",
}
# Libraries every Qt start needs, even offscreen (the test suite runs offscreen).
QT_BASE_PACKAGES = ["libegl1", "libgl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3"]
# QtMultimedia (avatar audio) loads PulseAudio's client library at runtime.
AUDIO_PACKAGES = ["libpulse0"]
# A real Secret Service for the keychain integration test, and Xvfb for screenshots.
# The official validators and tools the packaging tests run instead of skipping:
# desktop-file-validate, appstreamcli, xmllint, update-mime-database + gio (file types
# resolved like a desktop does), gtk-update-icon-cache (install.sh) and objdump (glibc floor).
TEST_PACKAGES = [
    "gnome-keyring",
    "dbus-daemon",
    "xvfb",
    "xauth",
    "desktop-file-utils",
    "appstream",
    "libxml2-utils",
    "shared-mime-info",
    "libglib2.0-bin",
    "gtk-update-icon-cache",
    "binutils",
    # The avatar-voice tests play into a private PulseAudio null sink and record its monitor.
    "pulseaudio",
    "pulseaudio-utils",
    # Headless Chromium: a plain browser client must see and hear the simulated avatar.
    "chromium",
]
# Null sink of the per-run PulseAudio daemon; tests find it through NAVTALK_TEST_PULSE_SINK.
TEST_SINK = "navtalk_test_spk"


def _say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _venv_bin(name: str) -> str:
    folder = VENV / ("Scripts" if os.name == "nt" else "bin")
    return str(folder / name)


def _check_python() -> None:
    if sys.version_info < MIN_PYTHON:
        sys.exit(
            f"NavTalk Desktop needs Python >= {MIN_PYTHON[0]}.{MIN_PYTHON[1]}; "
            f"this is {sys.version.split()[0]}."
        )


def ensure_venv() -> None:
    """Create ``.venv`` and install the project with dev extras when needed."""
    _check_python()
    marker = VENV / ".navtalk-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not _venv_python().exists():
        _say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if marker.exists() and marker.read_text().strip() == wanted:
        return
    _say("installing NavTalk Desktop and its dependencies into .venv (first run takes a while)")
    pip = [str(_venv_python()), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "--quiet", "-e", f"{ROOT}[dev]"], check=True)
    marker.write_text(wanted)


def _have_apt_as_root() -> bool:
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
        and shutil.which("apt-get") is not None
        and shutil.which("dpkg-query") is not None
    )


def _missing_debs(packages: list[str]) -> list[str]:
    missing = []
    for package in packages:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package],
            capture_output=True,
            text=True,
            check=False,
        )
        if "install ok installed" not in result.stdout:
            missing.append(package)
    return missing


def ensure_system_packages(packages: list[str]) -> None:
    """Install missing Debian packages when running as root; otherwise only report."""
    if not _have_apt_as_root():
        return
    missing = _missing_debs(packages)
    if not missing:
        return
    _say("installing system packages: " + " ".join(missing))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    result = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=False,
        env=env,
    )
    if result.returncode != 0:
        # Tests that need these skip with a reason naming the package; do not abort here.
        _say("could not install some system packages; dependent tests will be skipped")


def missing_xcb_packages() -> list[str]:
    """Return the Debian packages whose libraries the Qt xcb plugin cannot find."""
    return [deb for lib, deb in XCB_LIBRARIES.items() if ctypes.util.find_library(lib) is None]


def check_display() -> None:
    """Explain, instead of letting Qt abort, why a real window cannot open."""
    if not sys.platform.startswith("linux"):
        return
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal", "vnc")):
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        sys.exit(
            "No display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "Run inside a desktop session, or on a headless machine use:\n"
            "    xvfb-run -a python3 dev.py run\n"
            "or QT_QPA_PLATFORM=offscreen python3 dev.py run"
        )
    if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
        return
    missing = missing_xcb_packages()
    if missing:
        sys.exit(
            "Qt needs X11/xcb libraries that are not installed. Install them with:\n"
            f"    sudo apt-get install {' '.join(missing)}\n"
            "(on Fedora: sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-image "
            "xcb-util-keysyms xcb-util-renderutil libxkbcommon-x11)"
        )


def run_app(args: list[str]) -> int:
    ensure_venv()
    ensure_system_packages(QT_BASE_PACKAGES + list(XCB_LIBRARIES.values()) + AUDIO_PACKAGES)
    check_display()
    return subprocess.call([str(_venv_python()), "-m", "navtalk_desktop", *args])


def start_test_audio(env: dict[str, str]) -> Callable[[], None] | None:
    """Start a private PulseAudio daemon with a null sink and point ``env`` at it.

    It must run before pytest starts: QtMultimedia never sees a sound server that appears
    later. Only ``PULSE_SERVER`` is exported (not ``XDG_RUNTIME_DIR``, which other test
    daemons use). Returns the function that stops it, or ``None`` (audio tests then skip).
    """
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        _say("no pulseaudio/pactl: audio tests will be skipped (apt: pulseaudio pulseaudio-utils)")
        return None
    runtime = Path(tempfile.mkdtemp(prefix="navtalk-pulse-"))
    runtime.chmod(0o700)
    server = f"unix:{runtime}/pulse/native"
    audio_env = {**env, "XDG_RUNTIME_DIR": str(runtime), "PULSE_SERVER": server}
    started = subprocess.run(
        ["pulseaudio", "-D", "--exit-idle-time=-1", f"--log-target=file:{runtime}/pulse.log"],
        env=audio_env,
        capture_output=True,
        text=True,
        check=False,
    )
    setup = [
        ["load-module", "module-null-sink", f"sink_name={TEST_SINK}", "rate=48000"],
        ["set-default-sink", TEST_SINK],
        # An idle null sink is suspended, and waking it eats the first second of audio.
        ["unload-module", "module-suspend-on-idle"],
    ]
    failed = started.returncode != 0
    for args in setup if not failed else []:
        done = subprocess.run(["pactl", *args], env=audio_env, capture_output=True, check=False)
        failed = failed or (done.returncode != 0 and args[0] != "unload-module")

    def stop() -> None:
        subprocess.run(["pulseaudio", "--kill"], env=audio_env, capture_output=True, check=False)
        shutil.rmtree(runtime, ignore_errors=True)

    if failed:
        _say(f"could not start PulseAudio ({started.stderr.strip()}): audio tests will be skipped")
        stop()
        return None
    env["PULSE_SERVER"] = server
    env["NAVTALK_TEST_PULSE_SINK"] = TEST_SINK
    return stop


def run_tests(pytest_args: list[str]) -> int:
    ensure_venv()
    ensure_system_packages(QT_BASE_PACKAGES + AUDIO_PACKAGES + TEST_PACKAGES)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    py = str(_venv_python())
    steps: list[tuple[str, list[str]]] = [
        ("ruff check", [py, "-m", "ruff", "check", "."]),
        ("ruff format --check", [py, "-m", "ruff", "format", "--check", "."]),
        ("mypy", [py, "-m", "mypy"]),
        ("import-linter", [_venv_bin("lint-imports")]),
        ("pytest", [py, "-m", "pytest", *pytest_args]),
    ]
    for name, command in steps:
        _say(f"--- {name}")
        stop_audio = start_test_audio(env) if name == "pytest" else None
        try:
            code = subprocess.call(command, cwd=ROOT, env=env)
        finally:
            if stop_audio is not None:
                stop_audio()
        if code != 0:
            _say(f"FAILED: {name} (exit {code})")
            return code
    _say("all checks passed")
    return 0


def run_bench(args: list[str]) -> int:
    ensure_venv()
    ensure_system_packages(QT_BASE_PACKAGES)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.call(
        [str(_venv_python()), "-m", "tests.benchmarks", *args], cwd=ROOT, env=env
    )


def run_bundle(args: list[str]) -> int:
    ensure_venv()
    ensure_system_packages(QT_BASE_PACKAGES)
    return subprocess.call([str(_venv_python()), str(ROOT / "packaging" / "build.py"), *args])


def main(argv: list[str]) -> int:
    commands = {"run": run_app, "test": run_tests, "bench": run_bench, "bundle": run_bundle}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
