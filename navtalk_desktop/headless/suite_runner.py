"""The app's test-case runner: its responders (and consent) and its built-in simulator.

Composition code (like ``app.py``, without Qt): the Tests panel gets a
:class:`~navtalk_desktop.core.regression.case_runner.CaseRunner` and never sees the
transport, the regex engine or the simulator.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from navtalk_desktop.core.profile import profile_for_url
from navtalk_desktop.core.regression.expect import Mismatch
from navtalk_desktop.core.regression.ports import BudgetedRegex
from navtalk_desktop.core.regression.results import CaseResult, Status
from navtalk_desktop.core.regression.run_calls import run_call_test
from navtalk_desktop.core.regression.run_conversation import ConversationRunner
from navtalk_desktop.core.regression.suite import CallTest, TestCase
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.ws_transport import WebSocketTransport

# The built-in simulator accepts any license; the tests' sessions need one to send.
SIMULATOR_LICENSE = "sk_test_navtalk_desktop_tests_panel"


class AppCaseRunner:
    """Call tests through ``factory()``'s responders, conversation tests on the simulator.

    Args:
        factory: the app's responder factory (its consent and hosts), made per run.
        simulator_url: waits for the built-in simulator's URL (``None``: it could not start).
        regex: the budgeted regex search.
    """

    def __init__(
        self,
        factory: Callable[[], ResponderFactory],
        simulator_url: Callable[[], Awaitable[str | None]],
        regex: BudgetedRegex,
    ) -> None:
        self._factory = factory
        self._simulator_url = simulator_url
        self._regex = regex

    async def run(self, suite: str, case: TestCase, toolset: ToolSet) -> CaseResult:
        """Run one case (see :class:`CaseRunner`)."""
        factory = self._factory()
        if isinstance(case, CallTest):
            return await run_call_test(suite, case, toolset, ChainRunner(factory), self._regex)
        url = await self._simulator_url()
        if url is None:
            return CaseResult(
                suite,
                case.name,
                case.kind,
                Status.ERROR,
                0.0,
                (Mismatch("session", "the built-in simulator is not running"),),
            )
        profile, _license = profile_for_url(
            url, name="tests", reconnect=ReconnectPolicy(enabled=False), answer_deadline_s=None
        )
        runner = ConversationRunner(
            profile, WebSocketTransport, SIMULATOR_LICENSE, toolset, factory, self._regex
        )
        return await runner.run(suite, case)
