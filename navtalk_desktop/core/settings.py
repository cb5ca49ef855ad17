"""Application settings: the profiles and user preferences (never the license)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from navtalk_desktop.core.profile import LOCAL_SIMULATOR, ConnectionProfile, default_profiles

SETTINGS_VERSION = 1


@dataclass(frozen=True, slots=True)
class AppSettings:
    """Everything stored in the settings file.

    Attributes:
        profiles: connection profiles, names unique.
        active_profile: name of the profile selected at start.
        preferences: free-form JSON values owned by the UI and tools (window-independent
            options such as the tool-set path or auto-answer on/off).
    """

    profiles: tuple[ConnectionProfile, ...] = field(
        default_factory=lambda: tuple(default_profiles())
    )
    active_profile: str = LOCAL_SIMULATOR
    preferences: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [p.name for p in self.profiles]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"profile names must be unique: {', '.join(duplicates)}")
        try:
            json.dumps(self.preferences)
        except (TypeError, ValueError) as error:
            raise ValueError(f"preferences must be JSON values: {error}") from None

    def profile(self, name: str) -> ConnectionProfile | None:
        """The profile called ``name``."""
        return next((p for p in self.profiles if p.name == name), None)

    def active(self) -> ConnectionProfile:
        """The active profile, or the first one when the name is stale."""
        found = self.profile(self.active_profile)
        if found is not None:
            return found
        return self.profiles[0] if self.profiles else default_profiles()[0]

    def with_profile(self, profile: ConnectionProfile) -> AppSettings:
        """A copy with ``profile`` added or replacing the one of the same name."""
        profiles = [p for p in self.profiles if p.name != profile.name]
        index = next(
            (i for i, p in enumerate(self.profiles) if p.name == profile.name), len(profiles)
        )
        profiles.insert(index, profile)
        return AppSettings(tuple(profiles), self.active_profile, dict(self.preferences))

    def without_profile(self, name: str) -> AppSettings:
        """A copy without the profile called ``name``."""
        return AppSettings(
            tuple(p for p in self.profiles if p.name != name),
            self.active_profile,
            dict(self.preferences),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "version": SETTINGS_VERSION,
            "active_profile": self.active_profile,
            "profiles": [p.to_dict() for p in self.profiles],
            "preferences": dict(self.preferences),
        }

    @classmethod
    def from_dict(cls, data: Any) -> AppSettings:
        """Rebuild settings from :meth:`to_dict` output.

        Raises:
            ValueError: naming every invalid profile and field.
        """
        if not isinstance(data, dict):
            raise ValueError(f"settings must be a JSON object, not {type(data).__name__}")
        version = data.get("version", SETTINGS_VERSION)
        if not isinstance(version, int) or version > SETTINGS_VERSION:
            raise ValueError(f"settings version {version!r} is newer than this app understands")
        raw_profiles = data.get("profiles", [])
        if not isinstance(raw_profiles, list):
            raise ValueError("'profiles' must be a list")
        problems: list[str] = []
        profiles: list[ConnectionProfile] = []
        for index, raw in enumerate(raw_profiles):
            try:
                profiles.append(ConnectionProfile.from_dict(raw))
            except (TypeError, ValueError) as error:
                problems.append(f"profile #{index + 1}: {error}")
        active = data.get("active_profile", LOCAL_SIMULATOR)
        if not isinstance(active, str):
            problems.append("'active_profile' must be a string")
        preferences = data.get("preferences", {})
        if not isinstance(preferences, dict):
            problems.append("'preferences' must be an object")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(tuple(profiles), active, preferences)
