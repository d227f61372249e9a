"""The package version; the same as the core library's (`wi_version()`)."""

__version__ = "0.1.0"
