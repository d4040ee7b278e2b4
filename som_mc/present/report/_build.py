"""Gather everything a report shows: summary, tornado, headline, tables and figures."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from som_mc._io import atomic_write, check_writable
from som_mc.case import Case, InputSpec, case_hash, case_inputs
from som_mc.catalog import KIND_LABELS
from som_mc.errors import OutputError, SomMcError
from som_mc.model import NOT_WITHIN_HORIZON, TOTAL
from som_mc.present.plotting.results import (
    fan_figure,
    plot_break_even,
    plot_horizon_distribution,
    plot_yearly,
)
from som_mc.present.plotting.sensitivity import plot_tornado
from som_mc.present.report._text import Lang, Numbers, text
from som_mc.sensitivity import tornado
from som_mc.stats.summary import quantile_index, summarize

__all__ = [
    "REPORT_QUANTILES",
    "TORNADO_TOP",
    "ReportData",
    "figure_png_base64",
    "input_source",
    "prepare_report",
    "report_context",
    "report_figures",
    "save_figures",
]

#: Quantiles of a report's summary (P25/P75 for the 50 % band of the fan chart).
REPORT_QUANTILES: tuple[float, ...] = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)

#: Inputs shown in the report's tornado.
TORNADO_TOP = 12


@dataclass(frozen=True)
class ReportData:
    """The inputs of a report.

    Attributes
    ----------
    case : Case
        The case (assumptions appendix, sources).
    results : xarray.Dataset
        Every draw (:func:`som_mc.simulate` or :func:`som_mc.results.load_results`).
    summary : xarray.Dataset
        ``summarize(results, quantiles=REPORT_QUANTILES)``.
    tornado : xarray.Dataset or None
        :func:`som_mc.sensitivity.tornado` of the case; None when no input is uncertain.
    case_file : str or None
        Path of the case file, for the reproduce command.
    """

    case: Case
    results: xr.Dataset
    summary: xr.Dataset
    tornado: xr.Dataset | None
    case_file: str | None = None


def prepare_report(case: Case, results: xr.Dataset, *, case_file: str | None = None) -> ReportData:
    """Summarise `results` and run the tornado analysis of `case` for a report.

    Parameters
    ----------
    case : Case
        The case the results were simulated from.
    results : xarray.Dataset
        Output of :func:`som_mc.simulate` or :func:`som_mc.results.load_results`.
    case_file : str, optional
        Path of the case file (shown in the reproduce command).

    Returns
    -------
    ReportData

    Raises
    ------
    SomMcError
        When the results were simulated from a different case (SHA-256 differs).
    """
    expected = case_hash(case)
    got = results.attrs.get("case_sha256")
    if got is not None and got != expected:
        raise SomMcError(
            f"the results were simulated from another case (case SHA-256 {str(got)[:12]}…, "
            f"this case {expected[:12]}…); pass the case file the results were made from"
        )
    summary = summarize(results, quantiles=REPORT_QUANTILES)
    tor = tornado(case) if any(s.uncertain for s in case_inputs(case)) else None
    return ReportData(case, results, summary, tor, case_file)


def input_source(case: Case, spec: InputSpec) -> str:
    """Source text of an input: its cost line's or consequence's, else the case's."""
    parts = spec.name.split(".")
    if parts[0] == "costs":
        for cost in case.costs:
            if spec.name.startswith(f"costs.{cost.name}."):
                return cost.source
    if parts[0] == "consequences":
        for cons in case.consequences:
            if spec.name.startswith(f"consequences.{cons.name}."):
                return cons.source
    return case.source


def _dist_text(toml: Mapping[str, Any], num: Numbers) -> str:
    name = str(toml.get("dist", "?"))
    params = []
    for key, value in toml.items():
        if key == "dist":
            continue
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            shown = "; ".join(_dist_text(v, num) for v in value[:6])  # mixture components
            more = f"; … ({len(value)})" if len(value) > 6 else ""
            params.append(f"{key} = [{shown}{more}]")
        elif isinstance(value, list):
            shown = "; ".join(num.value(float(v)) for v in value[:6])
            more = f"; … ({len(value)})" if len(value) > 6 else ""
            params.append(f"{key} = [{shown}{more}]")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            params.append(f"{key} = {num.value(float(value))}")
        else:
            params.append(f"{key} = {value}")
    if name == "fixed":
        return num.value(float(toml["value"]))
    return f"{name}({', '.join(params)})"


def _year_text(year: int, t: Mapping[str, str]) -> str:
    return t["never"] if int(year) == NOT_WITHIN_HORIZON else str(int(year))


def _q(da: xr.DataArray, q: float) -> xr.DataArray:
    return da.isel(quantile=quantile_index(da, q))


def report_context(data: ReportData, *, lang: Lang = "da") -> dict[str, Any]:
    """Everything the report template shows, as plain numbers and strings (not escaped).

    Parameters
    ----------
    data : ReportData
        Output of :func:`prepare_report`.
    lang : {"da", "en"}
        Language.

    Returns
    -------
    dict
        Keys ``t`` (wording), ``case``, ``headline`` (``mean``, ``p5``, ``p95``,
        ``p_positive``, ``break_even`` as numbers and ``*_text`` formatted), ``actors``
        (rows of the per-aktør table), ``tornado`` (rows or None), ``inputs`` (the
        appendix, every input of the case), ``method``.
    """
    t = text(lang)
    num = Numbers(lang)
    s = data.summary
    case = data.case
    attrs = s.attrs
    tot = s.sel(actor=TOTAL)
    years = [int(y) for y in s.year.values]
    headline: dict[str, Any] = {
        "mean": float(tot.horizon_mean),
        "p5": float(_q(tot.horizon_quantile, 0.05)),
        "p95": float(_q(tot.horizon_quantile, 0.95)),
        "p_positive": float(tot.horizon_p_positive),
        "break_even": int(tot.break_even_median),
    }
    headline |= {
        "mean_text": num.kr(headline["mean"]),
        "p5_text": num.kr(headline["p5"]),
        "p95_text": num.kr(headline["p95"]),
        "p_positive_text": num.pct(headline["p_positive"]),
        "break_even_text": _year_text(headline["break_even"], t),
        "expected_label": t["expected"].format(first=years[0], last=years[-1]),
    }
    actors = []
    for actor in s.actor.values:
        a = s.sel(actor=actor)
        actors.append(
            {
                "actor": t["total"] if actor == TOTAL else str(actor),
                "is_total": actor == TOTAL,
                "mean": num.kr(float(a.horizon_mean)),
                "mcse": num.kr(float(a.horizon_mcse)),
                "p5": num.kr(float(_q(a.horizon_quantile, 0.05))),
                "p50": num.kr(float(_q(a.horizon_quantile, 0.5))),
                "p95": num.kr(float(_q(a.horizon_quantile, 0.95))),
                "p_positive": num.pct(float(a.horizon_p_positive)),
                "per_participant": num.kr(float(a.per_participant_mean)),
                "break_even": _year_text(int(a.break_even_median), t),
            }
        )
    tor_ctx = None
    if data.tornado is not None:
        tor = data.tornado.sel(actor=TOTAL)
        order = np.argsort(-tor.swing.values, kind="stable")[:TORNADO_TOP]
        lo, hi = (f"P{round(100 * p)}" for p in data.tornado.attrs.get("levels", (0.1, 0.9)))
        tor_ctx = {
            "intro": t["sens_intro"].format(
                lo=lo, hi=hi, base=num.kr(float(tor.base)), n=len(order)
            ),
            "rows": [
                {
                    "label": str(data.tornado.label.values[i]),
                    "low": num.kr(float(tor.result.values[i][0])),
                    "high": num.kr(float(tor.result.values[i][1])),
                    "swing": num.kr(float(tor.swing.values[i])),
                }
                for i in order
            ],
        }
    inputs = []
    for spec in case_inputs(case):
        inputs.append(
            {
                "label": spec.label,
                "name": spec.name,
                "key": spec.key,
                "distribution": _dist_text(spec.dist.to_toml(), num),
                "base": num.value(float(spec.dist.mean())),
                "source": input_source(case, spec),
            }
        )
    catalog = [
        {
            "entry": use.entry,
            "kind": KIND_LABELS[use.kind] if lang == "da" else use.kind.replace("_", " "),
            "used_by": use.used_by,
            "price_year": "–" if use.price_year is None else str(use.price_year),
            "price_factor": "–" if use.price_factor is None else num.value(use.price_factor),
            "source": use.source,
        }
        for use in case.catalog_uses
    ]
    draws = int(attrs.get("n_draws", attrs.get("draws", 0)))
    seed = attrs.get("seed")
    design = str(attrs.get("design", "random"))
    case_file = data.case_file or "CASE.toml"
    command = f"som-mc report {case_file} --draws {draws} --seed {seed} --design {design}"
    if lang != "da":
        command += f" --lang {lang}"
    method = {
        "draws": num.number(draws),
        "seed": str(seed),
        "design": design,
        "mcse_total": num.kr(float(tot.horizon_mcse)),
        "quantiles": ", ".join(f"P{100 * q:g}" for q in s["quantile"].values)
        + f" ({t[str(attrs.get('quantile_method', 'exact'))]})",
        "case_hash": str(attrs.get("case_sha256", "–")),
        "versions": ", ".join(
            f"{name} {attrs[key]}"
            for name, key in (
                ("som_mc", "som_mc_version"),
                ("numpy", "numpy_version"),
                ("numba", "numba_version"),
                ("xarray", "xarray_version"),
            )
            if key in attrs
        ),
        "command": command,
    }
    return {
        "lang": lang,
        "t": t,
        "case": {
            "name": case.name,
            "description": case.description.strip(),
            "target_group": case.target_group,
            "source": case.source,
            "prices": t["prices"].format(year=case.price_year),
        },
        "headline": headline,
        "actors": actors,
        "tornado": tor_ctx,
        "inputs": inputs,
        "catalog": catalog,
        "method": method,
    }


def report_figures(data: ReportData, *, lang: Lang = "da") -> dict[str, Figure]:
    """Draw the report's figures: fan, yearly, distribution, break_even and tornado.

    The tornado is left out when the case has no uncertain input.
    """
    figs: dict[str, Figure] = {"fan": fan_figure(data.summary, lang=lang)}
    for name, draw in (
        ("yearly", lambda: plot_yearly(data.summary, lang=lang)),
        ("distribution", lambda: plot_horizon_distribution(data.results, lang=lang)),
        ("break_even", lambda: plot_break_even(data.summary, lang=lang)),
    ):
        figs[name] = _figure_of(draw())
    if data.tornado is not None:
        figs["tornado"] = _figure_of(plot_tornado(data.tornado, top=TORNADO_TOP))
    return figs


def _figure_of(ax: Any) -> Figure:
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    return fig


def figure_png_base64(fig: Figure, *, dpi: int = 110) -> str:
    """Render `fig` as PNG and return it base64-encoded (for a ``data:`` URI)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def save_figures(
    figs: Mapping[str, Figure],
    folder: str | Path,
    *,
    formats: tuple[str, ...] = ("png", "svg"),
    overwrite: bool = False,
) -> list[Path]:
    """Write every figure as ``folder/NAME.png`` and ``folder/NAME.svg`` (atomically).

    The folder is created when missing (its parent must exist).

    Raises
    ------
    OutputError
        When the folder cannot be made or a file exists and `overwrite` is false (then
        nothing is written).
    """
    folder = Path(folder)
    if not folder.is_dir():
        if not folder.parent.is_dir() or folder.exists():
            raise OutputError(f"{folder}: not a folder, and its parent folder does not exist")
        try:
            folder.mkdir()
        except OSError as exc:
            raise OutputError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    paths = [folder / f"{name}.{ext}" for name in figs for ext in formats]
    for path in paths:
        check_writable(path, overwrite=overwrite)
    for name, fig in figs.items():
        for ext in formats:
            atomic_write(folder / f"{name}.{ext}", partial(_savefig, fig, ext), overwrite=True)
    return paths


def _savefig(fig: Figure, fmt: str, path: Path) -> None:
    fig.savefig(path, dpi=150, format=fmt)
