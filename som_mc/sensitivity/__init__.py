"""Følsomhedsanalyser: one-way (tornado, spider, switching values) and global (Sobol, rank).

See :mod:`som_mc.sensitivity.analysis`.
"""

from som_mc.sensitivity.analysis import (
    InputGroup,
    SensitivityError,
    input_groups,
    rank_measures,
    sobol_analysis,
    sobol_indices,
    spider,
    switching_values,
    tornado,
)

__all__ = [
    "InputGroup",
    "SensitivityError",
    "input_groups",
    "rank_measures",
    "sobol_analysis",
    "sobol_indices",
    "spider",
    "switching_values",
    "tornado",
]
