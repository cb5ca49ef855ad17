"""Regression tests for tool sets: suite files, expectations, runners and JUnit reports.

Pure Python (no Qt, no sockets of its own): the CLI (``navtalk-desktop test``) wires these
to the real responders, a transport and a budgeted regex engine.
"""
