"""The plugin under test is loaded by its pytest11 entry point (the installed wheel); pytester
runs inner sessions to check the options it reads."""

pytest_plugins = ["pytester"]
