"""Where the contract and the default fixtures live, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


def spec_path() -> Path:
    """``openapi.yaml``: copied into the wheel, or at the top of a source checkout."""
    return _first_existing(_PACKAGE / "openapi.yaml", _PACKAGE.parent / "openapi.yaml")


def default_fixtures_dir() -> Path:
    return _first_existing(_PACKAGE / "default_fixtures", _PACKAGE.parent / "fixtures")


def admin_spec_path() -> Path:
    """The control API's contract, kept inside the package."""
    return _PACKAGE / "admin-openapi.yaml"
