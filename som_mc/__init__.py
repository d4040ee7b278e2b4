"""som_mc: a probabilistic engine for the Danish socio-economic investment model SØM.

The public API follows the data flow: load a case, compute (deterministically or by Monte
Carlo), summarise, compare. Names are imported on first use, so ``import som_mc`` is light.

Examples
--------
>>> import som_mc
>>> case = som_mc.load_case("cases/housing_first.toml")  # doctest: +SKIP
>>> det = som_mc.deterministic(case)  # doctest: +SKIP
>>> ds = som_mc.simulate(case, draws=20_000, seed=1)  # doctest: +SKIP
>>> summary = som_mc.summarize(ds)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from som_mc._io import ensure_numba_cache as _ensure_numba_cache
from som_mc._version import __version__
from som_mc.errors import (
    CaseFileError,
    DistributionError,
    OutputError,
    ResultsFileError,
    SomMcError,
)

if TYPE_CHECKING:
    from som_mc.case import Case, case_hash, load_case, parse_case
    from som_mc.engine import deterministic
    from som_mc.results import load_results, save_results
    from som_mc.run import RunSpec, compare, run_many, simulate, summarize_stream
    from som_mc.stats import summarize

#: A note when numba's cache had to move to a temporary folder (read-only install and HOME);
#: set before any module imports numba.
NUMBA_CACHE_NOTE = _ensure_numba_cache(__path__[0])

#: Public name → module it lives in (imported when first used).
_LAZY = {
    "Case": "som_mc.case",
    "case_hash": "som_mc.case",
    "load_case": "som_mc.case",
    "parse_case": "som_mc.case",
    "deterministic": "som_mc.engine",
    "load_results": "som_mc.results",
    "save_results": "som_mc.results",
    "RunSpec": "som_mc.run",
    "compare": "som_mc.run",
    "run_many": "som_mc.run",
    "simulate": "som_mc.run",
    "summarize_stream": "som_mc.run",
    "summarize": "som_mc.stats",
}

__all__ = [
    "Case",
    "CaseFileError",
    "DistributionError",
    "OutputError",
    "ResultsFileError",
    "RunSpec",
    "SomMcError",
    "__version__",
    "case_hash",
    "compare",
    "deterministic",
    "load_case",
    "load_results",
    "parse_case",
    "run_many",
    "save_results",
    "simulate",
    "summarize",
    "summarize_stream",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'som_mc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
