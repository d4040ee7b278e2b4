"""Plots of a Monte Carlo result: fan chart, yearly bars, horizon distribution, break-even.

Every function takes the summary (:func:`som_mc.summarize`) or, for the distribution of the
horizon total, the results dataset (:func:`som_mc.simulate`), plus ``ax=None``, and returns
the Axes. Labels are Danish by default (``lang="en"`` for English); money axes use Danish
thousands separators; colours are the Okabe–Ito palette.
"""

from __future__ import annotations

import textwrap
from typing import Literal

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from som_mc.present.format import format_pct
from som_mc.present.plotting._style import OKABE_ITO, money_axis, new_axes
from som_mc.types import TOTAL

__all__ = [
    "Lang",
    "fan_figure",
    "plot_break_even",
    "plot_fan",
    "plot_horizon_distribution",
    "plot_waterfall",
    "plot_yearly",
]

#: Language of labels.
Lang = Literal["da", "en"]

_TEXT: dict[str, dict[str, str]] = {
    "da": {
        "total": "I alt",
        "year": "År",
        "cum": "Akkumuleret nettoresultat (kr.)",
        "yearly": "Nettoresultat pr. år (kr.)",
        "horizon": "Akkumuleret nettoresultat over perioden (kr.)",
        "median": "Median",
        "mean": "Middelværdi",
        "band50": "50 %-interval",
        "band90": "90 %-interval",
        "fan_title": "Akkumuleret nettoresultat: {actor}",
        "yearly_title": "Nettoresultat pr. år og aktør (middelværdi, 90 %-interval)",
        "draws": "Andel af træk",
        "cdf": "Kumuleret sandsynlighed",
        "p_pos": "P(> 0) = {p}",
        "hist_title": "Fordeling af nettoresultatet over perioden: {actor}",
        "be_prob": "Sandsynlighed",
        "be_never": "Ikke inden\nfor perioden",
        "be_title": "Tilbagebetalingsår (første år med akkumuleret resultat ≥ 0): {actor}",
        "be_year": "Tilbagebetalingsår",
        "wf_net": "Nettoresultat",
        "wf_title": "Fra omkostninger til nettoresultat: {actor}",
    },
    "en": {
        "total": "Total",
        "year": "Year",
        "cum": "Cumulative net result (DKK)",
        "yearly": "Net result per year (DKK)",
        "horizon": "Cumulative net result over the horizon (DKK)",
        "median": "Median",
        "mean": "Mean",
        "band50": "50 % interval",
        "band90": "90 % interval",
        "fan_title": "Cumulative net result: {actor}",
        "yearly_title": "Net result per year and actor (mean, 90 % interval)",
        "draws": "Share of draws",
        "cdf": "Cumulative probability",
        "p_pos": "P(> 0) = {p}",
        "hist_title": "Distribution of the net result over the horizon: {actor}",
        "be_prob": "Probability",
        "be_never": "Not within\nthe horizon",
        "be_title": "Payback year (first year with cumulative result ≥ 0): {actor}",
        "be_year": "Payback year",
        "wf_net": "Net result",
        "wf_title": "From costs to net result: {actor}",
    },
}


def _t(lang: Lang, key: str) -> str:
    try:
        return _TEXT[lang][key]
    except KeyError:
        raise ValueError(f"lang must be 'da' or 'en'; received {lang!r}") from None


def _actor_name(actor: str, lang: Lang) -> str:
    return _t(lang, "total") if actor == TOTAL else actor


def _quantile(da: xr.DataArray, q: float) -> xr.DataArray:
    qs = da["quantile"].values
    i = np.flatnonzero(np.isclose(qs, q))
    if i.size == 0:
        raise ValueError(
            f"the summary has no {100 * q:g} % quantile (has {[float(v) for v in qs]}); "
            "summarize with quantiles including it, e.g. som_mc.present.report.REPORT_QUANTILES"
        )
    return da.isel(quantile=int(i[0]))


def _wrap(label: str, width: int = 34) -> str:
    """Break a long label over lines for a category axis."""
    return "\n".join(textwrap.wrap(label, width)) or label


def _has_quantile(da: xr.DataArray, q: float) -> bool:
    return bool(np.isclose(da["quantile"].values, q).any())


def plot_fan(
    summary: xr.Dataset, *, actor: str = TOTAL, lang: Lang = "da", ax: Axes | None = None
) -> Axes:
    """Fan chart of the cumulative nettoresultat over the years.

    Parameters
    ----------
    summary : xarray.Dataset
        Output of :func:`som_mc.summarize`; needs the 5 %, 50 % and 95 % quantiles, and the
        25 % and 75 % ones for the 50 % band (drawn when present).
    actor : str
        Actor or ``"total"``.
    lang : {"da", "en"}
        Language of the labels.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One filled band per interval (90 %, then 50 %), the median as a line and the zero
        line.
    """
    ax = new_axes(ax)
    cq = summary.cumulative_quantile.sel(actor=actor)
    years = summary.year.values
    ax.fill_between(
        years,
        _quantile(cq, 0.05).values,
        _quantile(cq, 0.95).values,
        color=OKABE_ITO[0],
        alpha=0.2,
        linewidth=0,
        label=_t(lang, "band90"),
    )
    if _has_quantile(cq, 0.25) and _has_quantile(cq, 0.75):
        ax.fill_between(
            years,
            _quantile(cq, 0.25).values,
            _quantile(cq, 0.75).values,
            color=OKABE_ITO[0],
            alpha=0.45,
            linewidth=0,
            label=_t(lang, "band50"),
        )
    ax.plot(
        years, _quantile(cq, 0.5).values, color=OKABE_ITO[0], linewidth=2, label=_t(lang, "median")
    )
    ax.axhline(0, color="black", linewidth=0.8)
    money_axis(ax.yaxis)
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.set_xlabel(_t(lang, "year"))
    ax.set_ylabel(_t(lang, "cum"))
    ax.set_title(_t(lang, "fan_title").format(actor=_actor_name(actor, lang)), fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def fan_figure(summary: xr.Dataset, *, lang: Lang = "da") -> Figure:
    """Fan charts of every actor and the total, side by side (two columns).

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per actor plus one for the total, sharing the y axis scale.
    """
    actors = [str(a) for a in summary.actor.values]
    ncols = 2
    nrows = -(-len(actors) // ncols)
    fig = Figure(figsize=(10.0, 3.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    for ax, actor in zip(axes, actors, strict=False):
        plot_fan(summary, actor=actor, lang=lang, ax=ax)
    for ax in axes[len(actors) :]:
        ax.set_visible(False)
    return fig


def plot_yearly(summary: xr.Dataset, *, lang: Lang = "da", ax: Axes | None = None) -> Axes:
    """Yearly nettoresultat per aktør: grouped bars (mean) with P5–P95 intervals.

    Parameters
    ----------
    summary : xarray.Dataset
        Output of :func:`som_mc.summarize`.
    lang : {"da", "en"}
        Language of the labels.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per actor (the total is left out), one bar per year each, with
        error bars from P5 to P95.
    """
    ax = new_axes(ax, (10.0, 4.5))
    actors = [str(a) for a in summary.actor.values if a != TOTAL]
    years = summary.year.values
    width = 0.8 / len(actors)
    for i, actor in enumerate(actors):
        mean = summary.yearly_mean.sel(actor=actor).values
        yq = summary.yearly_quantile.sel(actor=actor)
        lo, hi = _quantile(yq, 0.05).values, _quantile(yq, 0.95).values
        err = np.vstack([np.maximum(mean - lo, 0), np.maximum(hi - mean, 0)])
        ax.bar(
            years + (i - (len(actors) - 1) / 2) * width,
            mean,
            width=width,
            yerr=err,
            color=OKABE_ITO[i % len(OKABE_ITO)],
            ecolor="#333333",
            capsize=2,
            error_kw={"linewidth": 0.8},
            label=actor,
        )
    ax.axhline(0, color="black", linewidth=0.8)
    money_axis(ax.yaxis)
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlabel(_t(lang, "year"))
    ax.set_ylabel(_t(lang, "yearly"))
    ax.set_title(_t(lang, "yearly_title"), fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_horizon_distribution(
    results: xr.Dataset,
    *,
    actor: str = TOTAL,
    bins: int = 60,
    lang: Lang = "da",
    ax: Axes | None = None,
) -> Axes:
    """Histogram and CDF of the cumulative nettoresultat at the horizon, P(> 0) marked.

    Parameters
    ----------
    results : xarray.Dataset
        Output of :func:`som_mc.simulate` (every draw).
    actor : str
        Actor or ``"total"``.
    bins : int
        Histogram bins.
    lang : {"da", "en"}
        Language of the labels.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        The histogram (bars, share of draws) on `ax`, the empirical CDF as a line on a twin
        axis, a vertical line at 0 and the text ``P(> 0) = …``.
    """
    ax = new_axes(ax, (8.0, 4.5))
    net = results.net_result.sum("year")
    values = net.sum("actor") if actor == TOTAL else net.sel(actor=actor)
    x = np.sort(values.values)
    n = x.size
    ax.hist(
        x, bins=bins, weights=np.full(n, 1.0 / n), color=OKABE_ITO[0], alpha=0.7, edgecolor="none"
    )
    cdf_ax = ax.twinx()
    cdf_ax.plot(x, np.arange(1, n + 1) / n, color=OKABE_ITO[3], linewidth=1.5)
    cdf_ax.set_ylim(0, 1)
    cdf_ax.set_ylabel(_t(lang, "cdf"))
    cdf_ax.yaxis.set_major_formatter(lambda v, _p: format_pct(v))
    ax.yaxis.set_major_formatter(
        lambda v, _p: format_pct(v, 0 if abs(100 * v - round(100 * v)) < 1e-9 else 1)
    )
    p_pos = float((x > 0).mean())
    ax.axvline(0, color="black", linewidth=1.2, linestyle="--")
    ax.text(
        0.02,
        0.95,
        _t(lang, "p_pos").format(p=format_pct(p_pos)),
        transform=ax.transAxes,
        va="top",
        fontsize=10,
        bbox={"facecolor": "white", "edgecolor": "#999999"},
    )
    money_axis(ax.xaxis)
    ax.set_xlabel(_t(lang, "horizon"))
    ax.set_ylabel(_t(lang, "draws"))
    ax.set_title(_t(lang, "hist_title").format(actor=_actor_name(actor, lang)), fontsize=10)
    return ax


def plot_break_even(
    summary: xr.Dataset, *, actor: str = TOTAL, lang: Lang = "da", ax: Axes | None = None
) -> Axes:
    """Distribution of the break-even year, with the share that never breaks even.

    Parameters
    ----------
    summary : xarray.Dataset
        Output of :func:`som_mc.summarize`.
    actor : str
        Actor or ``"total"``.
    lang : {"da", "en"}
        Language of the labels.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per year (probability of first breaking even that year) and one grey bar for
        "not within the horizon"; the bars sum to 1.
    """
    ax = new_axes(ax, (8.0, 4.0))
    cum = summary.break_even_probability.sel(actor=actor).values
    per_year = np.diff(cum, prepend=0.0)
    never = float(summary.break_even_never.sel(actor=actor))
    labels = [str(y) for y in summary.year.values] + [_t(lang, "be_never")]
    pos = np.arange(len(labels))
    colors = [OKABE_ITO[2]] * len(per_year) + ["#999999"]
    ax.bar(pos, [*per_year, never], color=colors)
    ax.set_xticks(pos, labels, fontsize=8)
    ax.set_ylim(0, max(1e-9, float(max(per_year.max(), never))) * 1.15)
    ax.yaxis.set_major_formatter(lambda v, _p: format_pct(v))
    ax.set_xlabel(_t(lang, "be_year"))
    ax.set_ylabel(_t(lang, "be_prob"))
    ax.set_title(_t(lang, "be_title").format(actor=_actor_name(actor, lang)), fontsize=10)
    return ax


def plot_waterfall(
    contributions: xr.Dataset,
    *,
    actor: str = TOTAL,
    lang: Lang = "da",
    discounted: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Waterfall from the cost lines and konsekvenser to the nettoresultat of one aktør.

    Parameters
    ----------
    contributions : xarray.Dataset
        ``contribution(draw, item, actor)`` (and ``contribution_pv``) with coordinates
        ``item_label`` and ``item_kind``, as made by the memo
        (:func:`som_mc.present.report.line_contributions`).
    actor : str
        Actor or ``"total"``.
    lang : {"da", "en"}
        Language of the labels.
    discounted : bool
        Use the discounted contributions.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per item that is not zero for the aktør, from the running total
        before it to the running total after it (means; costs in vermillion, konsekvenser in
        green), each with a P5–P95 error bar of the item's own contribution at its end, and a
        last blue bar from 0 to the mean nettoresultat with its P5–P95 band. Items run from
        top to bottom.
    """
    var = contributions.contribution_pv if discounted else contributions.contribution
    sel = var.sel(actor=actor).transpose("draw", "item").values
    keep = np.flatnonzero(np.abs(sel).max(axis=0) > 0)
    labels = [_wrap(str(contributions.item_label.values[i])) for i in keep]
    kinds = [str(contributions.item_kind.values[i]) for i in keep]
    mean = sel[:, keep].mean(axis=0)
    lo, hi = np.quantile(sel[:, keep], [0.05, 0.95], axis=0) if keep.size else ([], [])
    net = sel.sum(axis=1)
    ax = new_axes(ax, (9.0, 0.42 * (len(keep) + 1) + 1.6))
    y = np.arange(len(keep) + 1)[::-1]
    start = 0.0
    for k in range(len(keep)):
        colour = OKABE_ITO[3] if kinds[k] == "cost" else OKABE_ITO[2]
        ax.barh(y[k], mean[k], left=start, color=colour, height=0.6)
        end = start + mean[k]
        ax.errorbar(
            end,
            y[k],
            xerr=[[max(mean[k] - lo[k], 0.0)], [max(hi[k] - mean[k], 0.0)]],
            color="#333333",
            capsize=3,
            linewidth=0.9,
        )
        start = end
    net_lo, net_hi = np.quantile(net, [0.05, 0.95])
    ax.barh(y[-1], net.mean(), color=OKABE_ITO[0], height=0.6)
    ax.errorbar(
        net.mean(),
        y[-1],
        xerr=[[max(net.mean() - net_lo, 0.0)], [max(net_hi - net.mean(), 0.0)]],
        color="#333333",
        capsize=3,
        linewidth=0.9,
    )
    ax.set_yticks(y, [*labels, _t(lang, "wf_net")], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    money_axis(ax.xaxis)
    ax.set_xlabel(_t(lang, "horizon"))
    ax.set_title(_t(lang, "wf_title").format(actor=_actor_name(actor, lang)), fontsize=10)
    return ax
