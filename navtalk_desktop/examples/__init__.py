"""Ready examples for the seed's five use cases: tool sets, data, scripts and local services.

* :func:`~navtalk_desktop.examples.install.install_examples` copies the bundled files to the
  data folder and builds the SQLite databases on first use.
* :class:`~navtalk_desktop.examples.services.ExampleServices` starts the weather, smart-home
  device and CRM services on 127.0.0.1 (random ports).
* :func:`~navtalk_desktop.examples.environment.open_examples` does both and returns a tool set
  whose variables point at them.
"""
