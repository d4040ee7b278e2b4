"""Text table and JSON of a comparison of investeringscases (:func:`som_mc.compare`)."""

from __future__ import annotations

import math
from typing import Any

import xarray as xr

from som_mc.model import NOT_WITHIN_HORIZON, TOTAL
from som_mc.present.format import format_number, format_pct
from som_mc.present.tables import render_table
from som_mc.stats.summary import quantile_index

__all__ = ["comparison_json", "comparison_table"]


def _actor_label(actor: str) -> str:
    return "I alt" if actor == TOTAL else actor


def _year_text(year: int) -> str:
    return "ikke inden for horisonten" if year == NOT_WITHIN_HORIZON else str(year)


def _years_diff_text(value: float) -> str:
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    return f"{int(value):+d} år" if value else "0 år"


def comparison_table(cmp: xr.Dataset) -> str:
    """Readable Danish table of a comparison (kr., Danish separators).

    Parameters
    ----------
    cmp : xarray.Dataset
        Output of :func:`compare`.

    Returns
    -------
    str
        A title with the run settings, the cases, and per aktør (I alt first) one row per
        case: mean, P5 and P95 of the cumulative nettoresultat over the horizon; the paired
        difference from the baseline with its MCSE, 90 % interval and P(difference > 0);
        P(bedst); expected rank; median break-even year and the median paired difference
        in break-even year.
    """
    a = cmp.attrs
    labels = [str(c) for c in cmp.case.values]
    base = a["baseline"]
    lo, hi = quantile_index(cmp, 0.05), quantile_index(cmp, 0.95)
    crn = "fælles tilfældige tal" if a["common_random_numbers"] else "uafhængige træk"
    years = cmp.year.values
    out = [
        f"Sammenligning af {len(labels)} investeringscases — Monte Carlo, "
        f"{format_number(a['draws'])} træk ({a['design']}, seed {a['seed']}), {crn}, "
        f"kr. i {a['price_year']}-priser",
        f"Akkumuleret nettoresultat over perioden {years[0]}–{years[-1]}; forskelle er "
        f"parvise (case − {base} i samme træk).",
        "",
    ]
    for i, label in enumerate(labels):
        first, last = int(cmp.first_year.values[i]), int(cmp.last_year.values[i])
        what = "basis" if i == 0 else f"{int(cmp.shared_inputs.values[i])} fælles med basis"
        out.append(
            f"  {label}: {cmp.case_name.values[i]} ({first}–{last}; "
            f"{int(cmp.uncertain_inputs.values[i])} usikre input, {what})"
        )
    if a["align"] == "union":
        out.append("  Justeret til foreningsmængden af år og aktører (manglende tæller som 0).")
    if a.get("shared"):
        out.append(f"  Fælles strømme: {a['shared']}")
    header = [
        "Case",
        "Middel",
        "P5",
        "P95",
        "Forskel",
        "± MCSE",
        "90 %-interval",
        "P(forskel > 0)",
        "P(bedst)",
        "Forv. rang",
        "Tilbagebetalt (median)",
        "Forskel i år",
    ]
    infinite = False
    actors = [TOTAL, *(str(x) for x in cmp.actor.values if x != TOTAL)]
    for actor in actors:
        sel = cmp.sel(actor=actor)
        rows = []
        for i, label in enumerate(labels):
            row = [
                label,
                format_number(sel.horizon_mean.values[i]),
                format_number(sel.horizon_quantile.values[lo, i]),
                format_number(sel.horizon_quantile.values[hi, i]),
            ]
            if i == 0:
                row += ["basis", "", "", ""]
            else:
                row += [
                    format_number(sel.difference_mean.values[i]),
                    format_number(sel.difference_mcse.values[i]),
                    f"{format_number(sel.difference_quantile.values[lo, i])} – "
                    f"{format_number(sel.difference_quantile.values[hi, i])}",
                    format_pct(sel.difference_p_positive.values[i]),
                ]
            be_diff = float(sel.break_even_difference_median.values[i])
            infinite = infinite or (i > 0 and math.isinf(be_diff))
            row += [
                format_pct(sel.p_best.values[i]),
                format_number(sel.expected_rank.values[i], 2),
                _year_text(int(sel.break_even_median.values[i])),
                "" if i == 0 else _years_diff_text(be_diff),
            ]
            rows.append(row)
        out += ["", _actor_label(actor), render_table(header, rows)]
    out += [
        "",
        "Middel, P5, P95: akkumuleret nettoresultat over perioden. Forskel: middel af case − "
        "basis i samme træk, ± MCSE og 90 %-interval (P5–P95).",
        "P(bedst): sandsynligheden for at have det højeste nettoresultat (uafgjort deles "
        "ligeligt). Forv. rang: 1 = bedst. Tilbagebetalt: første år med akkumuleret "
        "nettoresultat ≥ 0; forskel i år er medianen af den parvise forskel.",
    ]
    if infinite:
        out.append("±∞: i mediantrækket er kun den ene case tilbagebetalt inden for horisonten.")
    return "\n".join(out)


def _none_if_missing(year: int) -> int | None:
    return None if year == NOT_WITHIN_HORIZON else int(year)


def comparison_json(cmp: xr.Dataset) -> dict[str, Any]:
    """Machine-readable comparison (plain JSON types).

    Parameters
    ----------
    cmp : xarray.Dataset
        Output of :func:`compare`.

    Returns
    -------
    dict
        Settings, the cases, and ``results[actor][case]`` with the case's mean, MCSE, sd,
        quantiles, P(> 0), P(bedst), expected rank, break-even and ``difference`` (from the
        baseline; its ``break_even.median_years`` is ``null`` when only one of the two breaks
        even in the median draw).
    """
    a = cmp.attrs
    labels = [str(c) for c in cmp.case.values]
    q_names = [f"P{100 * p:g}" for p in cmp["quantile"].values]

    def quantiles(da: xr.DataArray) -> dict[str, float]:
        return {name: float(v) for name, v in zip(q_names, da.values, strict=True)}

    results: dict[str, dict[str, Any]] = {}
    for actor in cmp.actor.values:
        per_case: dict[str, Any] = {}
        for label in labels:
            s = cmp.sel(actor=actor, case=label)
            be_diff = float(s.break_even_difference_median)
            per_case[label] = {
                "mean": float(s.horizon_mean),
                "mcse": float(s.horizon_mcse),
                "sd": float(s.horizon_sd),
                "quantiles": quantiles(s.horizon_quantile),
                "p_positive": float(s.horizon_p_positive),
                "p_best": float(s.p_best),
                "p_best_se": float(s.p_best_se),
                "expected_rank": float(s.expected_rank),
                "expected_rank_se": float(s.expected_rank_se),
                "break_even": {
                    "median_year": _none_if_missing(int(s.break_even_median)),
                    "p_never": float(s.break_even_never),
                },
                "difference": {
                    "mean": float(s.difference_mean),
                    "mcse": float(s.difference_mcse),
                    "sd": float(s.difference_sd),
                    "quantiles": quantiles(s.difference_quantile),
                    "p_positive": float(s.difference_p_positive),
                    "p_positive_se": float(s.difference_p_positive_se),
                    "break_even": {
                        "median_years": None if math.isinf(be_diff) else int(be_diff),
                        "p_earlier": float(s.break_even_p_earlier),
                        "p_same": float(s.break_even_p_same),
                        "p_later": float(s.break_even_p_later),
                    },
                },
            }
        results[str(actor)] = per_case
    return {
        "mode": "compare",
        "baseline": a["baseline"],
        "seed": int(a["seed"]),
        "design": a["design"],
        "draws": int(a["draws"]),
        "common_random_numbers": bool(a["common_random_numbers"]),
        "align": None if a["align"] == "none" else a["align"],
        "shared": a["shared"] or None,
        "price_year": int(a["price_year"]),
        "versions": {
            "som_mc": a["som_mc_version"],
            "numpy": a["numpy_version"],
            "numba": a["numba_version"],
        },
        "years": [int(y) for y in cmp.year.values],
        "actors": [str(x) for x in cmp.actor.values],
        "cases": [
            {
                "label": label,
                "name": str(cmp.case_name.values[i]),
                "case_sha256": str(cmp.case_sha256.values[i]),
                "first_year": int(cmp.first_year.values[i]),
                "last_year": int(cmp.last_year.values[i]),
                "uncertain_inputs": int(cmp.uncertain_inputs.values[i]),
                "shared_inputs": int(cmp.shared_inputs.values[i]),
            }
            for i, label in enumerate(labels)
        ],
        "results": results,
    }
