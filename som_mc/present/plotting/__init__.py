"""Plots of som_mc results (matplotlib; Danish labels, colour-blind-safe Okabe–Ito palette).

Every plot function takes data and ``ax=None``, draws on `ax` (or the axes of a new figure
not attached to pyplot) and returns the Axes; none calls ``plt.show()``.

The names below are imported from their modules on first use: a process that draws only
sensitivity figures (:mod:`som_mc.present.plotting.sensitivity`) imports nothing of the
result and comparison plots (nor the statistics they read).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_MODULE = {
    **dict.fromkeys(
        ("comparison_figure", "plot_compare_bands", "plot_paired_difference"), "compare"
    ),
    **dict.fromkeys(
        ("fan_figure", "plot_break_even", "plot_fan", "plot_horizon_distribution", "plot_yearly"),
        "results",
    ),
    **dict.fromkeys(("plot_sobol", "plot_spider", "plot_tornado"), "sensitivity"),
}


def __getattr__(name: str) -> Any:
    module = _MODULE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
