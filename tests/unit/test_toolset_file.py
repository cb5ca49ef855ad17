"""Tool set files on disk: atomic saves (also under SIGKILL), clear load errors, script trust."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.tools.formats import ToolFormat
from navtalk_desktop.core.tools.templates import TEMPLATES
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.atomic_file import atomic_write_text
from navtalk_desktop.infra.toolset_file import (
    ScriptTrustFile,
    ToolSetFileStore,
    is_toolset_file,
    sha256_of,
)

STORE = ToolSetFileStore()
FULL = ToolSet(name="All templates", tools=tuple(t.entry for t in TEMPLATES), variables={"a": "b"})


def test_save_is_readable_json_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "set.navtools.json"
    STORE.save(path, FULL)
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "format": "navtalk-desktop.toolset",\n  "schema_version": 1,')
    assert STORE.load(path) == FULL
    assert is_toolset_file(path)
    assert [p.name for p in tmp_path.iterdir()] == ["set.navtools.json"]  # no temp files left


def test_save_keeps_file_permissions(tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    STORE.save(path, FULL)
    path.chmod(0o640)
    STORE.save(path, ToolSet())
    assert path.stat().st_mode & 0o777 == 0o640


_TOO_BIG = """
import resource, signal, sys
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.core.tools.templates import TEMPLATES
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
# A real write failure (EFBIG) from the OS, also when running as root: cap the file size.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    ToolSetFileStore().save(sys.argv[1], ToolSet(name="huge", tools=tuple(t.entry for t in TEMPLATES) * 20))
except OSError as exc:
    print("failed:", exc.errno)
"""


def test_failed_save_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    STORE.save(path, ToolSet(name="old"))
    result = subprocess.run(
        [sys.executable, "-c", _TOO_BIG, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "failed: 27"  # EFBIG
    assert STORE.load(path).name == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["set.json"]


_WRITER = """
import sys
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.core.tools.templates import TEMPLATES
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
store = ToolSetFileStore()
big = ToolSet(name="big", tools=tuple(t.entry for t in TEMPLATES) * 40)
small = ToolSet(name="small", tools=tuple(t.entry for t in TEMPLATES[:1]))
i = 0
while True:
    store.save(sys.argv[1], big if i % 2 else small)
    if i == 1:
        print("saved", flush=True)  # once only: a full pipe must not block the loop
    i += 1
"""


def test_sigkill_mid_save_leaves_old_or_new_never_torn(tmp_path: Path) -> None:
    path = tmp_path / "crash.json"
    STORE.save(path, ToolSet(name="initial"))
    names = set()
    for attempt in range(4):
        process = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "saved"
        time.sleep(0.01 * attempt)  # land at different points of the save loop
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()
        names.add(STORE.load(path).name)  # must parse: old or new, complete
    assert names <= {"big", "small"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"format": "navtalk-desktop.toolset",\n "schema_version": 1,\n "tools": [}',
            "at line 3, column 12",
        ),
        (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
        (b'[{"type": "function", "name": "x"}]', "bare tools array"),
        (
            b'{"format": "navtalk-desktop.toolset", "schema_version": 7, "tools": []}',
            "newer NavTalk Desktop",
        ),
        (
            b'{"format": "navtalk-desktop.toolset", "schema_version": 1, "tools": [{"name": 5}]}',
            "tools[0].name",
        ),
    ],
)
def test_invalid_files_are_explained(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        STORE.load(path)
    assert message in str(info.value)
    assert path.read_bytes() == content  # nothing is lost or rewritten


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        STORE.load(tmp_path / "nope.json")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    STORE.save(path, FULL)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert STORE.load(path) == FULL


def test_import_and_export_files(tmp_path: Path) -> None:
    source = tmp_path / "mcp.json"
    source.write_text(
        json.dumps({"tools": [{"name": "m", "title": "M", "inputSchema": {"type": "object"}}]})
    )
    result = STORE.import_file(source)
    assert result.format is ToolFormat.MCP
    assert [str(d) for d in result.dropped] == [
        "tools[0].title: MCP display title has no Realtime equivalent"
    ]
    target = tmp_path / "out.json"
    exported = STORE.export_file(target, FULL, ToolFormat.REALTIME)
    assert json.loads(target.read_text()) == [e.tool.to_realtime() for e in FULL.tools]
    assert exported.dropped  # the template responders do not fit the Realtime format


def test_script_trust_is_by_path_and_content(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("def respond(a):\n    return 1\n")
    trust = ScriptTrustFile(tmp_path / "config" / "trusted-scripts.json")
    assert not trust.is_trusted(script)
    digest = trust.trust(script)
    assert trust.is_trusted(script)
    # A fresh instance reads the same file: trust persists.
    assert ScriptTrustFile(trust.path).is_trusted(script)
    assert digest in trust.path.read_text()
    script.write_text("def respond(a):\n    return 2\n")
    assert not trust.is_trusted(script)  # edited after trusting
    script.write_text("def respond(a):\n    return 1\n")
    assert trust.is_trusted(script)  # the trusted content is back
    copy = tmp_path / "elsewhere" / "s.py"
    copy.parent.mkdir()
    copy.write_text("def respond(a):\n    return 1\n")
    assert not trust.is_trusted(copy)  # same content at another path asks again
    assert not ScriptTrustFile(trust.path).is_trusted(copy)
    link = tmp_path / "link.py"
    link.symlink_to(script)
    assert trust.is_trusted(link)  # a link is the trusted file itself
    trust.revoke(link)
    assert not trust.is_trusted(script)
    assert not trust.is_trusted(tmp_path / "missing.py")


def test_session_trust_of_a_copy_does_not_trust_the_original_folder(tmp_path: Path) -> None:
    script = tmp_path / "a" / "s.py"
    script.parent.mkdir()
    script.write_text("x = 1\n")
    copy = tmp_path / "b" / "s.py"
    copy.parent.mkdir()
    copy.write_bytes(script.read_bytes())
    trust = ScriptTrustFile(tmp_path / "trust.json", also_trusted=[(script, sha256_of(script))])
    assert trust.is_trusted(script)
    assert not trust.is_trusted(copy)


def test_trust_file_of_older_versions_still_reads(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    path = tmp_path / "trust.json"
    old_entries = [
        {"sha256": sha256_of(script), "path": str(script.resolve()), "trusted_at": 1.0},
        # Another file with this content, trusted at its own place: trusts only that place.
        {"sha256": sha256_of(script), "path": str(tmp_path / "other.py"), "trusted_at": 2.0},
        {"sha256": "f" * 64},  # no path: trusts nothing
    ]
    path.write_text(json.dumps({"schema_version": 1, "trusted": old_entries}))
    assert ScriptTrustFile(path).is_trusted(script)
    stray = tmp_path / "stray" / "s.py"
    stray.parent.mkdir()
    stray.write_bytes(script.read_bytes())
    assert not ScriptTrustFile(path).is_trusted(stray)


def test_session_trust_is_not_written(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    trust = ScriptTrustFile(tmp_path / "trust.json")
    trust.trust_for_session(script)
    assert trust.is_trusted(script)
    assert not trust.path.exists()
    assert not ScriptTrustFile(trust.path).is_trusted(script)


def test_damaged_trust_file_trusts_nothing(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    path = tmp_path / "trust.json"
    ScriptTrustFile(path).trust(script)
    path.write_text("{broken")
    assert not ScriptTrustFile(path).is_trusted(script)


def test_atomic_write_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.txt"
    atomic_write_text(target, "hello")
    assert target.read_text() == "hello"
