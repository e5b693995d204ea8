"""Mission OS: think big, start small, scale fast."""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    # The installed version, read from the package metadata only when asked for (reading it costs start-up).
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("missionos")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
