"""``navtalk-desktop test``: run test suites against the responders and a session, for CI.

::

    navtalk-desktop test weather.navtests.json --junit report.xml

Call tests run through the tool set's responder chain with no connection. Conversation
tests open a session: on the built-in simulator (started in-process on 127.0.0.1) unless
``--url`` names an endpoint. One line per test goes to stdout, with the reason and a
diff under a failure. Exit codes: 0 all passed, 1 a test failed or errored, 2 bad options,
suite or tool files (nothing ran).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from navtalk_desktop.core.profile import license_from_url, profile_for_url, strip_license
from navtalk_desktop.core.regression.junit import junit_xml
from navtalk_desktop.core.regression.ports import BudgetedRegex
from navtalk_desktop.core.regression.results import CaseResult, Status, summary
from navtalk_desktop.core.regression.run_calls import run_call_test
from navtalk_desktop.core.regression.run_conversation import ConversationRunner
from navtalk_desktop.core.regression.selection import run_limited, selected
from navtalk_desktop.core.regression.suite import CallTest, ConversationTest, Suite, TestCase
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.headless import consent as headless_consent
from navtalk_desktop.headless.cli_support import command_output, configure_logging, positive_int
from navtalk_desktop.headless.respond import (
    UsageError,
    load_tool_file,
    parse_variables,
    read_input,
)
from navtalk_desktop.headless.respond_options import EXAMPLE_PREFIX, LICENSE_ENV

if TYPE_CHECKING:
    from navtalk_desktop.infra.http_client import AiohttpClient

_err, _out = command_output("test")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
# The built-in simulator accepts any license; the tests' sessions need one to send.
SIMULATOR_LICENSE = "sk_test_navtalk_desktop_runner"

logger = logging.getLogger(__name__)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``navtalk-desktop test``."""
    parser.description = (
        "Run test suites (*.navtests.json): call tests through the tool set's responders, "
        "conversation tests through a session on the built-in simulator (or --url). "
        "Exit code 0 when every test passed, 1 when one failed, 2 on bad options or files."
    )
    parser.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE",
        help="suite files, or example:use-cases (the bundled suite of the five use cases); "
        "default: the suites the --tools file lists",
    )
    parser.add_argument(
        "--tools",
        type=Path,
        metavar="FILE",
        help="tool set to test (default: the one each suite names in its 'tools' field)",
    )
    parser.add_argument(
        "--url",
        metavar="URL",
        help="run conversation tests against this realtime URL (license from $"
        + LICENSE_ENV
        + "); default: the built-in simulator, started for this run",
    )
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    parser.add_argument(
        "-k",
        dest="pattern",
        metavar="PATTERN",
        help="run only tests whose 'suite::name' contains PATTERN (or matches it as a glob)",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        metavar="N",
        help="run up to N tests at the same time (default 1: in file order)",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a tool set variable (repeatable)",
    )
    parser.add_argument(
        "--examples",
        action="store_true",
        help="start the bundled example services and fill in their variables",
    )
    headless_consent.add_arguments(parser)
    parser.add_argument(
        "--from-recording",
        type=Path,
        metavar="RECORDING.jsonl",
        help="instead of running tests: add a call test per answered call of this recording "
        "(expecting the recorded output again) to the suite file given as SUITE",
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``test`` sub-command; returns the exit code."""
    configure_logging()
    if args.from_recording is not None:
        from navtalk_desktop.headless.regression_capture import capture_recording

        return capture_recording(args)
    try:
        return asyncio.run(_Run(args).main())
    except KeyboardInterrupt:
        return EXIT_FAILED


@dataclass
class _Loaded:
    """A suite file with the tool set it runs against."""

    path: Path
    suite: Suite
    toolset_path: Path
    toolset: ToolSet = field(default_factory=ToolSet)
    cases: list[TestCase] = field(default_factory=list)


class _Run:
    """One ``test`` run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    async def main(self) -> int:
        from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
        from navtalk_desktop.infra.http_client import AiohttpClient
        from navtalk_desktop.infra.regex_budget import RegexWithBudget

        try:
            loaded = self._load()
        except UsageError as exc:
            _err(str(exc))
            return EXIT_USAGE
        if not any(item.cases for item in loaded):
            _err(f"no test selected (-k {self.args.pattern!r})")
            return EXIT_USAGE
        examples = None
        simulator = None
        http = AiohttpClient()
        # Templates, rule regexes and the suites' own regexes run in worker processes that
        # are killed when over budget (as in respond).
        self.sandbox = ProcessExpressionSandbox()
        try:
            # --var first: a variable may name a webhook's host, which consent must see.
            variables = parse_variables(self.args.var)
            for item in loaded:
                item.toolset = item.toolset.with_variables(**variables)
            factories = self._factories(loaded, http)  # consent before anything runs
            if self.args.examples:
                from navtalk_desktop.examples.environment import open_examples

                # The example services listen on loopback: filling their URLs needs no consent.
                examples = await open_examples()
                for item in loaded:
                    item.toolset = examples.fill_variables(item.toolset).with_variables(**variables)
            needs_session = any(isinstance(c, ConversationTest) for i in loaded for c in i.cases)
            url, license = self._endpoint() if needs_session else ("", "")
            if needs_session and not url:
                from navtalk_desktop.simulator.config import SimulatorConfig
                from navtalk_desktop.simulator.server import SimulatorServer

                # Fast timings: a CI run waits for answers, not for simulated speech.
                # Every test is its own session, so --jobs N needs N connections.
                simulator = SimulatorServer(
                    dataclasses.replace(SimulatorConfig.fast(), max_connections_per_license=10_000)
                )
                await simulator.start()
                url, license = simulator.ws_url, SIMULATOR_LICENSE
            results = await self._run(
                loaded, factories, RegexWithBudget(self.sandbox), url, license
            )
        except UsageError as exc:
            _err(str(exc))
            return EXIT_USAGE
        finally:
            await self.sandbox.close()
            await http.close()
            if simulator is not None:
                await simulator.stop()
            if examples is not None:
                await examples.close()
        return self._report(results)

    # ------------------------------------------------------------------ inputs

    def _load(self) -> list[_Loaded]:
        args = self.args
        paths: list[Path] = []
        for text in args.suites:
            if text.startswith(EXAMPLE_PREFIX):
                paths.append(self._example_suite(text[len(EXAMPLE_PREFIX) :]))
            else:
                paths.append(Path(text))
        if not paths:
            if args.tools is None:
                raise UsageError("give suite files, or --tools FILE whose 'tests' lists them")
            toolset = load_tool_file(args.tools)
            if not toolset.tests:
                raise UsageError(
                    f"{args.tools} lists no test suites ('tests' field); give SUITE files"
                )
            paths = [args.tools.resolve().parent / name for name in toolset.tests]
        from navtalk_desktop.infra.test_suite_file import load_suite

        loaded: list[_Loaded] = []
        toolsets: dict[Path, ToolSet] = {}
        for path in paths:
            suite = read_input(path, load_suite)
            if args.tools is not None:
                tools_path = args.tools
            elif suite.tools is not None:
                tools_path = path.resolve().parent / suite.tools
            else:
                raise UsageError(f"{path} names no tool set ('tools' field); pass --tools FILE")
            if tools_path not in toolsets:
                toolsets[tools_path] = load_tool_file(tools_path)
            cases = [case for case in suite.tests if selected(case, suite.name, args.pattern)]
            loaded.append(_Loaded(path, suite, tools_path, toolsets[tools_path], cases))
        return loaded

    def _example_suite(self, name: str) -> Path:
        from navtalk_desktop.examples.install import install_examples

        examples = install_examples()
        suites = {"use-cases": examples.use_case_tests}
        if name not in suites:
            raise UsageError(
                f"unknown example suite {name!r}; use {', '.join(EXAMPLE_PREFIX + k for k in suites)}"
            )
        self.args.examples = True
        return suites[name]

    def _factories(
        self, loaded: list[_Loaded], http: AiohttpClient
    ) -> dict[Path, ResponderFactory]:
        """Responders per tool set with this run's consent (same flags as ``respond``).

        Raises:
            UsageError: a script or webhook host needs a flag that was not given.
        """
        from navtalk_desktop.examples.environment import default_script_trust
        from navtalk_desktop.infra.script_runner import SubprocessScriptRunner

        trust = default_script_trust()
        try:
            hosts = headless_consent.host_policy(self.args)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        factories: dict[Path, ResponderFactory] = {}
        missing: list[str] = []
        for item in loaded:
            if item.toolset_path in factories:
                continue
            base_dir = item.toolset_path.resolve().parent
            lacking, notes = headless_consent.check(
                item.toolset, base_dir, trust, hosts, trust_scripts=self.args.trust_scripts
            )
            for note in notes:
                _err(f"note: {note}")
            missing += [f"{item.toolset_path}: {line}" for line in lacking]
            factories[item.toolset_path] = ResponderFactory(
                http=http,
                hosts=hosts,
                scripts=SubprocessScriptRunner(),
                trust=trust,
                base_dir=base_dir,
                sandbox=self.sandbox,
            )
        if missing:
            raise UsageError(
                "the tests would run code or send call data without consent; nothing was run:\n  "
                + "\n  ".join(m.replace("to respond", "to test") for m in missing)
            )
        return factories

    def _endpoint(self) -> tuple[str, str]:
        url = self.args.url
        if not url:
            return "", ""
        pasted = license_from_url(url)
        license = pasted or os.environ.get(LICENSE_ENV, "").strip()
        if not license:
            raise UsageError(f"--url needs a license: set ${LICENSE_ENV}")
        return strip_license(url), license

    # ------------------------------------------------------------------ running

    async def _run(
        self,
        loaded: list[_Loaded],
        factories: dict[Path, ResponderFactory],
        regex: BudgetedRegex,
        url: str,
        license: str,
    ) -> list[CaseResult]:
        from navtalk_desktop.infra.ws_transport import WebSocketTransport

        profile = None
        if url:
            profile, _license = profile_for_url(
                url, name="test", reconnect=ReconnectPolicy(enabled=False), answer_deadline_s=None
            )
        jobs = []
        for item in loaded:
            factory = factories[item.toolset_path]
            chains = ChainRunner(factory)
            conversations = (
                ConversationRunner(
                    profile, WebSocketTransport, license, item.toolset, factory, regex
                )
                if profile is not None
                else None
            )
            for case in item.cases:
                jobs.append(self._job(item, case, chains, conversations, regex))

        def done(_index: int, result: CaseResult) -> None:
            _print_result(result)

        return await run_limited(jobs, self.args.jobs, done)

    @staticmethod
    def _job(
        item: _Loaded,
        case: TestCase,
        chains: ChainRunner,
        conversations: ConversationRunner | None,
        regex: BudgetedRegex,
    ) -> Callable[[], Awaitable[CaseResult]]:

        async def job() -> CaseResult:
            if isinstance(case, CallTest):
                return await run_call_test(item.suite.name, case, item.toolset, chains, regex)
            assert conversations is not None
            return await conversations.run(item.suite.name, case)

        return job

    # ------------------------------------------------------------------ report

    def _report(self, results: list[CaseResult]) -> int:
        counts = summary(results)
        _out(
            f"{len(results)} tests: {counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, "
            f"{counts[Status.ERROR]} errors, {counts[Status.SKIPPED]} skipped"
        )
        if self.args.junit is not None:
            from navtalk_desktop.infra.atomic_file import atomic_write_text

            try:
                atomic_write_text(self.args.junit, junit_xml(results))
            except OSError as exc:
                _err(f"cannot write {self.args.junit}: {exc.strerror or exc}")
                return EXIT_FAILED
        failed = counts[Status.FAILED] + counts[Status.ERROR]
        return EXIT_FAILED if failed else EXIT_OK


def _print_result(result: CaseResult) -> None:
    label = {
        Status.PASSED: "PASS",
        Status.FAILED: "FAIL",
        Status.ERROR: "ERROR",
        Status.SKIPPED: "SKIP",
    }[result.status]
    line = f"{label} {result.suite}::{result.name} ({result.duration_s * 1000:.0f} ms)"
    if result.problems:
        # The first problem's message on the test's line; its diff and further problems
        # indented under it.
        line += f": {result.headline}"
        rest = result.reason.split("\n", 1)[1:]
        if rest:
            line += "\n" + "\n".join("    " + text for text in rest[0].splitlines())
    _out(line)
