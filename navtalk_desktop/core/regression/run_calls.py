"""Call tests: a synthetic call through the tool set's responder chain, no connection."""

from __future__ import annotations

import time

from navtalk_desktop.core.regression.expect import Mismatch, Observed, check
from navtalk_desktop.core.regression.ports import BudgetedRegex
from navtalk_desktop.core.regression.results import CaseResult, Status
from navtalk_desktop.core.regression.suite import CallTest
from navtalk_desktop.core.responders.chain import ChainRunner, fire_test_call
from navtalk_desktop.core.tools.toolset import ToolSet


async def run_call_test(
    suite: str, case: CallTest, toolset: ToolSet, runner: ChainRunner, regex: BudgetedRegex
) -> CaseResult:
    """Run one call test through ``toolset``'s responders and check the output.

    The call runs exactly as "fire test call" in the app runs it: manual steps pass,
    webhooks and scripts run for real under the runner's consent.
    """
    start = time.monotonic()
    entry = toolset.find(case.tool)
    if entry is None:
        return CaseResult(
            suite,
            case.name,
            case.kind,
            Status.ERROR,
            0.0,
            (Mismatch("tool", f"tool {case.tool!r} is not in the tool set {toolset.name!r}"),),
        )
    fired = await fire_test_call(
        runner, entry, case.arguments, variables={**toolset.variables, **case.variables}
    )
    result = fired.result
    problems: list[Mismatch] = [
        Mismatch("arguments", f"the test's arguments break the tool's schema: {violation}")
        for violation in fired.violations
    ]
    if result.output is None:
        problems.append(
            Mismatch("answered", "no output: " + ("; ".join(result.messages) or "nothing answered"))
        )
    else:
        problems += await check(
            case.expect, Observed(result.output, result.is_error, result.duration_s), regex
        )
    return CaseResult(
        suite,
        case.name,
        case.kind,
        Status.FAILED if problems else Status.PASSED,
        time.monotonic() - start,
        tuple(problems),
        result.output,
    )
