"""A deterministic, spec-driven stand-in for VideoDB's clip API."""

__version__ = "0.1.0"
