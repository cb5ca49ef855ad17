"""Connection profiles, URLs and the reconnect policy."""

from __future__ import annotations

import random

import pytest

from navtalk_desktop.core.profile import (
    DEFAULT_AVATAR,
    DEFAULT_URL,
    LOCAL_SIMULATOR,
    ConnectionProfile,
    Provider,
    RegistrationStyle,
    ResultStyle,
    default_profiles,
    license_from_url,
    profile_for_url,
    strip_license,
)
from navtalk_desktop.core.session.reconnect import (
    EndKind,
    ReconnectPolicy,
    classify_close,
    classify_fail_message,
)

LICENSE = "sk_navtalk_Profile/Key+1"


def test_build_url_encodes_and_avatar_id_wins() -> None:
    profile = ConnectionProfile(
        name="p", avatar_name="navtalk.Emily", avatar_id="fbc269dc", model="gpt-realtime"
    )
    assert profile.build_url(LICENSE) == (
        DEFAULT_URL + "?license=sk_navtalk_Profile%2FKey%2B1&avatarId=fbc269dc&model=gpt-realtime"
    )
    by_name = profile.with_changes(
        avatar_id="", model="", voice="marin", prompt="Hi & bye", config_in_url=True
    )
    assert (
        by_name.build_url("k")
        == DEFAULT_URL + "?license=k&name=navtalk.Emily&voice=marin&prompt=Hi+%26+bye"
    )
    assert (
        by_name.masked_url()
        == DEFAULT_URL + "?license=***&name=navtalk.Emily&voice=marin&prompt=Hi+%26+bye"
    )


def test_profile_validation() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        ConnectionProfile(name=" ")
    with pytest.raises(ValueError, match="ws:// or wss://"):
        ConnectionProfile(name="p", url="https://x")
    with pytest.raises(ValueError, match="must not contain the license"):
        ConnectionProfile(name="p", url=DEFAULT_URL + "?license=abc")
    with pytest.raises(ValueError, match="answer_deadline_s"):
        ConnectionProfile(name="p", answer_deadline_s=0)


def test_dict_round_trip_has_no_license() -> None:
    profile = ConnectionProfile(
        name="p",
        provider=Provider.ELEVENLABS,
        registration=RegistrationStyle.BOTH,
        result_style=ResultStyle.CONVERSATION_ITEM,
        reconnect=ReconnectPolicy(initial_delay_s=2, max_delay_s=9),
        answer_deadline_s=None,
    )
    data = profile.to_dict()
    assert "license" not in data
    assert data["provider"] == "ElevenLabs"
    assert data["reconnect"]["max_delay_s"] == 9
    assert ConnectionProfile.from_dict(data) == profile
    assert ConnectionProfile.from_dict({**data, "license": "x", "future": 1}) == profile
    with pytest.raises(ValueError, match="provider must be one of OpenAIRealtime, ElevenLabs"):
        ConnectionProfile.from_dict({**data, "provider": "Nope"})
    with pytest.raises(ValueError, match="voice must be a string"):
        ConnectionProfile.from_dict({**data, "voice": 3})
    with pytest.raises(ValueError, match="JSON object"):
        ConnectionProfile.from_dict([])  # type: ignore[arg-type]


def test_license_helpers_and_defaults() -> None:
    pasted = DEFAULT_URL + "?license=" + "sk_navtalk_abc" + "&name=x"
    assert license_from_url(pasted) == "sk_navtalk_abc"
    assert strip_license(pasted) == DEFAULT_URL + "?name=x"
    assert license_from_url(DEFAULT_URL) is None
    names = [p.name for p in default_profiles()]
    assert names[0] == LOCAL_SIMULATOR
    assert default_profiles()[0].local_simulator


def test_backoff_grows_with_jitter_and_cap() -> None:
    policy = ReconnectPolicy(
        initial_delay_s=1, max_delay_s=10, multiplier=2, jitter=0.2, max_attempts=5
    )
    rng = random.Random(7)
    delays = [policy.delay(n, rng) for n in range(1, 7)]
    for n, value in enumerate(delays, start=1):
        base = min(10, 2 ** (n - 1))
        assert base * 0.8 <= value <= min(10, base * 1.2)
    assert delays[-1] <= 10
    assert policy.allows(5)
    assert not policy.allows(6)
    assert not ReconnectPolicy(enabled=False).allows(1)
    assert ReconnectPolicy(max_attempts=0).allows(10_000)
    with pytest.raises(ValueError, match="max_delay_s"):
        ReconnectPolicy(initial_delay_s=5, max_delay_s=1)


@pytest.mark.parametrize(
    ("code", "reason", "kind"),
    [
        (1000, "Insufficient points", EndKind.FATAL),
        (1008, "", EndKind.FATAL),
        (1000, "", EndKind.CLOSED),
        (1006, "", EndKind.TRANSIENT),
        (None, "", EndKind.TRANSIENT),
        (1011, "internal error", EndKind.TRANSIENT),
    ],
)
def test_close_classification(code: int | None, reason: str, kind: EndKind) -> None:
    assert classify_close(code, reason) is kind


def test_fail_message_classification() -> None:
    assert classify_fail_message("Invalid license key") is EndKind.FATAL
    assert classify_fail_message("Connection timeout") is EndKind.TRANSIENT


def test_profile_for_url_moves_the_license_out_and_keeps_the_base_settings() -> None:
    base = ConnectionProfile(
        name="Mine",
        avatar_name="navtalk.Leo",
        voice="cedar",
        result_style=ResultStyle.CONVERSATION_ITEM,
        local_simulator=True,
    )
    profile, license = profile_for_url(
        "wss://example.test/wss/v2/realtime-chat?license=sk_pasted", name="Command line", base=base
    )
    assert license == "sk_pasted"
    assert profile.url == "wss://example.test/wss/v2/realtime-chat"
    assert (profile.name, profile.avatar_name, profile.voice) == (
        "Command line",
        "navtalk.Leo",
        "cedar",
    )
    assert profile.result_style is ResultStyle.CONVERSATION_ITEM
    assert not profile.local_simulator  # a URL is never the built-in simulator


def test_profile_for_url_without_a_base_talks_to_the_default_avatar() -> None:
    profile, license = profile_for_url("ws://127.0.0.1:9/x", name="Benchmark")
    assert license is None
    assert profile == ConnectionProfile(
        name="Benchmark", url="ws://127.0.0.1:9/x", avatar_name=DEFAULT_AVATAR
    )


def test_profile_for_url_lets_the_urls_own_avatar_win_unless_changed() -> None:
    base = ConnectionProfile(name="Mine", avatar_name="navtalk.Leo", avatar_id="abc")
    url = "wss://example.test/chat?name=navtalk.Emily"
    profile, _license = profile_for_url(url, name="x", base=base)
    assert (profile.avatar_name, profile.avatar_id) == ("", "")
    assert profile.build_url("") == url  # the avatar is sent once
    chosen, _license = profile_for_url(url, name="x", base=base, avatar_id="fbc")
    assert chosen.avatar_id == "fbc"


def test_profile_for_url_rejects_what_is_not_a_websocket_url() -> None:
    with pytest.raises(ValueError, match="ws:// or wss://"):
        profile_for_url("https://example.test/?license=sk_x", name="x")
