"""Plots of følsomhedsanalyser: tornado, spider, Sobol indices (also over time) and scenarios.

Danish labels and Danish decimal commas on every axis.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from som_mc.present.format import format_number
from som_mc.present.plotting._style import OKABE_ITO, actor_title, money_axis, new_axes
from som_mc.types import TOTAL

__all__ = ["plot_scenarios", "plot_sobol", "plot_sobol_by_year", "plot_spider", "plot_tornado"]


def _decimal_axis(axis: Axis, decimals: int = 1) -> None:
    """Danish decimal commas on an axis of small numbers (0,2 not 0.2)."""
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: format_number(x, decimals)))


def _percent_axis(axis: Axis) -> None:
    """Show a share axis in per cent (0,25 -> "25 %")."""
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{format_number(100 * x)} %"))


def _value_text(v: float) -> str:
    if not np.isfinite(v):
        return "gruppe"
    return format_number(v, 2 if abs(v) < 10 else 0)


def plot_tornado(
    tor: xr.Dataset, *, actor: str = TOTAL, top: int | None = 15, ax: Axes | None = None
) -> Axes:
    """Tornado diagram: the result with each input at its low and high level.

    Parameters
    ----------
    tor : xarray.Dataset
        Output of :func:`som_mc.sensitivity.tornado`.
    actor : str
        Actor or ``"total"``.
    top : int or None
        Show the inputs with the largest swing only.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One pair of bars (low, high) per input, largest swing at the top, each labelled
        with the input's low/high value; the base result as a vertical line.
    """
    sel = tor.sel(actor=actor)
    order = np.argsort(-sel.swing.values, kind="stable")
    if top is not None:
        order = order[:top]
    ax = new_axes(ax, (9.0, 0.45 * len(order) + 1.8))
    base = float(sel.base)
    y = np.arange(len(order))[::-1]
    result = sel.result.values[order]  # (inputs shown, low/high)
    # the low bars, then the high ones (over the low bar of the same input where they
    # overlap, as when drawn input by input): two bar containers instead of one per bar
    for side in (0, 1):
        ax.barh(y, result[:, side] - base, left=base, color=OKABE_ITO[side], height=0.7)
    labels = []
    for yi, i, (low, high) in zip(y, order, result, strict=True):
        for value, text_v in ((low, tor.value_low.values[i]), (high, tor.value_high.values[i])):
            ax.annotate(
                _value_text(text_v),
                (value, yi),
                xytext=(4 if value >= base else -4, 0),
                textcoords="offset points",
                ha="left" if value >= base else "right",
                va="center",
                fontsize=8,
            )
        labels.append(str(tor.label.values[i]))
    ax.set_yticks(y, labels)
    ax.axvline(base, color="black", linewidth=1)
    money_axis(ax.xaxis)
    ax.set_xlabel("Akkumuleret nettoresultat over perioden (kr.)")
    if tor.attrs.get("levels"):
        lo, hi = (round(100 * p) for p in tor.attrs["levels"])
        legend = (f"Input på P{lo}", f"Input på P{hi}")
    else:
        pct = round(100 * float(tor.attrs.get("relative", 0.0)))
        legend = (f"Input −{pct} %", f"Input +{pct} %")
    ax.legend(
        handles=[Patch(color=OKABE_ITO[0]), Patch(color=OKABE_ITO[1])],
        labels=list(legend),
        loc="lower right",
        fontsize=8,
    )
    ax.margins(x=0.15)
    ax.set_title(
        f"Tornado, {actor_title(actor)} — basisresultat {format_number(base)} kr.", fontsize=10
    )
    return ax


def plot_spider(sp: xr.Dataset, *, actor: str = TOTAL, ax: Axes | None = None) -> Axes:
    """Spider plot: the result as each input moves through its percentiles.

    Parameters
    ----------
    sp : xarray.Dataset
        Output of :func:`som_mc.sensitivity.spider`.
    actor : str
        Actor or ``"total"``.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One line per input.
    """
    ax = new_axes(ax)
    sel = sp.sel(actor=actor)
    pct = 100 * sp.percentile.values
    for i, label in enumerate(sp.label.values):
        ax.plot(
            pct,
            sel.result.values[i],
            marker="o",
            markersize=3,
            color=OKABE_ITO[i % len(OKABE_ITO)],
            linestyle=("-", "--", ":")[(i // len(OKABE_ITO)) % 3],
            label=str(label),
        )
    ax.axhline(0, color="black", linewidth=0.8)
    money_axis(ax.yaxis)
    _decimal_axis(ax.xaxis, 0)
    ax.set_xlabel("Inputtets percentil (%)")
    ax.set_ylabel("Akkumuleret nettoresultat (kr.)")
    ax.set_title(f"Spiderplot, {actor_title(actor)}", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_sobol(
    sob: xr.Dataset, *, actor: str = TOTAL, top: int | None = 15, ax: Axes | None = None
) -> Axes:
    """Sobol indices (first-order and total) with their confidence intervals.

    Parameters
    ----------
    sob : xarray.Dataset
        Output of :func:`som_mc.sensitivity.sobol_analysis`.
    actor : str
        Actor or ``"total"``.
    top : int or None
        Show the inputs with the largest total index only (all of them in the tables).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Two bars per input (S1, ST), sorted by ST, with error bars.
    """
    sel = sob.sel(actor=actor)
    order = np.argsort(-np.nan_to_num(sel.ST.values), kind="stable")
    if top is not None:
        order = order[:top]
    ax = new_axes(ax, (9.0, 0.45 * len(order) + 1.8))
    y = np.arange(len(order))[::-1]
    h = 0.38
    ax.barh(
        y + h / 2,
        sel.S1.values[order],
        height=h,
        xerr=sel.S1_conf.values[order],
        color=OKABE_ITO[0],
        label="Førsteordensindeks (S1)",
    )
    ax.barh(
        y - h / 2,
        sel.ST.values[order],
        height=h,
        xerr=sel.ST_conf.values[order],
        color=OKABE_ITO[1],
        label="Totalindeks (ST)",
    )
    ax.set_yticks(y, [str(sob.label.values[i]) for i in order])
    _decimal_axis(ax.xaxis)
    ax.set_xlabel("Andel af variansen")
    ax.set_xlim(left=min(0.0, float(np.nanmin(sel.S1.values)) - 0.05))
    level = round(100 * float(sob.attrs.get("conf_level", 0.95)))
    ax.set_title(f"Sobol-indeks, {actor_title(actor)} ({level} %-konfidensinterval)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_sobol_by_year(
    sob: xr.Dataset, *, actor: str = TOTAL, top: int = 6, ax: Axes | None = None
) -> Axes:
    """Which input matters when: first-order Sobol indices of the cumulative result per year.

    Parameters
    ----------
    sob : xarray.Dataset
        Output of :func:`som_mc.sensitivity.sobol_analysis` (with ``S1_by_year``).
    actor : str
        Actor or ``"total"``.
    top : int
        Inputs shown by name (largest total index over the horizon); the rest are summed
        as "Øvrige input"; the top band is the share due to interactions (1 − ΣS1).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        A stacked-area figure over the years (years whose result does not vary are left
        out).
    """
    sel = sob.sel(actor=actor)
    s1 = np.clip(np.nan_to_num(sel.S1_by_year.transpose("input", "year").values), 0.0, None)
    years = sob.year.values
    keep = ~np.all(np.isnan(sel.S1_by_year.transpose("input", "year").values), axis=0)
    order = np.argsort(-np.nan_to_num(sel.ST.values), kind="stable")[:top]
    rest = np.setdiff1d(np.arange(s1.shape[0]), order)
    layers = [s1[i] for i in order]
    labels = [str(sob.label.values[i]) for i in order]
    if rest.size:
        layers.append(s1[rest].sum(axis=0))
        labels.append("Øvrige input")
    total = np.sum(layers, axis=0)
    layers.append(np.clip(1.0 - total, 0.0, None))
    labels.append("Samspil (1 − ΣS1)")
    ax = new_axes(ax, (11.0, 5.0))
    colors = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(layers) - 2)]
    colors += ["#BBBBBB"] * (1 if rest.size else 0) + ["#EEEEEE"]
    ax.stackplot(
        years[keep], *[layer[keep] for layer in layers], labels=labels, colors=colors[: len(layers)]
    )
    if keep.sum() > 1:
        ax.set_xlim(years[keep].min(), years[keep].max())
    ax.set_ylim(0.0, max(1.0, float(np.max(np.sum(layers, axis=0)[keep], initial=1.0))))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))
    _percent_axis(ax.yaxis)
    ax.set_xlabel("År (akkumuleret nettoresultat til og med året)")
    ax.set_ylabel("Andel af variansen (førsteordensindeks)")
    ax.set_title(f"Sobol-indeks over tid, {actor_title(actor)}", fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return ax


def plot_scenarios(sc: xr.Dataset, *, actor: str = TOTAL, ax: Axes | None = None) -> Axes:
    """Følsomhedsscenarier: mean and 90 % interval per scenario, deterministic result marked.

    Parameters
    ----------
    sc : xarray.Dataset
        Output of :func:`som_mc.sensitivity.scenario_analysis`.
    actor : str
        Actor or ``"total"``.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One row per scenario (the base at the top): a bar to the mean, a line for the 90 %
        interval and a diamond at the deterministic result.
    """
    sel = sc.sel(actor=actor)
    n = sc.sizes["scenario"]
    ax = new_axes(ax, (9.0, 0.55 * n + 1.8))
    y = np.arange(n)[::-1]
    mean = sel["mean"].values
    ax.barh(y, mean, height=0.6, color=[OKABE_ITO[0]] + [OKABE_ITO[1]] * (n - 1), alpha=0.8)
    ax.hlines(y, sel.p05.values, sel.p95.values, color="black", linewidth=1.5)
    ax.plot(sel.deterministic.values, y, "D", color="black", markersize=5)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [str(v) for v in sc.scenario.values])
    money_axis(ax.xaxis)
    ax.set_xlabel("Akkumuleret nettoresultat over perioden (kr.)")
    ax.legend(
        handles=[
            Patch(color=OKABE_ITO[0], alpha=0.8),
            Patch(color=OKABE_ITO[1], alpha=0.8),
            ax.lines[0],
        ],
        labels=["Basis, middelværdi", "Scenarie, middelværdi", "Deterministisk resultat"],
        fontsize=8,
        loc="best",
    )
    ax.set_title(f"Følsomhedsscenarier, {actor_title(actor)} (linje: 90 %-interval)", fontsize=10)
    return ax
