"""The consent policy: what a tool set runs and contacts, and what needs the user's consent."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from navtalk_desktop.core.responders.base import CallRequest
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import (
    ResponderChain,
    ResponderStep,
    ScriptConfig,
    StaticConfig,
    WebhookConfig,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.responders.ports import HttpReply
from navtalk_desktop.core.tools.consent import (
    HostAllowList,
    HostRule,
    Origin,
    is_loopback_host,
    origin_of,
    pending_consent,
    reach_of,
    template_origin,
)
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet


class RecordingHttp:
    """An HttpClient port that records every request it is asked to send (and answers 200)."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout_s: float,
        verify_tls: bool = True,
    ) -> HttpReply:
        self.requests.append(f"{method} {url}")
        return HttpReply(200, "reply from " + url)


def _toolset(*steps: Any, variables: dict[str, str] | None = None) -> ToolSet:
    entries = []
    for index, config in enumerate(steps):
        chain = ResponderChain(steps=(ResponderStep(config),))
        entries.append(ToolEntry(ToolDefinition(f"tool_{index}"), chain))
    return ToolSet(name="t", tools=tuple(entries), variables=variables or {})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("localhost.example.com", False),
        ("128.0.0.1", False),
        ("10.0.0.1", False),
        ("example.invalid", False),
        ("0.0.0.0", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_origins_have_explicit_ports() -> None:
    assert str(origin_of("https://API.example.com/x?y=1")) == "https://api.example.com:443"
    assert str(origin_of("http://[::1]:8080/x")) == "http://[::1]:8080"
    assert origin_of("ftp://example.com/") is None
    assert origin_of("/weather") is None


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://api.example.com/{{ args.city }}", "https://api.example.com:443"),
        ("{{ vars.base }}/weather", "https://weather.example.com:8443"),
        ("{{vars['base']}}/weather", "https://weather.example.com:8443"),
        ("http://127.0.0.1:{{ vars.port }}/x", "http://127.0.0.1:9000"),
        ("https://{{ args.host }}/x", None),
        ("{{ vars.base | trim }}/x", None),
        ("{{ vars.missing }}/x", None),
        ("{% if 1 %}https://a.example{% endif %}/x", None),
        ("https://a.example{{ args.suffix }}/x", None),
    ],
)
def test_template_origin_is_known_only_from_literals_and_variables(
    template: str, origin: str | None
) -> None:
    variables = {"base": "https://weather.example.com:8443", "port": "9000"}
    found = template_origin(template, variables)
    assert (str(found) if found else None) == origin


def test_reach_lists_scripts_and_webhooks_and_its_digest_follows_them(tmp_path: Path) -> None:
    toolset = _toolset(
        ScriptConfig(path="scripts/a.py", function="respond"),
        WebhookConfig(url="https://api.example.com/x"),
        WebhookConfig(url="{{ vars.local }}/y"),
        WebhookConfig(url="https://{{ args.host }}/z"),
        StaticConfig(output="ok"),
        variables={"local": "http://127.0.0.1:8000"},
    )
    reach = reach_of(toolset, tmp_path)
    assert [(s.tool, s.path, s.function) for s in reach.scripts] == [
        ("tool_0", tmp_path / "scripts" / "a.py", "respond")
    ]
    assert [str(o) for o in reach.remote_origins] == ["https://api.example.com:443"]
    assert [w.url for w in reach.unknown_hosts] == ["https://{{ args.host }}/z"]
    digest = reach.digest()
    assert reach_of(toolset, tmp_path).digest() == digest
    # What is sent, where, and which file runs all count; other settings do not.
    moved = toolset.with_variables(local="https://elsewhere.example")
    assert reach_of(moved, tmp_path).digest() != digest
    assert reach_of(toolset, tmp_path / "other").digest() != digest
    body = _toolset(
        ScriptConfig(path="scripts/a.py", function="respond"),
        WebhookConfig(url="https://api.example.com/x", body_template="{{ vars }}"),
        WebhookConfig(url="{{ vars.local }}/y"),
        WebhookConfig(url="https://{{ args.host }}/z"),
        StaticConfig(output="ok"),
        variables={"local": "http://127.0.0.1:8000"},
    )
    assert reach_of(body, tmp_path).digest() != digest
    renamed = toolset.with_variables(unrelated="x")
    assert reach_of(renamed, tmp_path).digest() == digest


def test_pending_consent() -> None:
    toolset = _toolset(
        ScriptConfig(path="/s/a.py"),
        WebhookConfig(url="https://api.example.com/x"),
        WebhookConfig(url="http://localhost:9/x"),
        WebhookConfig(url="https://{{ args.host }}/x"),
    )
    reach = reach_of(toolset, None)
    everything = pending_consent(
        reach, script_trusted=lambda p: False, host_allowed=lambda o: False
    )
    assert everything.scripts == (Path("/s/a.py"),)
    assert everything.origins == (Origin("https", "api.example.com", 443),)
    assert everything
    nothing = pending_consent(reach, script_trusted=lambda p: True, host_allowed=lambda o: True)
    assert not nothing
    # Agreed for other contents of this file: asked again even for what is trusted now.
    changed = pending_consent(
        reach,
        script_trusted=lambda p: True,
        host_allowed=lambda o: True,
        remembered_digest="0" * 64,
    )
    assert changed
    assert changed.changed
    same = pending_consent(
        reach,
        script_trusted=lambda p: True,
        host_allowed=lambda o: True,
        remembered_digest=reach.digest(),
    )
    assert not same
    # Loopback-only webhooks and no scripts: nothing to ask.
    local = reach_of(_toolset(WebhookConfig(url="http://127.0.0.1:1/x")), None)
    assert not pending_consent(local, script_trusted=lambda p: False, host_allowed=lambda o: False)


def test_host_rules() -> None:
    allow = HostAllowList(how_to_allow="pass --allow-host HOST")
    target = origin_of("https://api.example.com/x")
    assert target is not None
    assert not allow.allows(target)
    allow.allow(["api.example.com:8443"])
    assert not allow.allows(target)
    allow.allow([HostRule.parse("https://api.example.com")])
    assert allow.allows(target)
    assert not allow.allows(Origin("http", "api.example.com", 443))
    allow.allow(["API.example.com"])
    assert allow.allows(Origin("http", "api.example.com", 80))
    for bad in ("", "https://", "a.example/path", "ftp://a.example"):
        with pytest.raises(ValueError, match=r"host|origin"):
            HostRule.parse(bad)
    assert HostAllowList(allow_any=True).refusal("https://anything.example/") is None


@pytest.mark.asyncio
async def test_webhook_to_a_host_without_consent_is_refused_before_any_request() -> None:
    http = RecordingHttp()
    allow = HostAllowList(how_to_allow="pass --allow-host example.invalid")
    runner = ChainRunner(ResponderFactory(http=http, hosts=allow))
    chain = ResponderChain(
        steps=(ResponderStep(WebhookConfig(url="https://example.invalid/hook?key=1")),)
    )
    request = CallRequest("call_1", "t", {"secret": "data"}, '{"secret": "data"}', {})

    refused = await runner.run(chain, request)

    assert http.requests == []
    assert refused.is_error
    assert refused.output == (
        "Error: webhook host https://example.invalid:443 is not allowed: nothing was sent. "
        "The tool set did not get consent to send call data there; to allow it, "
        "pass --allow-host example.invalid"
    )
    allow.allow(["example.invalid"])
    allowed = await runner.run(chain, request)
    assert not allowed.is_error
    assert http.requests == ["POST https://example.invalid/hook?key=1"]


@pytest.mark.asyncio
async def test_without_a_policy_only_loopback_is_contacted() -> None:
    http = RecordingHttp()
    runner = ChainRunner(ResponderFactory(http=http))
    request = CallRequest("call_1", "t", {}, "{}", {"base": "https://evil.example"})
    remote = ResponderChain(steps=(ResponderStep(WebhookConfig(url="{{ vars.base }}/x")),))
    local = ResponderChain(steps=(ResponderStep(WebhookConfig(url="http://localhost:1/x")),))
    assert (
        "webhook host https://evil.example:443 is not allowed"
        in (await runner.run(remote, request)).output
    )
    assert not (await runner.run(local, request)).is_error
    assert http.requests == ["POST http://localhost:1/x"]
