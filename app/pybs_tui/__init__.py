"""pybs-tui: find, compare, install, verify and remove python-build-standalone builds."""

__version__ = "0.1.0"
