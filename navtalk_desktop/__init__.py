"""NavTalk Desktop: a workbench for NavTalk real-time digital-human function calling."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("navtalk-desktop")
except PackageNotFoundError:  # running from a source tree without an install (e.g. a bundle)
    __version__ = "0.1.0"

__all__ = ["__version__"]
