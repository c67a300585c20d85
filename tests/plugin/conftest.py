"""The plugin under test, loaded however this run was started.

The package installs the plugin as the ``pytest11`` entry point ``consent_auditor``; ``-p auditor.pytest_plugin``
loads it by hand where that entry point is not installed (yet). A run with neither (``pytest`` from a checkout
installed before the entry point existed) gets it registered here, before the modules of this folder are
collected. ``pytest_plugins`` cannot do this: in a conftest below the root it is an error, and naming the module
a second time, beside the entry point, is one too ("already registered under a different name").
"""

from __future__ import annotations

import auditor.pytest_plugin as plugin

ENTRY_POINT = "consent_auditor"


def pytest_collect_file(file_path, parent):
    manager = parent.config.pluginmanager
    if not manager.is_registered(plugin):
        # pytest calls the historic hooks (addoption, configure) of a plugin registered late, so its options
        # get their defaults and its marker is declared
        manager.register(plugin, ENTRY_POINT)
    return None
