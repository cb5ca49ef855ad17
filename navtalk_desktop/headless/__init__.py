"""The headless commands: no Qt, for CI and scripts.

* :mod:`~navtalk_desktop.headless.respond`: ``navtalk-desktop respond`` answers function
  calls automatically (with :mod:`~navtalk_desktop.headless.consent` for scripts and hosts).
* :mod:`~navtalk_desktop.headless.regression_cli`: ``navtalk-desktop test`` runs test suites
  (:mod:`~navtalk_desktop.headless.suite_runner` runs one case; the desktop app's Tests panel
  uses it too; :mod:`~navtalk_desktop.headless.regression_capture` turns a recording into a suite).
* :mod:`~navtalk_desktop.headless.replay`: ``navtalk-desktop replay`` serves a recording.
* :mod:`~navtalk_desktop.headless.cli_support`: what these commands share on the command line.
"""
