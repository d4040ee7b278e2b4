"""Følsomhedsanalyser: one-way, global, probabilistic break-even values and scenarios.

One-way: tornado, spider, switching values; global: Sobol indices (also per year), rank
measures, downside drivers.

See :mod:`som_mc.sensitivity.analysis`, :mod:`som_mc.sensitivity.breakeven` and
:mod:`som_mc.sensitivity.scenarios`.
"""

from som_mc.sensitivity.analysis import (
    InputGroup,
    SensitivityError,
    check_actors,
    downside_drivers,
    input_groups,
    load_kernel,
    rank_analysis,
    rank_measures,
    sobol_analysis,
    sobol_base_sample,
    sobol_base_values,
    sobol_estimates,
    sobol_indices,
    spider,
    switching_values,
    tornado,
)
from som_mc.sensitivity.breakeven import probabilistic_switching
from som_mc.sensitivity.scenarios import BASE_LABEL, scenario_analysis

__all__ = [
    "BASE_LABEL",
    "InputGroup",
    "SensitivityError",
    "check_actors",
    "downside_drivers",
    "input_groups",
    "load_kernel",
    "probabilistic_switching",
    "rank_analysis",
    "rank_measures",
    "scenario_analysis",
    "sobol_analysis",
    "sobol_base_sample",
    "sobol_base_values",
    "sobol_estimates",
    "sobol_indices",
    "spider",
    "switching_values",
    "tornado",
]
