"""Connection profiles: where to connect, which avatar, and which protocol variants to use."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.session.redact import MASK

DEFAULT_URL = "wss://transfer.navtalk.ai/wss/v2/realtime-chat"
# The simulator listens on a port chosen at start; the app swaps in the real URL.
SIMULATOR_URL = "ws://127.0.0.1:0/wss/v2/realtime-chat"
LOCAL_SIMULATOR = "Local simulator"
# The avatar a profile made from a bare URL talks to (NavTalk's examples use it).
DEFAULT_AVATAR = "navtalk.Emily"


class Provider(StrEnum):
    """Which engine drives the avatar; decides whether tools can be registered over the API."""

    OPENAI_REALTIME = "OpenAIRealtime"
    ELEVENLABS = "ElevenLabs"


class RegistrationStyle(StrEnum):
    """How tools are registered when the socket opens (the reference lists both; see §8.2)."""

    FUNCTION_CALL = "input_function_call"
    """A separate ``realtime.input_function_call`` message (SDKs, default)."""
    INPUT_CONFIG = "input_config"
    """``tools`` inside ``realtime.input_config``."""
    BOTH = "both"
    """Both of the above."""


class ResultStyle(StrEnum):
    """How a function result is sent back (the reference lists three variants; see §2 #6)."""

    FUNCTION_CALL_OUTPUT = "function_call_output"
    """``realtime.function_call_output`` then ``response.create`` (default)."""
    FUNCTION_CALL_OUTPUT_REPLY = "function_call_output_reply"
    """``realtime.function_call_output`` with ``reply: 1`` and no ``response.create``."""
    CONVERSATION_ITEM = "conversation_item"
    """``conversation.item.create`` with a ``function_call_output`` item, then ``response.create``."""


@dataclass(frozen=True, slots=True)
class ConnectionProfile:
    """Everything needed to open one NavTalk session, except the license (kept in the keychain).

    Attributes:
        name: unique profile name; also the keychain entry name of its license.
        url: endpoint without the license.
        avatar_name: avatar ``name`` URL parameter (``navtalk.Emily``).
        avatar_id: avatar ``avatarId`` URL parameter; wins over ``avatar_name``.
        model: optional ``model`` URL parameter (``transparency``, ``gpt-realtime``).
        voice: voice sent in ``realtime.input_config``.
        prompt: prompt sent in ``realtime.input_config``.
        provider: avatar provider; ElevenLabs avatars get no tools over the API.
        registration: how tools are registered.
        result_style: how function results are sent.
        config_in_url: also pass ``voice``/``prompt`` as URL parameters (one doc page says so).
        reconnect: auto-reconnect policy.
        replay_history: after a reconnect, send earlier user turns as history.
        answer_deadline_s: seconds after which an unanswered call is marked overdue
            (``None`` = never).
        local_simulator: connect to the built-in simulator instead of ``url``.
    """

    name: str
    url: str = DEFAULT_URL
    avatar_name: str = ""
    avatar_id: str = ""
    model: str = ""
    voice: str = ""
    prompt: str = ""
    provider: Provider = Provider.OPENAI_REALTIME
    registration: RegistrationStyle = RegistrationStyle.FUNCTION_CALL
    result_style: ResultStyle = ResultStyle.FUNCTION_CALL_OUTPUT
    config_in_url: bool = False
    reconnect: ReconnectPolicy = field(default_factory=ReconnectPolicy)
    replay_history: bool = False
    answer_deadline_s: float | None = 10.0
    local_simulator: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not self.name.strip():
            problems.append("the profile needs a name")
        scheme = urlsplit(self.url).scheme
        if scheme not in ("ws", "wss"):
            problems.append(
                f"the URL must start with ws:// or wss:// (got {scheme or 'nothing'!r})"
            )
        if self.answer_deadline_s is not None and self.answer_deadline_s <= 0:
            problems.append("answer_deadline_s must be positive or None")
        if strip_license(self.url) != self.url:
            problems.append("the URL must not contain the license; it is stored in the keychain")
        if problems:
            raise ValueError(f"profile {self.name!r}: " + "; ".join(problems))

    def build_url(self, license: str) -> str:
        """The URL to open, with the license and avatar parameters URL-encoded.

        Args:
            license: NavTalk API key; omitted from the URL when empty.

        Returns:
            The endpoint with ``license``, ``avatarId`` or ``name``, and optional ``model``
            (plus ``voice``/``prompt`` when ``config_in_url``) appended to its query.
        """
        parts = urlsplit(self.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if license:
            query.append(("license", license))
        if self.avatar_id:
            query.append(("avatarId", self.avatar_id))
        elif self.avatar_name:
            query.append(("name", self.avatar_name))
        if self.model:
            query.append(("model", self.model))
        if self.config_in_url:
            if self.voice:
                query.append(("voice", self.voice))
            if self.prompt:
                query.append(("prompt", self.prompt))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def masked_url(self) -> str:
        """The URL as shown to users and logs: ``license=***``."""
        return self.build_url(MASK).replace("license=%2A%2A%2A", "license=" + MASK)

    def with_changes(self, **changes: Any) -> ConnectionProfile:
        """A copy with some fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the settings file. There is no license in it."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["provider"] = self.provider.value
        data["registration"] = self.registration.value
        data["result_style"] = self.result_style.value
        data["reconnect"] = dataclasses.asdict(self.reconnect)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConnectionProfile:
        """Rebuild a profile from :meth:`to_dict` output.

        Unknown keys are ignored (newer files); a ``license`` key is never accepted.

        Raises:
            ValueError: with every problem found, when a value has the wrong type or is invalid.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a profile must be a JSON object, not {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        problems: list[str] = []
        enums: dict[str, type[StrEnum]] = {
            "provider": Provider,
            "registration": RegistrationStyle,
            "result_style": ResultStyle,
        }
        for key, enum in enums.items():
            if key in values:
                try:
                    values[key] = enum(values[key])
                except ValueError:
                    allowed = ", ".join(member.value for member in enum)
                    problems.append(f"{key} must be one of {allowed} (got {values[key]!r})")
                    del values[key]
        try:
            if "reconnect" in values:
                reconnect = values["reconnect"]
                if not isinstance(reconnect, dict):
                    raise TypeError("reconnect must be an object")
                rknown = {f.name for f in dataclasses.fields(ReconnectPolicy)}
                values["reconnect"] = ReconnectPolicy(
                    **{k: v for k, v in reconnect.items() if k in rknown}
                )
        except (TypeError, ValueError) as error:
            problems.append(str(error))
        for f in dataclasses.fields(cls):
            value = values.get(f.name)
            if f.name in values and f.type in ("str",) and not isinstance(value, str):
                problems.append(f"{f.name} must be a string")
            if f.name in values and f.type == "bool" and not isinstance(value, bool):
                problems.append(f"{f.name} must be true or false")
        deadline = values.get("answer_deadline_s")
        if deadline is not None and (
            isinstance(deadline, bool) or not isinstance(deadline, int | float)
        ):
            problems.append("answer_deadline_s must be a number or null")
        if problems:
            raise ValueError(f"profile {data.get('name')!r}: " + "; ".join(problems))
        try:
            return cls(**values)
        except TypeError as error:
            raise ValueError(f"profile {data.get('name')!r}: {error}") from None


def strip_license(url: str) -> str:
    """``url`` without its ``license`` query parameter (for URLs pasted with the key in them)."""
    parts = urlsplit(url)
    if "license" not in parts.query.lower():
        return url
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "license"
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def license_from_url(url: str) -> str | None:
    """The ``license`` value of a pasted URL, so the UI can move it into the keychain."""
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key.lower() == "license" and value:
            return value
    return None


def profile_for_url(
    url: str, *, name: str, base: ConnectionProfile | None = None, **changes: Any
) -> tuple[ConnectionProfile, str | None]:
    """A profile that connects to ``url``, a one-off target (``--url`` of the app, ``respond``
    and the benchmarks); the one way to build a profile from a URL.

    Args:
        url: a ws:// or wss:// URL, possibly pasted with the license in it.
        name: the new profile's name.
        base: where everything but the URL comes from (avatar, voice, prompt, provider,
            protocol styles, reconnect policy, deadline); None: the defaults, talking to
            :data:`DEFAULT_AVATAR`.
        **changes: fields to set on top (e.g. ``reconnect`` for CI runs).

    Returns:
        The profile (never the built-in simulator, never holding the license) and the
        license that was in ``url``, or None. An avatar named in ``url`` itself (``name``
        or ``avatarId``) replaces the base's, which would otherwise be sent beside it.

    Raises:
        ValueError: the URL or a change is not valid for a profile.
    """
    license = license_from_url(url)
    url = strip_license(url)
    fields: dict[str, Any] = {"name": name, "url": url, "local_simulator": False}
    if base is None or not base.avatar_name:
        fields["avatar_name"] = DEFAULT_AVATAR
    query = {key for key, _value in parse_qsl(urlsplit(url).query)}
    if "name" in query or "avatarId" in query:
        fields.update(avatar_name="", avatar_id="")
    fields.update(changes)
    if base is None:
        return ConnectionProfile(**fields), license
    return base.with_changes(**fields), license


def default_profiles() -> list[ConnectionProfile]:
    """The profiles a fresh install starts with: the built-in simulator and NavTalk v2."""
    return [
        ConnectionProfile(
            name=LOCAL_SIMULATOR,
            url=SIMULATOR_URL,
            avatar_name="navtalk.Emily",
            voice="marin",
            local_simulator=True,
            answer_deadline_s=10.0,
            reconnect=ReconnectPolicy(initial_delay_s=0.5, max_delay_s=5.0),
        ),
        ConnectionProfile(
            name="NavTalk v2", url=DEFAULT_URL, avatar_name="navtalk.Emily", voice="marin"
        ),
    ]
