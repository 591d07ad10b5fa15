"""The package's own pytest plugin runs this suite's ``async def`` tests.

Installed (``pip install -e .``) it is already loaded through its ``pytest11`` entry
point, registered under this same module name, so this line is then a no-op; from a
plain checkout on ``PYTHONPATH`` it loads the plugin.
"""

pytest_plugins = ["jambonz_runtime.testing.pytest_plugin"]
