"""Saved frames ("snippets") per connection profile, and where they are kept.

Every profile offers the built-in snippets (one example per known client message) plus
the ones the user saved for it. The user's snippets live in the app's settings file (as
one JSON preference, :data:`PREFERENCE_KEY`) through a :class:`PreferenceStore`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from navtalk_desktop.core.composer.shapes import SHAPES

PREFERENCE_KEY = "composer_snippets"
MAX_SNIPPETS_PER_PROFILE = 200


class PreferenceStore(Protocol):
    """Reads and writes one JSON preference of the app's settings (the settings file)."""

    def preference(self, key: str) -> Any:
        """The stored value (None when there is none)."""

    def set_preference(self, key: str, value: Any) -> None:
        """Store ``value`` (a JSON value) and save the settings."""


@dataclass(frozen=True, slots=True)
class Snippet:
    """A named frame.

    Attributes:
        name: unique among one profile's snippets.
        text: the frame (JSON text, as typed).
        builtin: one of the app's examples (cannot be deleted or overwritten).
    """

    name: str
    text: str
    builtin: bool = False


BUILTIN_SNIPPETS: tuple[Snippet, ...] = tuple(
    Snippet(shape.type, shape.example_text(), builtin=True) for shape in SHAPES
)


class SnippetBook:
    """The user's snippets per profile, saved through ``store`` on every change.

    Args:
        store: where they persist (None: this run only).
    """

    def __init__(self, store: PreferenceStore | None = None) -> None:
        self._store = store
        self._by_profile: dict[str, list[Snippet]] = {}
        self.load_problems: list[str] = []
        if store is not None:
            self._read(store.preference(PREFERENCE_KEY))

    def snippets(self, profile: str) -> list[Snippet]:
        """The profile's own snippets (by name), then the built-in ones."""
        own = sorted(self._by_profile.get(profile, []), key=lambda s: s.name.casefold())
        return [*own, *BUILTIN_SNIPPETS]

    def find(self, profile: str, name: str) -> Snippet | None:
        """The snippet called ``name`` offered for ``profile``."""
        return next((s for s in self.snippets(profile) if s.name == name), None)

    def save(self, profile: str, name: str, text: str) -> Snippet:
        """Save (or replace) the profile's snippet ``name``.

        Raises:
            ValueError: the name is empty or a built-in snippet's, or there are too many.
        """
        name = name.strip()
        if not name:
            raise ValueError("Give the snippet a name.")
        if any(s.name == name for s in BUILTIN_SNIPPETS):
            raise ValueError(f"“{name}” is a built-in example; save under another name.")
        own = [s for s in self._by_profile.get(profile, []) if s.name != name]
        if len(own) >= MAX_SNIPPETS_PER_PROFILE:
            raise ValueError(f"A profile keeps at most {MAX_SNIPPETS_PER_PROFILE} snippets.")
        snippet = Snippet(name, text)
        self._by_profile[profile] = [*own, snippet]
        self._write()
        return snippet

    def delete(self, profile: str, name: str) -> bool:
        """Delete the profile's own snippet ``name``; whether there was one."""
        own = self._by_profile.get(profile, [])
        kept = [s for s in own if s.name != name]
        if len(kept) == len(own):
            return False
        if kept:
            self._by_profile[profile] = kept
        else:
            self._by_profile.pop(profile, None)
        self._write()
        return True

    def to_json(self) -> dict[str, list[dict[str, str]]]:
        """The user's snippets as stored: ``{profile: [{"name", "text"}, …]}``."""
        return {
            profile: [{"name": s.name, "text": s.text} for s in snippets]
            for profile, snippets in sorted(self._by_profile.items())
        }

    def _write(self) -> None:
        if self._store is not None:
            self._store.set_preference(PREFERENCE_KEY, self.to_json())

    def _read(self, data: Any) -> None:
        # A hand-edited or damaged entry is skipped (and said), never fatal.
        if data is None:
            return
        if not isinstance(data, dict):
            self.load_problems.append("saved snippets: not an object; ignored")
            return
        for profile, items in data.items():
            if not isinstance(items, list):
                self.load_problems.append(f"saved snippets of “{profile}”: not a list; ignored")
                continue
            kept: dict[str, Snippet] = {}
            for item in items:
                name = item.get("name") if isinstance(item, dict) else None
                text = item.get("text") if isinstance(item, dict) else None
                if isinstance(name, str) and name.strip() and isinstance(text, str):
                    kept[name.strip()] = Snippet(name.strip(), text)
                else:
                    self.load_problems.append(f"a saved snippet of “{profile}” is damaged")
            if kept:
                self._by_profile[str(profile)] = list(kept.values())
