"""Plots of som_mc results (matplotlib; Danish labels, colour-blind-safe Okabe–Ito palette).

Every plot function takes data and ``ax=None``, draws on `ax` (or the axes of a new figure
not attached to pyplot) and returns the Axes; none calls ``plt.show()``.
"""

from som_mc.present.plotting.compare import (
    comparison_figure,
    plot_compare_bands,
    plot_paired_difference,
)
from som_mc.present.plotting.results import (
    fan_figure,
    plot_break_even,
    plot_fan,
    plot_horizon_distribution,
    plot_yearly,
)
from som_mc.present.plotting.sensitivity import plot_sobol, plot_spider, plot_tornado

__all__ = [
    "comparison_figure",
    "fan_figure",
    "plot_break_even",
    "plot_compare_bands",
    "plot_fan",
    "plot_horizon_distribution",
    "plot_paired_difference",
    "plot_sobol",
    "plot_spider",
    "plot_tornado",
    "plot_yearly",
]
