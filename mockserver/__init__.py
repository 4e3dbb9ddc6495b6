"""A deterministic, spec-driven stand-in for VideoDB's clip API."""

from typing import Any

__version__ = "0.1.0"
__all__ = ["Control", "__version__"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `mockserver serve` does not pay for the HTTP client.
    if name == "Control":
        from .control import Control

        return Control
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
