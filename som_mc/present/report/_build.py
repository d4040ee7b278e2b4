"""Gather everything a report shows: summary, tornado, headline, tables and figures."""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from som_mc._io import atomic_write, check_writable
from som_mc.case import Case, case_hash, case_inputs
from som_mc.catalog import KIND_LABELS
from som_mc.errors import OutputError, SomMcError
from som_mc.model import NOT_WITHIN_HORIZON, TOTAL
from som_mc.present.plotting.compare import comparison_figure
from som_mc.present.plotting.knowledge import plot_evppi
from som_mc.present.plotting.results import (
    fan_figure,
    plot_break_even,
    plot_horizon_distribution,
    plot_waterfall,
    plot_yearly,
)
from som_mc.present.plotting.sensitivity import plot_tornado
from som_mc.present.report._compare import comparison_from_results
from som_mc.present.report._data import Alternative, EvidenceInfo, ReportData
from som_mc.present.report._memo import (
    Status,
    actor_breakdown,
    cost_bearer,
    input_provenance,
    input_source,
    line_contributions,
    variance_shares,
)
from som_mc.present.report._sections import (
    actor_label,
    alternatives_section,
    caveats_section,
    conclusion,
    drivers_section,
    results_section,
)
from som_mc.present.report._text import Lang, Numbers, text
from som_mc.run.compare import unique_labels
from som_mc.sensitivity import scenario_analysis, switching_values, tornado
from som_mc.sensitivity.voi import MIN_DRAWS, VoiResult, voi_from_draws
from som_mc.stats.summary import quantile_index, summarize

__all__ = [
    "REPORT_QUANTILES",
    "SCENARIO_DRAWS",
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

#: At most this many draws per scenario in the memo's scenario analysis (speed).
SCENARIO_DRAWS = 4000


def _check_results(case: Case, results: xr.Dataset) -> None:
    expected = case_hash(case)
    got = results.attrs.get("case_sha256")
    if got is not None and got != expected:
        raise SomMcError(
            f"the results were simulated from another case (case SHA-256 {str(got)[:12]}…, "
            f"this case {expected[:12]}…); pass the case file the results were made from"
        )


def _one_case(
    case: Case,
    results: xr.Dataset,
    *,
    case_file: str | None,
    actor: str,
    label: str,
    switching: bool | xr.Dataset | None,
    status_of: Mapping[str, Status] | None,
) -> ReportData:
    _check_results(case, results)
    summary = summarize(results, quantiles=REPORT_QUANTILES)
    uncertain = any(s.uncertain for s in case_inputs(case))
    tor = tornado(case) if uncertain else None
    if isinstance(switching, xr.Dataset):
        sv: xr.Dataset | None = switching
    elif switching and uncertain:
        sv = switching_values(case, actors=[actor, TOTAL])
    else:
        sv = None
    return ReportData(
        case=case,
        results=results,
        summary=summary,
        tornado=tor,
        case_file=case_file,
        actor=actor,
        label=label,
        breakdown=actor_breakdown(results),
        contributions=line_contributions(case, results),
        provenance=tuple(input_provenance(case, status_of=status_of)),
        variance=variance_shares(results),
        switching=sv,
    )


def prepare_report(
    case: Case,
    results: xr.Dataset,
    *,
    case_file: str | None = None,
    actor: str | None = None,
    alternatives: Sequence[Alternative] = (),
    switching: bool | xr.Dataset = True,
    provenance: Mapping[str, Status] | None = None,
    scenarios: bool | xr.Dataset = True,
    voi: bool | VoiResult = True,
    evidence: EvidenceInfo | None = None,
) -> ReportData:
    """Summarise `results` and gather everything the memo shows.

    Parameters
    ----------
    case : Case
        The case the results were simulated from (the basis of a memo of alternatives).
    results : xarray.Dataset
        Output of :func:`som_mc.simulate` or :func:`som_mc.results.load_results`.
    case_file : str, optional
        Path of the case file (shown in the reproduce command).
    actor : str, optional
        The aktør the memo leads with; default the cost bearer
        (:func:`~som_mc.present.report._memo.cost_bearer`).
    alternatives : sequence of (Case, Dataset[, case file])
        Other cases with their runs, made with the same seed, design and draws as `results`
        (then compared draw by draw).
    switching : bool or xarray.Dataset, default True
        Compute switching values for `actor` and the total, or pass them (same shape as
        :func:`som_mc.sensitivity.switching_values`), or False to leave them out.
    provenance : mapping of str to {"sourced", "illustrative", "unsourced"}, optional
        Input name → source status, overriding the rule of
        :func:`~som_mc.present.report._memo.input_provenance`.
    scenarios : bool or xarray.Dataset, default True
        When the case declares ``[[scenarios]]``: run
        :func:`som_mc.sensitivity.scenario_analysis` for `actor` and the total with the
        run's seed and draws (at most :data:`SCENARIO_DRAWS`, design ``lhs``), or pass its
        result; False leaves the table out.
    voi : bool or VoiResult, default True
        Value of information for `actor` and the total from the run's own draws
        (:func:`som_mc.sensitivity.voi.voi_from_draws`; left out with a note when the run
        has fewer than 1000 draws), or pass it; False leaves it out.
    evidence : EvidenceInfo, optional
        The evidence (opfølgning) the case was updated with, for the Forbehold box.

    Returns
    -------
    ReportData

    Raises
    ------
    SomMcError
        When the results were simulated from a different case (SHA-256 differs), `actor` is
        not an aktør of the case, or the alternatives cannot be compared with the basis.
    """
    bearer = cost_bearer(case) if actor is None else actor
    if bearer not in case.actors:
        raise SomMcError(
            f"--actor {bearer!r} is not an aktør of case {case.name!r}; choose one of "
            f"{', '.join(case.actors)}"
        )
    alts = [(a[0], a[1], a[2] if len(a) > 2 else None) for a in alternatives]
    labels = unique_labels([c.label or c.name for c in [case, *(a[0] for a in alts)]])
    base = _one_case(
        case, results, case_file=case_file, actor=bearer, label=labels[0],
        switching=switching, status_of=provenance,
    )  # fmt: skip
    slots = {"evidence": evidence, **_analyses(case, results, bearer, scenarios, voi)}
    if not alts:
        return replace(base, **slots)
    others = tuple(
        _one_case(
            c, r, case_file=f, actor=bearer, label=label, switching=False, status_of=provenance
        )
        for (c, r, f), label in zip(alts, labels[1:], strict=True)
    )
    cmp = comparison_from_results(
        [case, *(a[0] for a in alts)],
        [results, *(a[1] for a in alts)],
        labels,
        names=[f"case {x!r}" for x in labels],
    )
    return replace(base, alternatives=others, comparison=cmp, **slots)


def _analyses(
    case: Case, results: xr.Dataset, actor: str, scenarios: bool | xr.Dataset, voi: bool | VoiResult
) -> dict[str, Any]:
    """Scenario analysis and value of information of the memo's case (see prepare_report)."""
    shown = [actor, TOTAL]
    sc: xr.Dataset | None = None
    if isinstance(scenarios, xr.Dataset):
        sc = scenarios
    elif scenarios and case.scenarios:
        draws = int(results.attrs.get("n_draws", results.sizes["draw"]))
        sc = scenario_analysis(
            case,
            draws=min(draws, SCENARIO_DRAWS),
            seed=results.attrs.get("seed"),
            design="lhs",
            actors=shown,
        )
    v: VoiResult | None = None
    note: str | None = None
    if isinstance(voi, VoiResult):
        v = voi
    elif voi and results.sizes.get("input", 0) > 0 and "net_result_pv" in results:
        if results.sizes["draw"] < MIN_DRAWS:
            note = "few_draws"
        else:
            v = voi_from_draws(results, actors=shown)
    return {"scenarios": sc, "voi": v, "voi_note": note}


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
    inputs: list[dict[str, Any]] = []
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
    files = [data.case_file or "CASE.toml"]
    files += [alt.case_file or f"CASE{i + 2}.toml" for i, alt in enumerate(data.alternatives)]
    command = f"som-mc report {' '.join(files)} --draws {draws} --seed {seed} --design {design}"
    if data.actor:
        command += f" --actor {data.actor}"
    if data.evidence is not None and data.evidence.prior:
        command += " --prior"
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
    status = {p.name: p.status for p in data.provenance}
    for row in inputs:
        row["status"] = t[f"status_{status[row['name']]}"] if row["name"] in status else ""
        row["flagged"] = status.get(row["name"], "sourced") != "sourced"
    lead = data.summary.sel(actor=data.actor) if data.actor else tot
    headline |= {
        "actor": actor_label(data.actor, lang) if data.actor else t["total"],
        "actor_mean_text": num.kr(float(lead.horizon_mean)),
        "actor_p5_text": num.kr(float(_q(lead.horizon_quantile, 0.05))),
        "actor_p95_text": num.kr(float(_q(lead.horizon_quantile, 0.95))),
        "actor_p_positive_text": num.pct(float(lead.horizon_p_positive)),
        "actor_break_even_text": _year_text(int(lead.break_even_median), t),
    }
    memo = bool(data.actor)
    notes = []
    if memo and data.switching is not None:
        notes.append(t["method_switching"])
    if memo and data.scenarios is not None:
        notes.append(
            t["method_scenarios"].format(
                draws=num.number(int(data.scenarios.attrs.get("draws", 0))),
                seed=data.scenarios.attrs.get("seed"),
            )
        )
    if memo and data.voi is not None:
        notes.append(t["method_voi"].format(draws=num.number(data.voi.n_draws)))
        notes += list(data.voi.warnings)
    return {
        "lang": lang,
        "t": t,
        "label": data.label or case.name,
        "conclusion": conclusion(data, lang) if memo else [],
        "caveats": caveats_section(data, lang) if memo else None,
        "results": results_section(data, lang) if memo and data.breakdown is not None else None,
        "drivers": drivers_section(data, lang) if memo else None,
        "alternatives": alternatives_section(data, lang) if memo else None,
        "discount_rate": float(case.discount_rate),
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
        "method_notes": notes,
    }


def report_figures(data: ReportData, *, lang: Lang = "da") -> dict[str, Figure]:
    """Draw the memo's figures.

    Names: ``fan``, ``yearly``, ``distribution``, ``break_even``; ``tornado`` (the total) and
    ``tornado_actor`` (the memo's aktør) when the case has uncertain inputs;
    ``waterfall_actor`` and ``waterfall_total`` when the per-line contributions are known
    (discounted when the rate is above 0: ``waterfall_actor_pv``, ``waterfall_total_pv``);
    ``voi_actor`` (value of information for the memo's aktør) when computed;
    ``compare_actor`` and ``compare_total`` in a memo of alternatives. Names never contain
    text from the case, so they are safe file names.
    """
    figs: dict[str, Figure] = {"fan": fan_figure(data.summary, lang=lang)}
    for name, draw in (
        ("yearly", lambda: plot_yearly(data.summary, lang=lang)),
        ("distribution", lambda: plot_horizon_distribution(data.results, lang=lang)),
        ("break_even", lambda: plot_break_even(data.summary, lang=lang)),
    ):
        figs[name] = _figure_of(draw())
    if data.tornado is not None:
        figs["tornado"] = _tornado_figure(data.tornado, TOTAL)
        if data.actor:
            figs["tornado_actor"] = _tornado_figure(data.tornado, data.actor)
    if data.contributions is not None and data.actor:
        pv = (False, True) if data.case.discount_rate > 0 else (False,)
        for who, actor in (("actor", data.actor), ("total", TOTAL)):
            for disc in pv:
                name = f"waterfall_{who}" + ("_pv" if disc else "")
                figs[name] = _figure_of(
                    plot_waterfall(data.contributions, actor=actor, lang=lang, discounted=disc)
                )
    if data.voi is not None and data.actor in data.voi.actors:
        if any(r[1] >= 0.5 for r in data.voi.actors[data.actor].ranking()):
            figs["voi_actor"] = _figure_of(plot_evppi(data.voi, actor=data.actor, top=10))
    if data.comparison is not None:
        figs["compare_actor"] = comparison_figure(data.comparison, data.actor)
        figs["compare_total"] = comparison_figure(data.comparison, TOTAL)
    return figs


def _tornado_figure(tor: xr.Dataset, actor: str) -> Figure:
    """Draw the tornado of one aktør, long labels wrapped so the bars keep their width."""
    wrapped = ["\n".join(textwrap.wrap(str(x), 30)) or str(x) for x in tor.label.values]
    n = min(TORNADO_TOP, tor.sizes["input"])
    fig = Figure(figsize=(10.0, 0.55 * n + 1.8), layout="constrained")
    plot_tornado(
        tor.assign_coords(label=("input", wrapped)), actor=actor, top=TORNADO_TOP,
        ax=fig.add_subplot(),
    )  # fmt: skip
    return fig


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
