"""Plots of følsomhedsanalyser: tornado, spider and Sobol indices (Danish labels)."""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from som_mc.model import TOTAL
from som_mc.present.format import format_number
from som_mc.present.plotting._style import OKABE_ITO, actor_title, money_axis, new_axes

__all__ = ["plot_sobol", "plot_spider", "plot_tornado"]


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
    labels = []
    for yi, i in zip(y, order, strict=True):
        low, high = sel.result.values[i]
        for value, color, text_v in (
            (low, OKABE_ITO[0], tor.value_low.values[i]),
            (high, OKABE_ITO[1], tor.value_high.values[i]),
        ):
            ax.barh(yi, value - base, left=base, color=color, height=0.7)
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
    ax.set_xlabel("Inputtets percentil (%)")
    ax.set_ylabel("Akkumuleret nettoresultat (kr.)")
    ax.set_title(f"Spiderplot, {actor_title(actor)}", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_sobol(sob: xr.Dataset, *, actor: str = TOTAL, ax: Axes | None = None) -> Axes:
    """Sobol indices (first-order and total) with their confidence intervals.

    Parameters
    ----------
    sob : xarray.Dataset
        Output of :func:`som_mc.sensitivity.sobol_analysis`.
    actor : str
        Actor or ``"total"``.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Two bars per input (S1, ST), sorted by ST, with error bars.
    """
    sel = sob.sel(actor=actor)
    order = np.argsort(-np.nan_to_num(sel.ST.values), kind="stable")
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
    ax.set_xlabel("Andel af variansen")
    ax.set_xlim(left=min(0.0, float(np.nanmin(sel.S1.values)) - 0.05))
    level = round(100 * float(sob.attrs.get("conf_level", 0.95)))
    ax.set_title(f"Sobol-indeks, {actor_title(actor)} ({level} %-konfidensinterval)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return ax
