"""Statistics of Monte Carlo draws: one core for every mean, MCSE, quantile and P(> 0).

:mod:`som_mc.stats.cells` computes cell statistics (block moments merged in draw order, exact
or sketched quantiles, break-even distributions); :mod:`som_mc.stats.summary` builds the
summary of a run from them; :mod:`som_mc.stats.comparison` the paired statistics of a
comparison.
"""

from som_mc.stats.cells import EXACT_QUANTILE_MAX_DRAWS, HISTOGRAM_BINS, quantile_method
from som_mc.stats.summary import (
    DEFAULT_QUANTILES,
    Summary,
    SummaryPart,
    quantile_index,
    summarize,
    with_total,
)

__all__ = [
    "DEFAULT_QUANTILES",
    "EXACT_QUANTILE_MAX_DRAWS",
    "HISTOGRAM_BINS",
    "Summary",
    "SummaryPart",
    "quantile_index",
    "quantile_method",
    "summarize",
    "with_total",
]
