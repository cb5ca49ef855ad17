"""The script responder: a Python function in a user file, run out of process, only if trusted."""

from __future__ import annotations

from pathlib import Path

from navtalk_desktop.core.responders.base import Answer, CallRequest, Pass, ResponderError
from navtalk_desktop.core.responders.config import ResponderKind, ScriptConfig
from navtalk_desktop.core.responders.ports import ScriptRunError, ScriptRunner, ScriptTrust


class ScriptResponder:
    """Calls ``function(arguments, context)`` in a child process; its return value is the output."""

    kind = ResponderKind.SCRIPT

    def __init__(
        self,
        config: ScriptConfig,
        runner: ScriptRunner | None,
        trust: ScriptTrust | None,
        base_dir: Path | None,
    ) -> None:
        self._config = config
        self._runner = runner
        self._trust = trust
        self._base_dir = base_dir

    @property
    def path(self) -> Path:
        """The script file, resolved against the tool set's folder."""
        path = Path(self._config.path).expanduser()
        if not path.is_absolute() and self._base_dir is not None:
            path = self._base_dir / path
        return path

    async def respond(self, request: CallRequest) -> Answer | Pass:
        """The function's result.

        Raises:
            ResponderError: untrusted file, or any failure the runner reports.
        """
        if self._runner is None:
            raise ResponderError("scripts cannot run here (no script runner)")
        path = self.path
        # Code from an imported tool set must never run just because the file was opened.
        if self._trust is None or not self._trust.is_trusted(path):
            raise ResponderError(
                f"script {path} is not trusted: it came with a tool set or changed since it "
                "was trusted. Review it and trust it in the tool editor to run it"
            )
        # Run the file that was checked, at its real place: its folder (working folder,
        # sibling modules) is the trusted script's, not a symlink's.
        path = path.resolve()
        context = {
            "call_id": request.call_id,
            "name": request.name,
            "vars": dict(request.variables),
            "raw_arguments": request.raw_arguments,
            "test": request.is_test,
        }
        arguments = dict(request.arguments) if request.arguments is not None else None
        try:
            result = await self._runner.run(
                path, self._config.function, arguments, context, self._config.timeout_s
            )
        except ScriptRunError as exc:
            raise ResponderError(exc.message) from None
        return Answer(result, note=f"{path.name}:{self._config.function}")
