"""One call to get the examples running: install files, start services, load the tool set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.examples.install import ExamplePaths, bundled_script_trust, install_examples
from navtalk_desktop.infra.toolset_file import ScriptTrustFile, ToolSetFileStore

# The services pull in aiohttp's server (~110 ms to import): the app imports this
# module at start-up for default_script_trust, the services only when an example opens.
if TYPE_CHECKING:
    from navtalk_desktop.examples.services import ExampleServices


class ExampleEnvironment:
    """Installed example files plus their running services.

    Attributes:
        paths: where the files are.
        services: the local backends (already started by :func:`open_examples`).
    """

    def __init__(self, paths: ExamplePaths, services: ExampleServices) -> None:
        self.paths = paths
        self.services = services

    def load_toolset(self, path: Path | None = None) -> ToolSet:
        """A tool set file with the running services' URLs filled into its variables.

        Args:
            path: tool set file (default: the five-use-case examples).
        """
        toolset = ToolSetFileStore().load(path or self.paths.use_cases)
        return self.fill_variables(toolset)

    def fill_variables(self, toolset: ToolSet) -> ToolSet:
        """``toolset`` with every service URL variable it declares set to the running service."""
        urls = {k: v for k, v in self.services.variables().items() if k in toolset.variables}
        return toolset.with_variables(**urls)

    async def close(self) -> None:
        """Stop the services."""
        await self.services.stop()

    async def __aenter__(self) -> ExampleEnvironment:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def open_examples(root: Path | None = None) -> ExampleEnvironment:
    """Install the examples (first use builds the databases) and start their services."""
    from navtalk_desktop.examples.services import ExampleServices

    paths = install_examples(root)
    services = ExampleServices(paths)
    await services.start()
    return ExampleEnvironment(paths, services)


def default_script_trust(
    path: Path | None = None, examples: ExamplePaths | None = None
) -> ScriptTrustFile:
    """The app's script trust: the user's trusted files plus the bundled example scripts.

    Args:
        path: the trust file (default ``<config>/trusted-scripts.json``).
        examples: the installed examples whose scripts are trusted where they are
            (default: the default installation).
    """
    roots = (examples.root,) if examples is not None else ()
    return ScriptTrustFile(path, also_trusted=bundled_script_trust(roots))
