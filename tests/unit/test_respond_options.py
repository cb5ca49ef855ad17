"""``respond`` option handling: tool files, variables, profiles and where the license comes from."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import keyring
import pytest

from navtalk_desktop import cli
from navtalk_desktop.core.profile import ResultStyle
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.headless import respond as headless
from navtalk_desktop.infra.toolset_file import ToolSetFileStore
from tests.helpers.memory_keyring import MemoryKeyring


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    headless.configure_parser(parser)
    return parser.parse_args(list(argv))


def test_respond_is_a_registered_subcommand() -> None:
    assert cli.SUBCOMMANDS["respond"][0] == "navtalk_desktop.headless.respond"


def test_options_and_defaults() -> None:
    args = _args(
        "--url",
        "ws://127.0.0.1:1/x",
        "--tools",
        "t.json",
        "--say",
        "a",
        "--say",
        "b",
        "--var",
        "k=v=w",
    )
    assert args.say == ["a", "b"]
    assert headless.parse_variables(args.var) == {"k": "v=w"}
    assert args.max_calls is None
    assert args.turn_timeout == 30.0
    with pytest.raises(SystemExit):
        _args("--url", "u", "--tools", "t", "--max-calls", "0")
    with pytest.raises(headless.UsageError, match="expected NAME=VALUE"):
        headless.parse_variables(["novalue"])


def test_load_tool_file_accepts_tool_sets_and_foreign_arrays(tmp_path: Path) -> None:
    native = tmp_path / "set.json"
    ToolSetFileStore().save(native, ToolSet(tools=(new_entry("weather"),)))
    assert headless.load_tool_file(native).find("get_weather") is not None
    mcp = tmp_path / "mcp.json"
    mcp.write_text(json.dumps([{"name": "m", "inputSchema": {"type": "object"}}]))
    assert [e.name for e in headless.load_tool_file(mcp)] == ["m"]
    (tmp_path / "bad.json").write_text("[1]")
    with pytest.raises(headless.UsageError, match=r"bad\.json: \[0\]: not a tool definition"):
        headless.load_tool_file(tmp_path / "bad.json")


@pytest.mark.asyncio
async def test_license_from_environment_wins(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.set_password("navtalk-desktop", "CI", "sk_from_keychain")
    monkeypatch.setenv("NAVTALK_LICENSE", "sk_from_env")
    runner = headless._Responder(
        _args("--url", "ws://127.0.0.1:1/x", "--tools", "t", "--profile", "CI")
    )
    profile = await runner._profile()
    assert await runner._license(profile) == "sk_from_env"


@pytest.mark.asyncio
async def test_license_from_the_keychain_profile(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.delenv("NAVTALK_LICENSE", raising=False)
    assert keyring.get_keyring() is memory_keyring
    memory_keyring.set_password("navtalk-desktop", "CI", "sk_from_keychain")
    runner = headless._Responder(
        _args("--url", "ws://127.0.0.1:1/x", "--tools", "t", "--profile", "CI")
    )
    profile = await runner._profile()
    assert await runner._license(profile) == "sk_from_keychain"
    other = headless._Responder(
        _args("--url", "ws://127.0.0.1:1/x", "--tools", "t", "--profile", "Nobody")
    )
    with pytest.raises(
        headless.UsageError, match="no license stored in the keychain for profile 'Nobody'"
    ):
        await other._license(await other._profile())


@pytest.mark.asyncio
async def test_profile_from_options_never_keeps_a_pasted_license(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NAVTALK_LICENSE", raising=False)
    runner = headless._Responder(
        _args(
            "--url",
            "wss://example.test/wss/v2/realtime-chat?license=sk_pasted&name=navtalk.Leo",
            "--tools",
            "t",
            "--result-style",
            "conversation_item",
        )
    )
    profile = await runner._profile()
    assert "sk_pasted" not in profile.url
    assert profile.avatar_name == ""  # the URL names the avatar itself
    assert profile.result_style is ResultStyle.CONVERSATION_ITEM
    assert not profile.reconnect.enabled
    assert await runner._license(profile) == "sk_pasted"
    assert "license=***" in profile.masked_url()
