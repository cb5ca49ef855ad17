"""The oldest glibc/libstdc++ a bundle can start on, read from its ELF files' version needs.

Every shared library and executable records which symbol versions it needs from which
library (``objdump -p`` prints them as "Version References"). The highest ``GLIBC_x.y`` any
bundled file needs is the oldest glibc the bundle runs on; the same goes for ``GLIBCXX_``
(libstdc++, which the target system provides: see ``bundle_config.SYSTEM_LIBRARIES``).
``build.py`` prints these and fails when one is above the configured floor. Stdlib only.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Symbol-version families the target system provides: glibc, libstdc++ and its C++ ABI.
FAMILIES = ("GLIBC", "GLIBCXX", "CXXABI")
_TAG = re.compile(r"\b(GLIBCXX|GLIBC|CXXABI)_(\d+(?:\.\d+)*)\b")

Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    """``"2.34"`` -> ``(2, 34)``; compares the way glibc versions do."""
    return tuple(int(part) for part in text.split("."))


def format_version(version: Version) -> str:
    """``(3, 4, 29)`` -> ``"3.4.29"``."""
    return ".".join(str(part) for part in version)


def version_references(objdump_output: str) -> dict[str, Version]:
    """Highest needed version per family in ``objdump -p`` output (its Version References).

    Versions a file *defines* (``Version definitions:``, e.g. in libstdc++ itself) are not
    needs and are skipped.
    """
    needed: dict[str, Version] = {}
    in_references = False
    for line in objdump_output.splitlines():
        if line and not line[0].isspace():
            in_references = line.startswith("Version References")
            continue
        if not in_references:
            continue
        for family, number in _TAG.findall(line):
            version = parse_version(number)
            if version > needed.get(family, ()):
                needed[family] = version
    return needed


def is_elf(path: Path) -> bool:
    """Whether ``path`` is a regular file starting with the ELF magic number."""
    if not path.is_file() or path.is_symlink():
        return False
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def elf_files(folder: Path) -> list[Path]:
    """Every ELF file under ``folder``, sorted."""
    return [path for path in sorted(folder.rglob("*")) if is_elf(path)]


def needed_by(path: Path) -> dict[str, Version]:
    """The highest version per family that one ELF file needs (runs ``objdump -p``)."""
    result = subprocess.run(
        ["objdump", "-p", str(path)], capture_output=True, text=True, check=False
    )
    return version_references(result.stdout)


_NEEDED = re.compile(r"^\s+NEEDED\s+(\S+)$", re.MULTILINE)


def direct_needs(path: str | Path) -> set[str]:
    """Sonames ``path`` links against itself (its NEEDED entries), not their dependencies.

    PyInstaller's ``get_imports`` resolves through ``ldd``, which lists the whole closure:
    libQt6Gui would seem to need libexpat because the system's fontconfig does. Trimming
    decides with direct needs, so a library only system libraries use is left out too.
    """
    result = subprocess.run(
        ["objdump", "-p", str(path)], capture_output=True, text=True, check=False
    )
    return set(_NEEDED.findall(result.stdout))


@dataclass
class FloorReport:
    """What a set of ELF files needs: per family the highest version and who needs it.

    Attributes:
        highest: family -> highest version needed.
        needers: family -> files (relative paths) that need exactly that highest version.
        files: how many ELF files were read.
    """

    highest: dict[str, Version] = field(default_factory=dict)
    needers: dict[str, list[str]] = field(default_factory=dict)
    files: int = 0

    def add(self, name: str, needed: Mapping[str, Version]) -> None:
        """Fold one file's needs in."""
        self.files += 1
        for family, version in needed.items():
            current = self.highest.get(family, ())
            if version > current:
                self.highest[family] = version
                self.needers[family] = [name]
            elif version == current:
                self.needers[family].append(name)

    def above(self, floor: Mapping[str, str]) -> list[str]:
        """Problems: each family whose highest need is above ``floor`` (family -> version)."""
        problems = []
        for family, limit in floor.items():
            version = self.highest.get(family)
            if version is not None and version > parse_version(limit):
                who = ", ".join(self.needers[family][:5])
                more = len(self.needers[family]) - 5
                problems.append(
                    f"{family}_{format_version(version)} is above the floor {family}_{limit} "
                    f"(needed by {who}{f' and {more} more' if more > 0 else ''})"
                )
        return problems

    def summary(self) -> str:
        """``GLIBC_2.34, GLIBCXX_3.4.29, CXXABI_1.3.13`` (families in a fixed order)."""
        return ", ".join(
            f"{family}_{format_version(self.highest[family])}"
            for family in FAMILIES
            if family in self.highest
        )


def scan(folder: Path, paths: Iterable[Path] | None = None) -> FloorReport:
    """Read every ELF file under ``folder`` (or just ``paths``) into a :class:`FloorReport`."""
    report = FloorReport()
    for path in elf_files(folder) if paths is None else paths:
        report.add(str(path.relative_to(folder)), needed_by(path))
    return report
