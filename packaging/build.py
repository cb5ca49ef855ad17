#!/usr/bin/env python3
"""Build the standalone NavTalk Desktop bundle, archive it and smoke-test the archive.

Run through ``python3 dev.py bundle`` (which sets up ``.venv`` first). Steps:

1. install the locked dependencies (``packaging/bundle-requirements.txt``, every file checked
   against its hash) and the project into the running environment when they differ;
2. run PyInstaller on ``packaging/navtalk-desktop.spec`` -> ``dist/navtalk-desktop/``;
3. add the desktop-integration files next to the executable (``share/``, ``install.sh``)
   and the license notices (``LICENSE``, ``licenses/``, collected from the bundled
   distributions' metadata; a distribution without a license text fails the build);
4. verify the bundle: required Qt plugins present, trimmed files and system libraries
   absent, no dangling symbolic link, no shared library needing something the trimming
   removed, and no ELF file needing a glibc/libstdc++ above the floor (printed);
5. write ``dist/navtalk-desktop-<version>-linux-<arch>.tar.gz`` and its ``.sha256``;
6. extract that archive to a temporary folder and smoke-test it there (``smoke.py``):
   ``--version``, the bundled simulator, and the bundled GUI offscreen completing one
   function-call round trip. A failed smoke check fails the build (exit code 1).

Options: ``--untrimmed`` builds without trimming into ``dist/untrimmed/`` (to measure what
trimming saves; no archive, no smoke check); ``--skip-smoke`` for quick iterations;
``--glibc-floor 2.34`` checks against another floor than ``bundle_config.DEFAULT_GLIBC_FLOOR``
(also ``NAVTALK_GLIBC_FLOOR``).

The lock file is refreshed with pip-tools (``pip install pip-tools``), from the repository root:

    pip-compile --generate-hashes --allow-unsafe --strip-extras --extra bundle \\
        --no-emit-index-url --no-emit-find-links \\
        --output-file packaging/bundle-requirements.txt pyproject.toml
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bundle_config as cfg  # noqa: E402  (sibling module, found through the line above)
import glibc_floor  # noqa: E402
import smoke  # noqa: E402

ROOT = cfg.ROOT
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
SPEC = HERE / "navtalk-desktop.spec"
LOCK = HERE / "bundle-requirements.txt"


def say(message: str) -> None:
    print(f"[bundle] {message}", flush=True)


def locked_versions(lock: Path = LOCK) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` pin in the lock file (names normalised)."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].split(";", 1)[0].strip().rstrip("\\").strip()
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            pins[canonical(name)] = version.strip()
    return pins


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_differences(pins: dict[str, str]) -> list[str]:
    """Pinned distributions that are missing or installed at another version."""
    wrong = []
    for name, version in sorted(pins.items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong.append(f"{name} {installed or 'missing'} (locked {version})")
    return wrong


def ensure_build_requirements(version: str) -> None:
    """Install the locked bundle dependencies (hash-checked) and the project when needed."""
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    wrong = lock_differences(locked_versions())
    if wrong:
        say(f"installing {LOCK.name} into {sys.prefix}: " + ", ".join(wrong))
        # --require-hashes: every downloaded file must match a hash in the lock, so two builds
        # ship the same dependencies; --no-deps: the lock already lists every one.
        subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", str(LOCK)], check=True)
    try:
        installed = metadata.version(cfg.DISTRIBUTION)
    except metadata.PackageNotFoundError:
        installed = None
    if installed != version:
        say(f"installing {cfg.DISTRIBUTION} {version} into {sys.prefix}")
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)


# Programs PyInstaller runs on Linux (dependency scan, binary checks, strip) and ldd for
# verify_bundle, with the Debian package that provides each.
BUILD_TOOLS = {"ldd": "libc-bin", "objdump": "binutils", "strip": "binutils"}


def ensure_build_tools() -> None:
    """Install missing build tools with apt when running as root; otherwise say what to do."""
    missing = sorted({deb for tool, deb in BUILD_TOOLS.items() if shutil.which(tool) is None})
    if not missing:
        return
    can_apt = hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get")
    if can_apt:
        say("installing build tools: " + " ".join(missing))
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=False,
            env=env,
        )
    still = sorted({deb for tool, deb in BUILD_TOOLS.items() if shutil.which(tool) is None})
    if still:
        raise SystemExit(
            "PyInstaller needs ldd, objdump and strip. Install them with:\n"
            f"    sudo apt-get install {' '.join(still)}"
        )


def run_pyinstaller(dist: Path, work: Path, report: Path, *, trim: bool) -> None:
    env = {**os.environ, "NAVTALK_BUNDLE_REPORT": str(report)}
    if not trim:
        env["NAVTALK_BUNDLE_UNTRIMMED"] = "1"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--workpath",
            str(work),
            "--distpath",
            str(dist),
            str(SPEC),
        ],
        check=True,
        env=env,
        cwd=ROOT,
    )


def add_desktop_files(bundle: Path) -> None:
    """Lay the XDG files out as a ``share/`` prefix beside the executable, plus install.sh."""
    share = bundle / "share"
    if share.exists():
        shutil.rmtree(share)
    shutil.copytree(ROOT / "resources" / "icons" / "hicolor", share / "icons" / "hicolor")
    (share / "applications").mkdir(parents=True)
    (share / "metainfo").mkdir(parents=True)
    (share / "mime" / "packages").mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / f"{cfg.APP_ID}.desktop", share / "applications")
    shutil.copy2(ROOT / "resources" / f"{cfg.APP_ID}.metainfo.xml", share / "metainfo")
    shutil.copy2(
        ROOT / "resources" / f"{cfg.APP_ID}.mime.xml",
        share / "mime" / "packages" / f"{cfg.APP_ID}.xml",
    )
    shutil.copy2(HERE / "install.sh", bundle / "install.sh")
    (bundle / "install.sh").chmod(0o755)


def collect_licenses(bundle: Path, distributions: list[str]) -> list[str]:
    """Write ``LICENSE`` and ``licenses/`` into the bundle; problems (empty when complete).

    The notices come from the installed distributions' metadata (their License-File entries
    and license expression), Python's from the interpreter's installation, and the project's
    from the repository's LICENSE. A distribution whose metadata holds no license text gets
    the texts :data:`bundle_config.LICENSE_SUPPLEMENTS` names, or is reported.
    """
    from navtalk_desktop.core.licenses import LicenseNotice, LicenseText
    from navtalk_desktop.infra import licenses

    problems = []
    project_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    shutil.copy2(ROOT / "LICENSE", bundle / "LICENSE")
    notices = [
        LicenseNotice(
            cfg.DISTRIBUTION,
            cfg.project_version(),
            str(cfg.project_metadata()["license"]),
            (LicenseText("LICENSE", project_text),),
        ),
        licenses.python_notice(),
    ]
    if not notices[1].texts:
        problems.append(f"Python's license text was not found under {sys.base_prefix}")
    for name in distributions:
        if canonical(name) == canonical(cfg.DISTRIBUTION):
            continue
        notice = licenses.distribution_notice(name)
        extra = tuple(
            LicenseText(file, (cfg.LICENSE_TEXTS_DIR / file).read_text(encoding="utf-8"))
            for file in cfg.LICENSE_SUPPLEMENTS.get(notice.name, ())
        )
        if extra:
            notice = LicenseNotice(
                notice.name, notice.version, notice.license, notice.texts + extra
            )
        if not notice.texts:
            problems.append(
                f"no license text found for the bundled distribution {notice.name} "
                f"{notice.version} (license {notice.license or 'unknown'}): add its text to "
                "packaging/licenses/ and bundle_config.LICENSE_SUPPLEMENTS"
            )
        notices.append(notice)
    target = bundle / licenses.BUNDLE_LICENSES_DIR
    if target.exists():
        shutil.rmtree(target)
    licenses.write_notices(target, notices)
    say(f"licenses: {len(notices)} notices in {target.relative_to(bundle.parent)}/:")
    for notice in notices:
        files = ", ".join(text.name for text in notice.texts) or "NO TEXT"
        say(f"  {notice.name} {notice.version}: {notice.license or '?'} ({files})")
    return problems


def _elf_files(bundle: Path) -> list[Path]:
    found = []
    for path in sorted(bundle.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def missing_libraries(bundle: Path) -> dict[str, set[str]]:
    """Map each shared library ``ldd`` cannot resolve to the bundle files that need it."""
    internal = bundle / "_internal"
    env = {
        **os.environ,
        "LD_LIBRARY_PATH": f"{internal}:{internal / cfg.QT_PREFIX / 'lib'}",
    }
    missing: dict[str, set[str]] = {}
    for path in _elf_files(bundle):
        result = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env=env, check=False
        )
        for line in result.stdout.splitlines():
            if "=> not found" in line:
                name = line.split("=>")[0].strip()
                missing.setdefault(name, set()).add(str(path.relative_to(bundle)))
    return missing


def verify_bundle(bundle: Path, trim_report: dict[str, object]) -> list[str]:
    """Problems with the built bundle (empty when it is complete); prints what it checks."""
    problems = []
    if not os.access(bundle / cfg.BUNDLE_NAME, os.X_OK):
        problems.append(f"{bundle / cfg.BUNDLE_NAME} is missing")
    plugins = bundle / "_internal" / cfg.QT_PREFIX / "plugins"
    for plugin in cfg.REQUIRED_QT_PLUGINS:
        if not (plugins / plugin).is_file():
            problems.append(f"required Qt plugin {plugin} is missing")
    if (
        cfg.DROP_QT_TRANSLATIONS
        and (bundle / "_internal" / cfg.QT_PREFIX / "translations").exists()
    ):
        problems.append("Qt translations were not trimmed")
    internal = bundle / "_internal"
    icons = internal / cfg.PACKAGE / "resources" / "icons" / "hicolor"
    for size in (16, 256, 512):
        if not (icons / f"{size}x{size}" / "apps" / f"{cfg.APP_ID}.png").is_file():
            problems.append(f"the window icon ({size} px) is missing from the package data")
    # dist-info from a regular install, egg-info from an editable one.
    if not [
        *internal.glob(f"{cfg.PACKAGE}*.dist-info"),
        *internal.glob(f"{cfg.PACKAGE}*.egg-info"),
    ]:
        problems.append("navtalk-desktop's metadata is missing (--version would fall back)")
    trimmed = trim_report.get("trimmed", [])
    assert isinstance(trimmed, list)
    trimmed_names = {Path(str(dest)).name for dest in trimmed}
    for dest in trimmed:
        if (bundle / "_internal" / str(dest)).exists():
            problems.append(f"trimmed file {dest} is still in the bundle")
    for path in sorted(bundle.rglob("*")):
        relative = path.relative_to(bundle).as_posix()
        if path.is_symlink() and not path.exists():
            problems.append(f"dangling symbolic link {relative} -> {os.readlink(path)}")
        elif path.is_file() and cfg.is_system_library(relative):
            problems.append(f"system library {relative} is in the bundle (SYSTEM_LIBRARIES)")
    missing = missing_libraries(bundle) if shutil.which("ldd") else {}
    for name, needers in sorted(missing.items()):
        if name in trimmed_names:
            problems.append(f"{name} was trimmed but {', '.join(sorted(needers))} need it")
    system = sorted(name for name in missing if name not in trimmed_names)
    if system:
        # Expected: system libraries PyInstaller never bundles (X11/xcb, GL). The xcb
        # plugin needs them on a real desktop; offscreen does not. Report, do not fail.
        say(
            "system libraries not installed on this machine (needed on desktops): "
            + " ".join(system)
        )
    return problems


def check_glibc_floor(bundle: Path, floor_name: str) -> list[str]:
    """Print the newest glibc/libstdc++ symbol versions the bundle needs; problems above the floor."""
    floor = cfg.glibc_floor(floor_name)
    report = glibc_floor.scan(bundle)
    say(
        f"glibc floor: the bundle's {report.files} ELF files need {report.summary()}; "
        f"floor {floor_name} allows "
        + ", ".join(f"{family}_{version}" for family, version in floor.items())
    )
    for family in glibc_floor.FAMILIES:
        if family in report.highest:
            needers = report.needers[family]
            say(
                f"  {family}_{glibc_floor.format_version(report.highest[family])} needed by "
                + ", ".join(needers[:4])
                + (f" and {len(needers) - 4} more" if len(needers) > 4 else "")
            )
    return report.above(floor)


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def make_archive(bundle: Path, version: str) -> tuple[Path, Path]:
    """Write the release ``.tar.gz`` (top folder ``navtalk-desktop-<version>``) and ``.sha256``."""
    archive = DIST / cfg.archive_name(version)
    top = f"{cfg.BUNDLE_NAME}-{version}"

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        # Who built it and where is nobody's business; extracted files belong to the user.
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=top, filter=normalise)
    digest = hashlib.sha256()
    with archive.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    checksum = archive.with_name(archive.name + ".sha256")
    # The format `sha256sum -c` reads: "<hex>  <file name>".
    checksum.write_text(f"{digest.hexdigest()}  {archive.name}\n")
    return archive, checksum


def smoke_test_archive(archive: Path, version: str, gui_seconds: float) -> None:
    """Extract the archive like a user would and smoke-test the extracted bundle."""
    with tempfile.TemporaryDirectory(prefix="navtalk-bundle-") as folder:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "tar_filter"):  # Python >= 3.11.4: refuse unsafe members
                tar.extractall(folder, filter="tar")
            else:  # our own archive, written moments ago
                tar.extractall(folder)
        smoke.smoke_check(
            Path(folder) / f"{cfg.BUNDLE_NAME}-{version}",
            version,
            gui_seconds,
            say=lambda text: say(text),
        )


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--untrimmed", action="store_true", help="build without trimming")
    parser.add_argument("--skip-smoke", action="store_true", help="do not run the smoke check")
    parser.add_argument(
        "--gui-seconds",
        type=float,
        default=15.0,
        help="how long the smoke check lets the bundled GUI run (default 15)",
    )
    parser.add_argument(
        "--glibc-floor",
        default=os.environ.get(cfg.GLIBC_FLOOR_ENV, cfg.DEFAULT_GLIBC_FLOOR),
        choices=sorted(cfg.GLIBC_FLOORS),
        help="oldest glibc the bundle must run on (default: $NAVTALK_GLIBC_FLOOR or "
        f"{cfg.DEFAULT_GLIBC_FLOOR}; release builds use {cfg.RELEASE_GLIBC_FLOOR})",
    )
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        say("the bundle build supports Linux only")
        return 2
    version = cfg.project_version()
    timings: dict[str, float] = {}
    started = time.monotonic()
    ensure_build_tools()
    ensure_build_requirements(version)

    dist = DIST / "untrimmed" if args.untrimmed else DIST
    work = WORK / ("untrimmed" if args.untrimmed else "trimmed")
    work.mkdir(parents=True, exist_ok=True)
    report_file = work / "trim-report.json"
    say(
        f"building NavTalk Desktop {version} with PyInstaller ({'untrimmed' if args.untrimmed else 'trimmed'})"
    )
    step = time.monotonic()
    run_pyinstaller(dist, work, report_file, trim=not args.untrimmed)
    timings["pyinstaller"] = time.monotonic() - step
    bundle = dist / cfg.BUNDLE_NAME
    add_desktop_files(bundle)
    report = json.loads(report_file.read_text())
    license_problems = collect_licenses(bundle, list(report.get("distributions", [])))
    size = directory_size(bundle)
    say(f"bundle: {bundle} ({_mb(size)}, {sum(1 for _ in bundle.rglob('*'))} files)")
    if report["trim"]:
        say(f"trimming removed {len(report['trimmed'])} files ({_mb(report['trimmed_bytes'])})")
        say("left to the target system: " + (" ".join(report["system"]) or "nothing"))
    if args.untrimmed:
        say(f"untrimmed build done in {time.monotonic() - started:.0f} s (no archive, no smoke)")
        return 0

    step = time.monotonic()
    problems = license_problems + verify_bundle(bundle, report)
    problems += check_glibc_floor(bundle, args.glibc_floor)
    timings["verify"] = time.monotonic() - step
    if problems:
        for problem in problems:
            say(f"PROBLEM: {problem}")
        return 1

    step = time.monotonic()
    archive, checksum = make_archive(bundle, version)
    timings["archive"] = time.monotonic() - step
    say(f"archive: {archive} ({_mb(archive.stat().st_size)})")
    say(f"checksum: {checksum}: {checksum.read_text().split()[0]}")

    code = 0
    if args.skip_smoke:
        say("smoke check skipped (--skip-smoke): this bundle is untested")
    else:
        step = time.monotonic()
        try:
            smoke_test_archive(archive, version, args.gui_seconds)
        except smoke.SmokeError as failure:
            say(f"SMOKE CHECK FAILED: {failure}")
            code = 1
        timings["smoke"] = time.monotonic() - step
    spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
    say(f"{'done' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s ({spent})")
    return code


if __name__ == "__main__":
    sys.exit(main())
