"""The engine in a process of its own: the child's entry point and the GUI side's host.

Nothing in this package imports Qt (an import-linter contract checks it, and a test checks
the child's ``sys.modules``): the child runs the Qt-free engine with the I/O adapters, the
GUI process talks to it through :class:`~navtalk_desktop.engine_process.host.ProcessHost`.
"""
