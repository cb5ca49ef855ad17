"""The built-in avatar roster served by the avatar REST endpoints and accepted on the socket."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

OPENAI_REALTIME = "OpenAIRealtime"
ELEVENLABS = "ElevenLabs"


def _avatar_id(seed: str) -> str:
    # 32 lowercase hex digits, the shape of real avatar ids; stable across runs.
    return hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Avatar:
    """One digital human.

    Attributes:
        id: 32-hex avatar id (``avatarId`` URL parameter).
        name: character name (``name`` URL parameter), e.g. ``navtalk.Emily``.
        provider: ``OpenAIRealtime`` (API tools work) or ``ElevenLabs`` (they are ignored).
        model: model id, or the ElevenLabs agent id.
        voice: voice id.
        first_message: greeting spoken when a client asks for a response before any turn.
        prompt: the avatar's instructions (informational).
        updated_at: epoch milliseconds; among same-named avatars the newest wins.
    """

    id: str
    name: str
    provider: str
    model: str
    voice: str
    first_message: str
    prompt: str = "You are a helpful assistant."
    updated_at: int = 1_767_225_600_000

    @property
    def supports_tools(self) -> bool:
        """ElevenLabs avatars take tools from the ElevenLabs dashboard, never from the API."""
        return self.provider == OPENAI_REALTIME

    def detail(self, base_url: str) -> dict[str, Any]:
        """The ``data`` object of the avatar REST endpoints.

        Args:
            base_url: ``http://host:port`` of this server, for ``thumbnailUrl``.
        """
        return {
            "id": self.id,
            "name": self.name,
            "url": f"{base_url}/static/avatars/{self.id}.svg",
            "providerId": self.model if self.provider == ELEVENLABS else "",
            "providerName": self.provider,
            "model": self.model,
            "voice": self.voice,
            "firstMessage": self.first_message,
            "prompt": self.prompt,
            "videoFile": "",
            "status": 1,
            "thumbnailUrl": f"{base_url}/static/avatars/{self.id}.svg",
            "updateTime": self.updated_at,
        }


DEFAULT_ROSTER: tuple[Avatar, ...] = (
    Avatar(
        id=_avatar_id("navtalk.Emily"),
        name="navtalk.Emily",
        provider=OPENAI_REALTIME,
        model="gpt-realtime",
        voice="marin",
        first_message="Hi, I'm Emily. How can I help you today?",
    ),
    Avatar(
        id=_avatar_id("navtalk.Leo"),
        name="navtalk.Leo",
        provider=OPENAI_REALTIME,
        model="gpt-realtime-mini",
        voice="cedar",
        first_message="Hello, Leo here. What can I do for you?",
    ),
    # Two avatars share this name: connecting by name picks the newer one and sends
    # conversation.connected.warning, as the service documents.
    Avatar(
        id=_avatar_id("navtalk.Lily#1"),
        name="navtalk.Lily",
        provider=OPENAI_REALTIME,
        model="gpt-realtime",
        voice="shimmer",
        first_message="Hi, I'm Lily.",
        updated_at=1_735_689_600_000,
    ),
    Avatar(
        id=_avatar_id("navtalk.Lily#2"),
        name="navtalk.Lily",
        provider=OPENAI_REALTIME,
        model="gpt-realtime",
        voice="coral",
        first_message="Hi, I'm Lily, the newer one.",
        updated_at=1_767_225_600_000,
    ),
    Avatar(
        id=_avatar_id("navtalk.Sophia"),
        name="navtalk.Sophia",
        provider=ELEVENLABS,
        model="agent_01jz8simulatorsophia0000",
        voice="EXAVITQu4vr4xnSDxMaL",
        first_message="Hello, this is Sophia.",
    ),
)


@dataclass(frozen=True, slots=True)
class AvatarMatch:
    """The avatar a lookup chose.

    Attributes:
        avatar: the chosen avatar.
        duplicates: how many avatars shared the requested name (1 = unique).
    """

    avatar: Avatar
    duplicates: int = 1


def find_avatar(
    roster: tuple[Avatar, ...], *, avatar_id: str | None, name: str | None
) -> AvatarMatch | None:
    """Resolve ``avatarId`` (wins when both are given) or ``name`` (newest of same-named)."""
    if avatar_id:
        for avatar in roster:
            if avatar.id == avatar_id:
                return AvatarMatch(avatar)
        return None
    if name:
        named = [avatar for avatar in roster if avatar.name == name]
        if named:
            newest = max(named, key=lambda avatar: avatar.updated_at)
            return AvatarMatch(newest, duplicates=len(named))
    return None


def thumbnail_svg(avatar: Avatar) -> str:
    """A small portrait placeholder (initial on a coloured disc) for ``thumbnailUrl``."""
    initial = avatar.name.rsplit(".", 1)[-1][:1].upper() or "?"
    hue = int(avatar.id[:2], 16) * 360 // 256
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        f'<rect width="256" height="256" fill="hsl({hue},35%,92%)"/>'
        f'<circle cx="128" cy="128" r="96" fill="hsl({hue},55%,45%)"/>'
        '<text x="128" y="160" font-family="sans-serif" font-size="96" text-anchor="middle" '
        f'fill="#fff">{initial}</text></svg>'
    )
