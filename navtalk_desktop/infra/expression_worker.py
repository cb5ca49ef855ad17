"""The worker process that evaluates user templates and regexes (the child side).

Started by :class:`~navtalk_desktop.infra.expression_sandbox.ProcessExpressionSandbox`. It
limits its own address space, then answers one JSON request per line on stdin with one JSON
reply per line on stdout, until stdin closes (the app exited or dropped the worker):

* ``{"op": "render", "source", "context", "time_s", "max_chars"}`` →
  ``{"ok": true, "text": …}``
* ``{"op": "search", "pattern", "texts", "ignore_case"}`` → ``{"ok": true, "match": …}``
* failures: ``{"ok": false, "error": "…", "limit": true|false}`` (``limit``: a budget or the
  memory cap was hit).

A request that never ends is not its problem: the parent kills it when the budget is spent.
"""

from __future__ import annotations

import json
import sys
from typing import Any, BinaryIO

READY = b'{"ready": true}\n'


def limit_memory(max_bytes: int) -> None:
    """Cap this process's address space, so a runaway allocation fails with MemoryError."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: the time budget still applies
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """One request's reply (never raises for template or pattern problems)."""
    from navtalk_desktop.core.responders.sandbox import PatternError, search_texts
    from navtalk_desktop.core.responders.templating import TemplateError, TemplateLimitError, render

    try:
        if request.get("op") == "render":
            text = render(
                request["source"],
                request["context"],
                time_s=request.get("time_s"),
                max_chars=int(request["max_chars"]),
            )
            return {"ok": True, "text": text}
        if request.get("op") == "search":
            found = search_texts(request["pattern"], request["texts"], bool(request["ignore_case"]))
            return {"ok": True, "match": found}
        return {"ok": False, "error": f"unknown request {request.get('op')!r}", "limit": False}
    except TemplateLimitError as exc:
        return {"ok": False, "error": str(exc), "limit": True}
    except (TemplateError, PatternError) as exc:
        return {"ok": False, "error": str(exc), "limit": False}
    except MemoryError:
        return {"ok": False, "error": "it needed more memory than allowed", "limit": True}
    except RecursionError:
        return {"ok": False, "error": "it nests too deeply", "limit": True}


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Answer requests until ``stdin`` closes."""
    # Import what every request needs before saying ready, so budgets measure the work.
    from navtalk_desktop.core.responders.templating import compile_template

    compile_template("{{ 1 }}")
    stdout.write(READY)
    stdout.flush()
    for line in stdin:
        try:
            reply = handle(json.loads(line))
        except MemoryError:
            reply = {"ok": False, "error": "it needed more memory than allowed", "limit": True}
        except (ValueError, KeyError, TypeError) as exc:
            reply = {"ok": False, "error": f"bad request: {exc}", "limit": False}
        try:
            # ASCII: lone surrogates in a template's output survive as \u escapes.
            data = json.dumps(reply).encode("ascii")
        except MemoryError:
            data = b'{"ok": false, "error": "the reply needed more memory than allowed", "limit": true}'
        stdout.write(data + b"\n")
        stdout.flush()


def main() -> None:
    """Entry point: ``python -c '…expression_worker import main; main()' MAX_BYTES``."""
    limit_memory(int(sys.argv[1]) if len(sys.argv) > 1 else 512 * 1024 * 1024)
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
