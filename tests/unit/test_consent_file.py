"""Remembered tool set consents: per real path, with the digest and the hosts agreed to."""

from __future__ import annotations

from pathlib import Path

from navtalk_desktop.core.tools.consent import ConsentRecord, Origin
from navtalk_desktop.infra.consent_file import ConsentFile


def test_consent_is_remembered_per_real_path(tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    tools.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(tools)
    store = ConsentFile(tmp_path / "config" / "toolset-consent.json")
    assert store.remembered(tools) is None
    record = ConsentRecord("a" * 64, (Origin("https", "api.example.com", 443),))
    store.remember(tools, record)
    assert ConsentFile(store.path).remembered(tools) == record
    assert ConsentFile(store.path).remembered(link) == record  # the same file
    copy = tmp_path / "copy.json"
    copy.write_text("{}")
    assert store.remembered(copy) is None
    newer = ConsentRecord("b" * 64)
    store.remember(tools, newer)
    assert store.remembered(tools) == newer
    assert store.path.read_text().count('"path"') == 1


def test_damaged_consent_file_remembers_nothing(tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    store = ConsentFile(tmp_path / "consent.json")
    store.remember(tools, ConsentRecord("a" * 64))
    store.path.write_text("{not json")
    assert store.remembered(tools) is None
    store.path.write_text('{"consents": [{"path": 3}, "x"]}')
    assert store.remembered(tools) is None
    store.remember(tools, ConsentRecord("c" * 64))  # rewrites a usable file
    assert store.remembered(tools) == ConsentRecord("c" * 64)
