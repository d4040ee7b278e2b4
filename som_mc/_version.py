"""The package's version, and the installed versions of the libraries outputs record."""

from __future__ import annotations

import functools
import sys

__version__ = "0.1.0"

__all__ = ["__version__", "dependency_version"]


@functools.cache
def _installed(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def dependency_version(name: str) -> str:
    """Version of library `name`: from the module when imported, else from its metadata.

    Outputs record the numba version even when a run used the kernels' NumPy twins and never
    imported numba (importing it takes ≈ 0,5 s).
    """
    module = sys.modules.get(name)
    version = getattr(module, "__version__", None)
    return str(version) if version is not None else _installed(name)
