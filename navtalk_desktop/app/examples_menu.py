"""The Examples menu: the bundled example tool sets and opening one in the workbench.

The first example opened installs the examples (files, SQLite databases) and starts
their local services; the workbench owns them from then on and stops them on close.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from navtalk_desktop.app.example_profile import use_simulator_for_example

if TYPE_CHECKING:
    from navtalk_desktop.app.workbench import Workbench
    from navtalk_desktop.examples.environment import ExampleEnvironment
    from navtalk_desktop.examples.install import ExamplePaths

log = logging.getLogger(__name__)

# The "what to type" note after opening an example stays long enough to read five lines.
EXAMPLE_NOTE_MS = 20_000


@dataclass(frozen=True, slots=True)
class ExampleChoice:
    """One bundled example tool set offered in the Examples menu.

    Attributes:
        key: stable identifier (menu actions, tests).
        title: menu text.
        description: tooltip.
        tool_set: which tool set file of the installed examples it is (the name of its
            :class:`~navtalk_desktop.examples.install.ExamplePaths` property).
        sentences: what to type to see its tools called (the seed's examples).
    """

    key: str
    title: str
    description: str
    tool_set: str
    sentences: tuple[str, ...]

    def path(self, examples: ExamplePaths) -> Path:
        """Where the installed tool set file is."""
        path: Path = getattr(examples, self.tool_set)
        return path


EXAMPLES: tuple[ExampleChoice, ...] = (
    ExampleChoice(
        "use-cases",
        "The Five Use Cases (weather, knowledge base, sales, smart home, CRM)",
        "One tool per use case of NavTalk's function-calling guide, answered by local "
        "example services, SQLite databases and scripts started on demand",
        "use_cases",
        (
            "What's the weather in Beijing?",
            "How do I integrate function calling?",
            "Show me today's sales numbers",
            "Turn on the lights",
            "Update customer status for John",
        ),
    ),
    ExampleChoice(
        "judge",
        "function_call_judge with the Guide's Webhook",
        "The guide's single tool, answered by POSTing {userInput} to a local example "
        "assistant (it handles weather and smart-home requests)",
        "judge",
        ("What's the weather in Beijing?", "Turn on the lights"),
    ),
)


class ExampleLauncher:
    """Opens the bundled examples in a workbench's tool editor.

    Attributes:
        environment: the installed examples with their running services, once one was
            opened (None before).
    """

    def __init__(self, workbench: Workbench) -> None:
        self._workbench = workbench
        self._lock = asyncio.Lock()
        self.environment: ExampleEnvironment | None = None

    async def open(self, key: str) -> None:
        """Start the example services (first time) and open example ``key`` in the editor."""
        workbench = self._workbench
        choice = next((e for e in EXAMPLES if e.key == key), None)
        if choice is None:
            workbench.window.notifications.notify(f"There is no example called “{key}”.", "error")
            return
        try:
            environment = await self._environment()
            path = choice.path(environment.paths)
            if workbench.editor.path != path:
                toolset = await workbench.run_blocking(lambda: environment.load_toolset(path))
                if not workbench.open_document(toolset, path):
                    return
                # Bundled scripts (where the app installed them) and loopback services
                # need no consent: this asks only if the user's edits added something.
                workbench.consent.review(toolset, path, path.parent)
        except Exception as error:  # noqa: BLE001  (shown to the user; nothing changed)
            log.warning("opening the example %s failed: %s", key, error)
            workbench.window.notifications.notify(
                f"Could not open the example “{choice.title}”: {error}", "error"
            )
            return
        sentences = " · ".join(f"“{s}”" for s in choice.sentences)
        # Examples are made for the simulator: a real profile is switched (or, while
        # live, the user is asked); a live session registers the new tools on reconnect.
        first = await use_simulator_for_example(workbench.panels["connection"], workbench.window)
        workbench.window.notifications.notify(
            f"Opened the example “{choice.title}”; its services run on 127.0.0.1. {first}, "
            f"then type {sentences}",
            "success",
            timeout_ms=EXAMPLE_NOTE_MS,
        )

    async def _environment(self) -> ExampleEnvironment:
        async with self._lock:
            if self.environment is None:
                # Copying files and building the SQLite databases is file work: not on
                # the GUI thread. The services then listen on the loop.
                from navtalk_desktop.examples.environment import ExampleEnvironment
                from navtalk_desktop.examples.install import install_examples
                from navtalk_desktop.examples.services import ExampleServices

                example_paths = await self._workbench.run_blocking(install_examples)

                services = ExampleServices(example_paths)
                await services.start()
                self.environment = ExampleEnvironment(example_paths, services)
                log.info("example services started: %s", services.variables())
            return self.environment
