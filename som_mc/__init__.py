"""som_mc: a probabilistic engine for the Danish socio-economic investment model SØM.

The public API follows the data flow: load a case, compute (deterministically or by Monte
Carlo), summarise.

Examples
--------
>>> import som_mc
>>> case = som_mc.load_case("cases/housing_first.toml")  # doctest: +SKIP
>>> ds = som_mc.deterministic(case)  # doctest: +SKIP
"""

from som_mc._version import __version__
from som_mc.case import Case, case_hash, load_case, parse_case
from som_mc.deterministic import deterministic
from som_mc.errors import CaseFileError, DistributionError, ResultsFileError, SomMcError

__all__ = [
    "Case",
    "CaseFileError",
    "DistributionError",
    "ResultsFileError",
    "SomMcError",
    "__version__",
    "case_hash",
    "deterministic",
    "load_case",
    "parse_case",
]
