"""The composition root: the one place that wires infra adapters, core services and UI.

``navtalk-desktop`` (``gui``, the default sub-command) runs :func:`run` with the options
of :func:`configure_parser`. The modules:

* :mod:`~navtalk_desktop.app.command_line`: options, start-up and shutdown of the app.
* :mod:`~navtalk_desktop.app.workbench`: builds the window with every panel and service.
* :mod:`~navtalk_desktop.app.startup`: the profile, tool set and recording asked for.
* :mod:`~navtalk_desktop.app.panels`: the panels built when first needed.
* :mod:`~navtalk_desktop.app.examples_menu`: the Examples menu.
* :mod:`~navtalk_desktop.app.logs`: console and log file, licenses redacted.
* :mod:`~navtalk_desktop.app.excepthook`: uncaught exceptions shown, not fatal.
"""

from navtalk_desktop.app.command_line import configure_parser, run, run_main_window, save_screenshot
from navtalk_desktop.app.examples_menu import EXAMPLES, ExampleChoice
from navtalk_desktop.app.license_notices import load_license_notices
from navtalk_desktop.app.logs import (
    LICENSE_ENV,
    LOG_FILE_NAME,
    LOG_SECRETS,
    StartupLog,
    configure_logging,
    install_file_log,
)
from navtalk_desktop.app.startup import COMMAND_LINE_PROFILE, DEFAULT_TOOLSET_FILE
from navtalk_desktop.app.workbench import Workbench

__all__ = [
    "COMMAND_LINE_PROFILE",
    "DEFAULT_TOOLSET_FILE",
    "EXAMPLES",
    "LICENSE_ENV",
    "LOG_FILE_NAME",
    "LOG_SECRETS",
    "ExampleChoice",
    "StartupLog",
    "Workbench",
    "configure_logging",
    "configure_parser",
    "install_file_log",
    "load_license_notices",
    "run",
    "run_main_window",
    "save_screenshot",
]
