"""Runs script responders out of process: ``python -c <runner>``, JSON over stdin/stdout, a timeout.

User code never runs inside the app: a crash, a hang, a ``sys.exit`` or a print only
affects the child. The child reads one request from stdin and writes one JSON reply to
the stdout it started with (the script's own prints are redirected to stderr). On
timeout or cancellation the whole process group is killed.

The child is isolated (``python -I``): no ``PYTHON*`` variables, no user site folder, and
neither the working folder nor the script's folder ahead of the standard library. A file
next to a trusted script (say ``sqlite3.py``) can therefore never stand in for a module
the script imports: sibling modules are found only by a finder placed *after* every other
one, and never for a name of the standard library. The environment is a short allow-list
(locale, home, temporary folder, path), so licenses and other secrets never reach a script.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from navtalk_desktop.core.json_value import JsonValue
from navtalk_desktop.core.responders.ports import ScriptRunError

# The child program. Self-contained (only stdlib), so it does not import the app.
RUNNER_SOURCE = r"""
import asyncio, importlib.machinery, importlib.util, inspect, json, os, sys, traceback
# Without -I (the packaged app's "-c"), '' (the working folder, which becomes the script's
# folder below) must not be on the import path either.
sys.path[:] = [p for p in sys.path if p not in ("", ".", os.getcwd())]
out = sys.stdout
sys.stdout = sys.stderr
def reply(obj):
    out.write(json.dumps(obj))
    out.flush()
class SiblingFinder:
    # Last on sys.meta_path: only names no other finder (stdlib, site-packages) knows, and
    # never a standard-library name, come from the script's folder.
    def __init__(self, folder):
        self.folder = folder
    def find_spec(self, name, path=None, target=None):
        if path is not None or name in sys.stdlib_module_names or name in sys.builtin_module_names:
            return None
        return importlib.machinery.PathFinder.find_spec(name, [self.folder])
def install_sibling_finder(folder):
    sys.meta_path.append(SiblingFinder(folder))
def main():
    request = json.loads(sys.stdin.read())
    path = request["path"]
    if not os.path.isfile(path):
        return reply({"ok": False, "error": "script file " + path + " does not exist"})
    folder = os.path.dirname(os.path.abspath(path))
    install_sibling_finder(folder)
    # The working folder is the script's (relative data files keep working); with -I it
    # is not on sys.path, so it cannot shadow anything.
    os.chdir(folder)
    spec = importlib.util.spec_from_file_location("navtalk_script", path)
    if spec is None or spec.loader is None:
        return reply({"ok": False, "error": "cannot load " + path + " as Python"})
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    name = request["function"]
    function = getattr(module, name, None)
    if not callable(function):
        return reply({"ok": False, "error": "no function " + repr(name) + " in " + os.path.basename(path)})
    try:
        parameters = inspect.signature(function).parameters.values()
        positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        varargs = any(p.kind == p.VAR_POSITIONAL for p in parameters)
        count = 2 if varargs or len(positional) >= 2 else len(positional)
    except (TypeError, ValueError):
        count = 2
    args = [request["arguments"], request["context"]][:count]
    result = function(*args)
    if inspect.isawaitable(result):
        async def wait():
            return await result
        result = asyncio.run(wait())
    try:
        text = json.dumps({"ok": True, "result": result}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return reply({"ok": False, "error": name + "() returned " + type(result).__name__ + ", which cannot be sent as JSON: " + str(exc)})
    out.write(text)
    out.flush()
try:
    main()
except SystemExit as exc:
    reply({"ok": False, "error": "the script called sys.exit(" + repr(exc.code) + ")"})
except BaseException as exc:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    reply({"ok": False, "error": type(exc).__name__ + ": " + str(exc), "traceback": "".join(lines[-6:])})
"""

# The only variables a script inherits: what the interpreter, locale and temporary files
# need. Everything else (the license of a headless run, tokens, proxies' credentials) stays
# in the app. ``LC_*`` is matched by prefix.
_PASSED_ENV = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    # Windows: the interpreter and the C runtime need these to start at all.
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    "COMSPEC",
    "PATHEXT",
)
# Never passed, even if a future allow-list entry matched them.
_HIDDEN_ENV = frozenset({"NAVTALK_LICENSE"})
# -I: isolated (no PYTHON* variables, no user site, no script or working folder on
# sys.path); -X utf8: text I/O is UTF-8 whatever the locale (PYTHONIOENCODING is ignored
# under -I).
_INTERPRETER_FLAGS = ("-I", "-X", "utf8")


def script_environment(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The minimal environment a script runs with (from ``source``, default ``os.environ``)."""
    source = os.environ if source is None else source
    env = {
        key: value
        for key, value in source.items()
        if (key.upper() in _PASSED_ENV or key.upper().startswith("LC_"))
        and key.upper() not in _HIDDEN_ENV
    }
    env["PYTHONIOENCODING"] = "utf-8"
    return env


_STDERR_TAIL = 600


class SubprocessScriptRunner:
    """A :class:`~navtalk_desktop.core.responders.ports.ScriptRunner` using child processes.

    Args:
        python: interpreter to run (default: the one running the app).
    """

    def __init__(self, python: str | None = None) -> None:
        self.python = python or sys.executable

    def command(self) -> list[str]:
        """The child's command line.

        The packaged app's executable is not a Python interpreter: it answers only
        ``-c CODE`` (``packaging/navtalk_desktop_main.py``), and its frozen interpreter
        reads no ``PYTHON*`` variables and has no user site; the runner itself drops the
        working folder from ``sys.path`` there.
        """
        frozen = bool(getattr(sys, "frozen", False)) and self.python == sys.executable
        flags = () if frozen else _INTERPRETER_FLAGS
        return [self.python, *flags, "-c", RUNNER_SOURCE]

    async def run(
        self,
        path: Path,
        function: str,
        arguments: JsonValue,
        context: Mapping[str, Any],
        timeout_s: float,
    ) -> JsonValue:
        """Run ``function`` from ``path`` and return its JSON result.

        Raises:
            ScriptRunError: file missing, exception in the script (with its last
                traceback lines), crash or exit code, timeout (process killed), or a
                result that is not JSON.
        """
        request = json.dumps(
            {
                "path": str(path),
                "function": function,
                "arguments": arguments,
                "context": dict(context),
            }
        ).encode("utf-8")
        env = script_environment()
        process = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            # Own process group, so a timeout also kills anything the script started.
            start_new_session=sys.platform != "win32",
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(request), timeout_s)
        except TimeoutError:
            await _kill(process)
            raise ScriptRunError(
                f"{path.name}:{function} did not finish within {timeout_s:g} s; the process was killed"
            ) from None
        except asyncio.CancelledError:
            await _kill(process)
            raise
        return _parse_reply(path, function, process.returncode, stdout, stderr)


def _parse_reply(
    path: Path, function: str, code: int | None, stdout: bytes, stderr: bytes
) -> JsonValue:
    tail = stderr.decode("utf-8", errors="replace").strip()[-_STDERR_TAIL:]
    text = stdout.decode("utf-8", errors="replace").strip()
    if not text:
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                name = signal.Signals(-code).name
                raise ScriptRunError(
                    f"{path.name}:{function} crashed (killed by {name})" + _suffix(tail)
                )
            raise ScriptRunError(f"{path.name}:{function} crashed (signal {-code})" + _suffix(tail))
        raise ScriptRunError(
            f"{path.name}:{function} exited with code {code} without a result" + _suffix(tail)
        )
    try:
        reply = json.loads(text)
    except json.JSONDecodeError:
        raise ScriptRunError(
            f"{path.name}:{function} wrote something that is not a result: {text[:200]!r}"
        ) from None
    if not isinstance(reply, dict) or "ok" not in reply:
        raise ScriptRunError(f"{path.name}:{function} wrote an unexpected reply: {text[:200]!r}")
    if not reply["ok"]:
        message = f"{path.name}:{function} failed: {reply.get('error', 'unknown error')}"
        trace = reply.get("traceback")
        if isinstance(trace, str) and trace:
            last = [line for line in trace.strip().splitlines() if line.strip().startswith("File ")]
            if last:
                message += f" ({last[-1].strip()})"
        raise ScriptRunError(message)
    result: JsonValue = reply.get("result")
    return result


def _suffix(tail: str) -> str:
    return f": {tail}" if tail else ""


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        try:
            if sys.platform != "win32":
                os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                process.kill()
        except ProcessLookupError:
            pass
    # Reap it so no zombie or pipe transport outlives the call.
    with contextlib.suppress(ProcessLookupError):
        await process.wait()
