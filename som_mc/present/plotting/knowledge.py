"""Plots of knowledge: elicited and updated distributions, value of information (Danish)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from som_mc._io import atomic_write
from som_mc.distributions import Distribution
from som_mc.present.format import format_kr, format_number
from som_mc.present.plotting._style import OKABE_ITO, actor_title, money_axis, new_axes

__all__ = [
    "evppi_figure",
    "plot_elicitation",
    "plot_evppi",
    "plot_prior_posterior",
    "save_figure",
]


def _comma_formatter(decimals: int | None = None) -> FuncFormatter:
    def fmt(x: float, _pos: int) -> str:
        if decimals is not None:
            return format_number(x, decimals)
        d = 0 if abs(x) >= 100 or x == int(x) else 2 if abs(x) >= 1 else 3
        text = format_number(x, d)
        return text.rstrip("0").rstrip(",") if "," in text else text

    return FuncFormatter(fmt)


def _density(dist: Distribution, x: np.ndarray) -> np.ndarray:
    pdf = getattr(dist, "pdf", None)
    if pdf is not None:
        return np.asarray(pdf(x), dtype=np.float64)
    return np.asarray(dist._scipy().pdf(x), dtype=np.float64)


def _range(dists: list[Distribution]) -> tuple[float, float]:
    lo = min(float(d.ppf(0.001)) for d in dists)
    hi = max(float(d.ppf(0.999)) for d in dists)
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def plot_prior_posterior(
    prior: Distribution,
    posterior: Distribution,
    *,
    observed: float | None = None,
    label: str = "Succesrate",
    ax: Axes | None = None,
) -> Axes:
    """Prior and posterior density of one input, with the observed share marked.

    Parameters
    ----------
    prior, posterior : Distribution
        Continuous distributions (before and after the evidence).
    observed : float, optional
        The observed share (e.g. 14 / 45), drawn as a dashed line.
    label : str
        The input's Danish label (x axis).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax, (8.0, 4.5))
    lo, hi = _range([prior, posterior])
    s_lo, s_hi = prior.support()
    x = np.linspace(max(lo, s_lo), min(hi, s_hi), 600)
    ax.fill_between(x, _density(prior, x), color=OKABE_ITO[5], alpha=0.35, label="Prior (før)")
    ax.plot(x, _density(posterior, x), color=OKABE_ITO[0], lw=2, label="Posterior (efter)")
    if observed is not None:
        ax.axvline(observed, color=OKABE_ITO[3], ls="--", lw=1.2, label="Observeret andel")
    ax.set_xlabel(label)
    ax.set_ylabel("Tæthed")
    ax.xaxis.set_major_formatter(_comma_formatter())
    ax.yaxis.set_major_formatter(_comma_formatter())
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    ax.set_title(f"{label}: før og efter opfølgningen")
    return ax


def plot_elicitation(
    dist: Distribution,
    judged: Mapping[float, float],
    *,
    label: str = "Værdi",
    ax: Axes | None = None,
) -> Axes:
    """Density of a fitted distribution with the expert's judged quantiles marked.

    Parameters
    ----------
    dist : Distribution
        The fitted distribution.
    judged : mapping of float to float
        Probability -> the judged value (e.g. ``{0.1: 0.2, 0.5: 0.3, 0.9: 0.42}``).
    label : str
        X axis label.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax, (8.0, 4.5))
    lo, hi = _range([dist])
    s_lo, s_hi = dist.support()
    x = np.linspace(max(lo, s_lo), min(hi, s_hi), 600)
    ax.plot(x, _density(dist, x), color=OKABE_ITO[0], lw=2, label="Tilpasset fordeling")
    for i, (p, v) in enumerate(sorted(judged.items())):
        label_i = "Vurderede kvantiler" if i == 0 else None
        ax.axvline(v, color=OKABE_ITO[3], ls="--", lw=1, label=label_i)
        ax.annotate(
            f"P{format_number(100 * p, 1).removesuffix(',0')}",
            (v, 0),
            textcoords="offset points",
            xytext=(3, 4),
        )
    ax.set_xlabel(label)
    ax.set_ylabel("Tæthed")
    ax.xaxis.set_major_formatter(_comma_formatter())
    ax.yaxis.set_major_formatter(_comma_formatter())
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    return ax


def plot_evppi(
    result: Any, *, actor: str = "total", top: int | None = 12, ax: Axes | None = None
) -> Axes:
    """EVPPI bars per input and group ("hvad er mest værd at vide mere om?").

    Parameters
    ----------
    result : som_mc.sensitivity.voi.VoiResult
        Output of :func:`~som_mc.sensitivity.voi.voi_analysis`.
    actor : str
        Aktør or ``"total"``.
    top : int or None
        Show the largest only.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars in kroner with ± 2 standard errors, EVPI as a vertical line.
    """
    voi = result.actors[actor]
    rows = [r for r in voi.ranking() if r[1] >= 0.5]  # inputs worth under 1 kr. left out
    if top is not None:
        rows = rows[:top]
    ax = new_axes(ax, (10.0, 0.5 * max(len(rows), 1) + 2.0))
    y = np.arange(len(rows))[::-1]
    values = [r[1] for r in rows]
    errors = [2 * r[2] for r in rows]
    colors = [OKABE_ITO[1] if r[0] in voi.groups else OKABE_ITO[0] for r in rows]
    ax.barh(y, values, xerr=errors, color=colors, height=0.7, error_kw={"lw": 1})
    ax.axvline(voi.evpi, color=OKABE_ITO[3], ls="--", lw=1.2, label=f"EVPI {format_kr(voi.evpi)}")
    if not rows:
        ax.text(
            0.5,
            0.5,
            "Intet input er over 1 kr. værd at vide mere om",
            ha="center",
            transform=ax.transAxes,
        )
    ax.set_yticks(y, [_short(str(result.labels.get(r[0], r[0]))) for r in rows])
    money_axis(ax.xaxis)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.set_xlim(
        left=0,
        right=max([voi.evpi, *(v + e for v, e in zip(values, errors, strict=True))]) * 1.05 or 1.0,
    )
    ax.set_xlabel("Forventet værdi af perfekt viden (kr.; ± 2 standardfejl)")
    ax.set_title(f"Hvad er mest værd at vide mere om? ({actor_title(actor)})")
    ax.legend(frameon=False, loc="lower right")
    return ax


def _short(label: str, width: int = 45) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def evppi_figure(result: Any, *, actor: str = "total") -> Figure:
    """Return a figure with :func:`plot_evppi` (not attached to pyplot)."""
    ax = plot_evppi(result, actor=actor)
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    return fig


def save_figure(fig: Figure, path: str | Path, *, overwrite: bool = False) -> Path:
    """Save `fig` atomically (format from the suffix; refuses to overwrite unless told)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    atomic_write(path, partial(_savefig, fig, fmt), overwrite=overwrite)
    return path


def _savefig(fig: Figure, fmt: str, path: Path) -> None:
    fig.savefig(path, dpi=150, format=fmt)
