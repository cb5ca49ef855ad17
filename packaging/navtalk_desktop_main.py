"""Entry script PyInstaller freezes into the ``navtalk-desktop`` executable."""

import multiprocessing
import sys

from navtalk_desktop.cli import main


def run_as_python_c(argv: list[str]) -> bool:
    """Act as ``python -c CODE [ARGS]`` when invoked that way; return whether it did.

    The script responder (``infra/script_runner.py``) runs user scripts in a child process
    started as ``sys.executable -c RUNNER``. In the bundle ``sys.executable`` is this
    program, not a Python interpreter, so it must understand ``-c`` itself. The code runs
    on the bundle's own interpreter and standard library.
    """
    if len(argv) < 3 or argv[1] != "-c":
        return False
    sys.argv = ["-c", *argv[3:]]
    code = compile(argv[2], "<string>", "exec")
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    return True


if __name__ == "__main__":
    # A frozen app re-executes itself for multiprocessing children; this hands them over.
    multiprocessing.freeze_support()
    if getattr(sys, "frozen", False) and run_as_python_c(sys.argv):
        sys.exit(0)
    sys.exit(main())
