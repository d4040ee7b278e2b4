"""Plots of a comparison of investeringscases (Danish labels, Okabe–Ito colours).

Each case keeps its colour in every plot: case ``i`` is drawn in ``OKABE_ITO[i]``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from som_mc.present.plotting._style import OKABE_ITO, actor_title, kr_formatter, new_axes
from som_mc.stats.summary import quantile_index
from som_mc.types import TOTAL

__all__ = ["comparison_figure", "plot_compare_bands", "plot_paired_difference"]


def _colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def plot_compare_bands(cmp: xr.Dataset, actor: str = TOTAL, ax: Axes | None = None) -> Axes:
    """Cumulative nettoresultat per year of every case on one axis, with bands.

    Parameters
    ----------
    cmp : xarray.Dataset
        Output of :func:`som_mc.compare`.
    actor : str, default "total"
        Actor or ``"total"``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Per case a median line (in the legend, labelled with the case) and shaded 50 % and
        90 % bands in the case's colour; a black line at 0.
    """
    ax = new_axes(ax)
    sel = cmp.cumulative_quantile.sel(actor=actor)
    years = cmp.year.values
    p5, p25, p50, p75, p95 = (quantile_index(cmp, p) for p in (0.05, 0.25, 0.5, 0.75, 0.95))
    for i, label in enumerate(cmp.case.values):
        q = sel.isel(case=i).values
        colour = _colour(i)
        ax.fill_between(years, q[p5], q[p95], color=colour, alpha=0.15, linewidth=0)
        ax.fill_between(years, q[p25], q[p75], color=colour, alpha=0.30, linewidth=0)
        ax.plot(years, q[p50], color=colour, linewidth=2, marker="o", markersize=3, label=label)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(kr_formatter)
    ax.set_xlabel("År")
    ax.set_ylabel("Akkumuleret nettoresultat (kr.)")
    ax.set_title(
        f"Akkumuleret nettoresultat, {actor_title(actor)}: median, 50 %- og 90 %-interval",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_paired_difference(
    cmp: xr.Dataset, actor: str = TOTAL, ax: Axes | None = None, *, bins: int = 50
) -> Axes:
    """Histogram of the paired difference from the baseline, one per other case.

    Parameters
    ----------
    cmp : xarray.Dataset
        Output of :func:`som_mc.compare`.
    actor : str, default "total"
        Actor or ``"total"``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    bins : int, default 50
        Number of bins, shared by all histograms.

    Returns
    -------
    matplotlib.axes.Axes
        A filled histogram of case − baseline over the draws for every case but the
        baseline, in the case's colour and labelled ``"<case> − <baseline>"``; a black
        vertical line at 0.
    """
    ax = new_axes(ax)
    diff = cmp.difference.sel(actor=actor).transpose("draw", "case").values
    labels = [str(c) for c in cmp.case.values]
    base = labels[0]
    edges = np.histogram_bin_edges(diff[:, 1:], bins=bins).tolist()
    for i in range(1, len(labels)):
        ax.hist(
            diff[:, i],
            bins=edges,
            histtype="stepfilled",
            alpha=0.5,
            color=_colour(i),
            edgecolor=_colour(i),
            label=f"{labels[i]} − {base}",
        )
    ax.axvline(0, color="black", linewidth=1)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.xaxis.set_major_formatter(kr_formatter)
    ax.set_xlabel("Forskel i nettoresultat (kr.)")
    ax.set_ylabel("Antal træk")
    ax.set_title(f"Parvis forskel fra {base}, {actor_title(actor)} (samme træk)", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def comparison_figure(cmp: xr.Dataset, actor: str = TOTAL) -> Figure:
    """Figure with the bands of every case (left) and the paired differences (right).

    Parameters
    ----------
    cmp : xarray.Dataset
        Output of :func:`som_mc.compare`.
    actor : str, default "total"
        Actor or ``"total"``.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; save it with ``fig.savefig(path)``.
    """
    fig = Figure(figsize=(13.0, 5.0), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_compare_bands(cmp, actor, ax=left)
    plot_paired_difference(cmp, actor, ax=right)
    return fig
