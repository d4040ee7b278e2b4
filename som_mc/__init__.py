"""som_mc: a probabilistic engine for the Danish socio-economic investment model SØM.

The public API follows the data flow: load a case, compute (deterministically or by Monte
Carlo), summarise.

Examples
--------
>>> import som_mc
>>> case = som_mc.load_case("cases/housing_first.toml")  # doctest: +SKIP
>>> det = som_mc.deterministic(case)  # doctest: +SKIP
>>> ds = som_mc.simulate(case, draws=20_000, seed=1)  # doctest: +SKIP
>>> summary = som_mc.summarize(ds)  # doctest: +SKIP
"""

from som_mc._version import __version__
from som_mc.case import Case, case_hash, load_case, parse_case
from som_mc.compare import compare
from som_mc.deterministic import deterministic
from som_mc.errors import CaseFileError, DistributionError, ResultsFileError, SomMcError
from som_mc.results import load_results, save_results
from som_mc.simulate import simulate
from som_mc.summary import summarize, summarize_stream

__all__ = [
    "Case",
    "CaseFileError",
    "DistributionError",
    "ResultsFileError",
    "SomMcError",
    "__version__",
    "case_hash",
    "compare",
    "deterministic",
    "load_case",
    "load_results",
    "parse_case",
    "save_results",
    "simulate",
    "summarize",
    "summarize_stream",
]
