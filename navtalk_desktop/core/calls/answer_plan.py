"""What answers a tool's calls in each answer mode, in words for the desk and the tool list.

The dispatcher's rules, said once: in Manual mode a person answers; in Auto mode the chain
runs in order and a manual step waits for a person; in Approve mode manual steps pass and
the first automatic answer becomes a draft. "Auto-answer" on a call runs the automatic
steps and skips manual ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from navtalk_desktop.core.responders.config import ResponderChain, ResponderKind


@dataclass(frozen=True, slots=True)
class AnswerPlan:
    """How one tool's calls are answered in one mode.

    Attributes:
        summary: one line for the call card ("Auto: manual step first — waiting for you").
        run_hint: what "Auto-answer" does for this tool, or why it cannot.
        can_run: whether "Auto-answer" has an automatic step to run.
    """

    summary: str
    run_hint: str
    can_run: bool


def describe_chain(chain: ResponderChain | None) -> str:
    """The enabled steps in order (``manual → template``), or what stands in for them."""
    if chain is None:
        return "no tool of that name: answered by hand"
    steps = [step.label for step in chain.steps if step.enabled]
    return " → ".join(steps) if steps else "no responders: answered by hand"


def _automatic_steps(chain: ResponderChain) -> str:
    steps = [
        step.label
        for step in chain.steps
        if step.enabled and step.config.kind is not ResponderKind.MANUAL
    ]
    return " → ".join(steps)


def answer_plan(chain: ResponderChain | None, mode: str) -> AnswerPlan:
    """What answers a call of a tool with ``chain`` in answer ``mode`` (manual/auto/approve)."""
    automatic = _automatic_steps(chain) if chain is not None else ""
    if not automatic:
        hint = (
            "Nothing automatic to run: this tool's responders are manual only. Add one in "
            "Tools → Responders."
            if chain is not None
            else "Nothing automatic to run: no tool of this name in the set."
        )
        where = "Auto" if mode == "auto" else "Approve" if mode == "approve" else "Manual"
        return AnswerPlan(f"{where}: answered by hand (responders: manual only)", hint, False)
    hint = f"Run {automatic} now, skipping manual steps"
    first = next((step for step in chain.steps if step.enabled), None) if chain else None
    if mode == "auto":
        if first is not None and first.config.kind is ResponderKind.MANUAL:
            return AnswerPlan(
                f"Auto: manual step first — waiting for you. Auto-answer skips to {automatic}.",
                hint,
                True,
            )
        return AnswerPlan(f"Auto: answered by {describe_chain(chain)}", hint, True)
    if mode == "approve":
        return AnswerPlan(f"Approve: {automatic} drafts, you approve", hint, True)
    return AnswerPlan(f"Manual: you answer (Auto-answer runs {automatic})", hint, True)


__all__ = ["AnswerPlan", "answer_plan", "describe_chain"]
