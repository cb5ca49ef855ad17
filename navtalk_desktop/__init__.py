"""NavTalk Desktop: a workbench for NavTalk real-time digital-human function calling."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # importlib.metadata scans the installed distributions (~20 ms); every start would pay
    # that before the window shows, so the version is looked up on first use only.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("navtalk-desktop")
    except PackageNotFoundError:  # running from a source tree without an install (e.g. a bundle)
        __version__ = "0.1.0"
    globals()["__version__"] = __version__
    return __version__
