"""The Getting started steps: what to do, where it is, and which README section says more."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TourStep:
    """One step of the Getting started page.

    Attributes:
        key: stable identifier (``connect``, ``type``, ``answer``, ``auto``, ``compose``).
        title: the step's heading.
        text: what to do (plain text).
        show: the "Show me" button's text (it brings the place forward and focuses it).
        readme: the README heading that tells more.
    """

    key: str
    title: str
    text: str
    show: str
    readme: str


STEPS: tuple[TourStep, ...] = (
    TourStep(
        "connect",
        "1. Connect",
        "Pick a profile in the Connection panel. “Local simulator” needs no license and no "
        "network; a NavTalk profile needs your license (kept in the system keychain). Press "
        "Connect (Ctrl+K): the status bar says Ready when the session is up.",
        "Show me Connect",
        "Connect",
    ),
    TourStep(
        "type",
        "2. Type",
        "Type a message for the avatar in the Conversation panel and press Enter (Ctrl+L "
        "jumps there). On the simulator, “What's the weather in Beijing?” makes the model "
        "call the function_call_judge tool.",
        "Show me the message box",
        "Type",
    ),
    TourStep(
        "answer",
        "3. Answer",
        "The call waits on the Call Desk with a countdown. Type the result (text or JSON) "
        "and press Answer: the avatar speaks it. Every frame sent and received is in the "
        "Timeline.",
        "Show me the Call Desk",
        "Answer",
    ),
    TourStep(
        "auto",
        "4. Answer automatically",
        "Switch the Call Desk to Auto (Ctrl+Shift+A): each tool's responders (static text, "
        "template, rules, webhook, script) answer at once. Set them in the Tools panel under "
        "Responders; a chain that starts with “manual” waits for you.",
        "Show me Auto",
        "Answer automatically",
    ),
    TourStep(
        "compose",
        "5. Go further",
        "Send any raw JSON frame with the Frame Composer (Ctrl+Shift+F), open a ready-made "
        "tool set from the Examples menu, record sessions and replay them, and run the same "
        "engine in CI with navtalk-desktop respond.",
        "Show me the Frame Composer",
        "Frame Composer",
    ),
)
