"""Excel export of a report's summary tables (openpyxl; Danish headers and number formats)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from som_mc._io import atomic_write
from som_mc.case import case_inputs
from som_mc.model import NOT_WITHIN_HORIZON, TOTAL
from som_mc.present.report._build import _q
from som_mc.present.report._data import ReportData
from som_mc.present.report._memo import input_source
from som_mc.present.report._sections import caveats_section, conclusion
from som_mc.present.report._text import Lang, Numbers, text
from som_mc.present.tables import FORMULA_START, safe_workbook
from som_mc.stats.summary import quantile_index

__all__ = ["KR_FORMAT", "PCT_FORMAT", "write_xlsx"]

#: Excel number format of amounts (Excel shows its locale's separators: 1.234.567 kr.).
KR_FORMAT = '#,##0 "kr."'
#: Excel number format of probabilities.
PCT_FORMAT = "0%"

_HEAD = {
    "da": {
        "yearly": "Pr. år",
        "cumulative": "Akkumuleret",
        "actors": "Aktører",
        "inputs": "Input",
        "method": "Metode",
        "actor": "Aktør",
        "year": "År",
        "mean": "Middelværdi (kr.)",
        "mcse": "MCSE (kr.)",
        "p5": "P5 (kr.)",
        "p50": "P50 (kr.)",
        "p95": "P95 (kr.)",
        "p_pos": "P(> 0)",
        "label": "Input",
        "key": "Navn i casefilen",
        "dist": "Fordeling",
        "params": "Parametre (TOML)",
        "base": "Basisværdi (middelværdi)",
        "source": "Kilde",
        "item": "Punkt",
        "value": "Værdi",
        "breakdown": "Pr. aktør",
        "measure": "Størrelse",
        "discounting": "Diskontering",
        "caveats": "Forbehold",
        "conclusion": "Konklusion",
        "comparison": "Sammenligning",
        "text": "Tekst",
        "status": "Kildestatus",
        "alt": "Alternativ",
        "diff": "Forskel fra basis (kr.)",
        "diff_p5": "Forskel P5 (kr.)",
        "diff_p95": "Forskel P95 (kr.)",
        "diff_pv": "Forskel, tilbagediskonteret (kr.)",
        "p_better": "P(bedre end basis)",
        "p_best": "P(bedst)",
        "rank": "Forventet placering",
        "payback": "Tilbagebetalingsår",
        "payback_diff": "Forskel i tilbagebetalingsår",
        "scenarios": "Scenarier",
        "scenario": "Scenarie",
        "description": "Beskrivelse",
        "deterministic": "Deterministisk (kr.)",
        "sc_diff_mcse": "Forskel, MC-usikkerhed (kr.)",
        "voi": "Værdi af viden",
        "evppi": "Værdi af viden (kr.)",
        "evppi_se": "Standardfejl (kr.)",
        "evpi": "Værdien af at kende alt præcist (EVPI)",
    },
    "en": {
        "yearly": "Per year",
        "cumulative": "Cumulative",
        "actors": "Actors",
        "inputs": "Inputs",
        "method": "Method",
        "actor": "Actor",
        "year": "Year",
        "mean": "Mean (DKK)",
        "mcse": "MCSE (DKK)",
        "p5": "P5 (DKK)",
        "p50": "P50 (DKK)",
        "p95": "P95 (DKK)",
        "p_pos": "P(> 0)",
        "label": "Input",
        "key": "Name in the case file",
        "dist": "Distribution",
        "params": "Parameters (TOML)",
        "base": "Base value (mean)",
        "source": "Source",
        "item": "Item",
        "value": "Value",
        "breakdown": "Per actor",
        "measure": "Measure",
        "discounting": "Discounting",
        "caveats": "Caveats",
        "conclusion": "Conclusion",
        "comparison": "Comparison",
        "text": "Text",
        "status": "Source status",
        "alt": "Alternative",
        "diff": "Difference from basis (DKK)",
        "diff_p5": "Difference P5 (DKK)",
        "diff_p95": "Difference P95 (DKK)",
        "diff_pv": "Difference, discounted (DKK)",
        "p_better": "P(better than basis)",
        "p_best": "P(best)",
        "rank": "Expected rank",
        "payback": "Payback year",
        "payback_diff": "Difference in payback year",
        "scenarios": "Scenarios",
        "scenario": "Scenario",
        "description": "Description",
        "deterministic": "Deterministic (DKK)",
        "sc_diff_mcse": "Difference, MC uncertainty (DKK)",
        "voi": "Value of information",
        "evppi": "Value of information (DKK)",
        "evppi_se": "Standard error (DKK)",
        "evpi": "Value of knowing everything exactly (EVPI)",
    },
}


def _header(ws: Worksheet, names: list[str]) -> None:
    ws.append(names)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for i, name in enumerate(names, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(name) + 4)


def _actor_name(actor: str, lang: Lang) -> str:
    return text(lang)["total"] if actor == TOTAL else actor


def _year_sheet(ws: Worksheet, data: ReportData, prefix: str, lang: Lang) -> None:
    h = _HEAD[lang]
    s = data.summary
    _header(
        ws, [h["actor"], h["year"], h["mean"], h["mcse"], h["p5"], h["p50"], h["p95"], h["p_pos"]]
    )
    for actor in s.actor.values:
        a = s.sel(actor=actor)
        quant = a[f"{prefix}_quantile"]
        for i, year in enumerate(s.year.values):
            ws.append(
                [
                    _actor_name(str(actor), lang),
                    int(year),
                    float(a[f"{prefix}_mean"].values[i]),
                    float(a[f"{prefix}_mcse"].values[i]),
                    float(_q(quant, 0.05).values[i]),
                    float(_q(quant, 0.5).values[i]),
                    float(_q(quant, 0.95).values[i]),
                    float(a[f"{prefix}_p_positive"].values[i]),
                ]
            )
    _formats(ws, kr_cols=range(3, 8), pct_cols=[8])


def _formats(ws: Worksheet, *, kr_cols: range | list[int], pct_cols: list[int]) -> None:
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.column in kr_cols:
                cell.number_format = KR_FORMAT
            elif cell.column in pct_cols:
                cell.number_format = PCT_FORMAT


def write_xlsx(
    data: ReportData, path: str | Path, *, lang: Lang = "da", overwrite: bool = False
) -> Path:
    """Write the summary tables to an Excel workbook.

    Sheets: per year and per aktør (mean, MCSE, P5/P50/P95, P(> 0)) for the yearly and the
    cumulative nettoresultat, the horizon per aktør, every input with its distribution,
    base value and source, and the method (draws, seed, design, case hash, versions).

    Parameters
    ----------
    data : ReportData
        Output of :func:`som_mc.present.report.prepare_report`.
    path : str or Path
        Target ``.xlsx`` file, written atomically.
    lang : {"da", "en"}
        Language of the headers.

    Returns
    -------
    Path
        The written file.
    """
    h = _HEAD[lang]
    s = data.summary
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = h["yearly"]
    _year_sheet(ws, data, "yearly", lang)
    _year_sheet(wb.create_sheet(h["cumulative"]), data, "cumulative", lang)

    ws = wb.create_sheet(h["actors"])
    _header(ws, [h["actor"], h["mean"], h["mcse"], h["p5"], h["p50"], h["p95"], h["p_pos"]])
    for actor in s.actor.values:
        a = s.sel(actor=actor)
        ws.append(
            [
                _actor_name(str(actor), lang),
                float(a.horizon_mean),
                float(a.horizon_mcse),
                float(_q(a.horizon_quantile, 0.05)),
                float(_q(a.horizon_quantile, 0.5)),
                float(_q(a.horizon_quantile, 0.95)),
                float(a.horizon_p_positive),
            ]
        )
    _formats(ws, kr_cols=range(2, 7), pct_cols=[7])

    ws = wb.create_sheet(h["inputs"])
    _header(ws, [h["label"], h["key"], h["dist"], h["params"], h["base"], h["source"]])
    for spec in case_inputs(data.case):
        toml = spec.dist.to_toml()
        params = ", ".join(f"{k} = {v}" for k, v in toml.items() if k != "dist")
        ws.append(
            [
                spec.label,
                spec.key,
                str(toml.get("dist", "")),
                params,
                float(spec.dist.mean()),
                input_source(data.case, spec),
            ]
        )
    for cell in ws["E"][1:]:
        cell.number_format = "#,##0.####"

    ws = wb.create_sheet(h["method"])
    _header(ws, [h["item"], h["value"]])
    attrs = s.attrs
    for key in (
        "case_name",
        "n_draws",
        "seed",
        "design",
        "quantile_method",
        "case_sha256",
        "price_year",
        "som_mc_version",
        "numpy_version",
        "numba_version",
        "xarray_version",
    ):
        if key in attrs:
            value = attrs[key]
            value = value.item() if isinstance(value, np.generic) else value
            if key == "seed":
                value = str(value)  # up to 128 bits: Excel numbers would round it
            ws.append([key, value])
    if "discount_rate" in attrs:
        ws.append(["discount_rate", float(attrs["discount_rate"])])
    ws.column_dimensions["B"].width = 70

    if data.actor:
        _memo_sheets(wb, data, lang)
    _text_cells(wb)
    safe_workbook(wb)  # user text is text, never a formula
    return atomic_write(path, lambda tmp: wb.save(tmp), overwrite=overwrite)


def _text_cells(wb: Workbook) -> None:
    """Make every text cell text: never a formula, whatever it starts with."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    if cell.value.startswith(FORMULA_START):
                        cell.quotePrefix = True


def _memo_sheets(wb: Workbook, data: ReportData, lang: Lang) -> None:
    """Add the memo's tables: per aktør (discounted too), conclusion, caveats, comparison."""
    h = _HEAD[lang]
    t = text(lang)
    num = Numbers(lang)
    b = data.breakdown
    ws = wb.create_sheet(h["breakdown"])
    _header(
        ws,
        [h["actor"], h["measure"], h["discounting"], h["mean"], h["p5"], h["p50"], h["p95"],
         h["p_pos"]],
    )  # fmt: skip
    rate = float(data.case.discount_rate)
    measures = (("cost", t["row_cost"]), ("value", t["row_value"]), ("net", t["row_net"]))
    if b is not None:
        for disc in ("none", "discounted") if rate > 0 else ("none",):
            what = (
                t["undiscounted"] if disc == "none" else t["discounted"].format(rate=num.rate(rate))
            )
            for actor in b.actor.values:
                for key, label in measures:
                    sel = b.sel(measure=key, actor=actor, discounting=disc)
                    ws.append(
                        [
                            _actor_name(str(actor), lang),
                            label,
                            what,
                            float(sel["mean"]),
                            float(_q(sel.value_quantile, 0.05)),
                            float(_q(sel.value_quantile, 0.5)),
                            float(_q(sel.value_quantile, 0.95)),
                            float(sel.p_positive),
                        ]
                    )
    _formats(ws, kr_cols=range(4, 8), pct_cols=[8])
    ws.column_dimensions["C"].width = 34

    ws = wb.create_sheet(h["conclusion"])
    _header(ws, [h["text"]])
    for sentence in conclusion(data, lang):
        ws.append([sentence])
    ws.column_dimensions["A"].width = 120

    ws = wb.create_sheet(h["caveats"])
    cav = caveats_section(data, lang)
    _header(ws, [h["text"], h["status"]])
    for item in cav["items"]:
        ws.append([item, ""])
    for item in cav["evidence"]:
        ws.append([item, ""])
    for prov in data.provenance:
        if prov.uncertain and prov.status != "sourced":
            ws.append([prov.label, t[f"status_{prov.status}"]])
    ws.column_dimensions["A"].width = 110
    ws.column_dimensions["B"].width = 16

    _analysis_sheets(wb, data, lang)
    cmp = data.comparison
    if cmp is None:
        return
    ws = wb.create_sheet(h["comparison"])
    discounted = rate > 0 and "difference_pv_mean" in cmp
    names = [h["actor"], h["alt"], h["mean"], h["p5"], h["p95"], h["diff"], h["diff_p5"],
             h["diff_p95"]]  # fmt: skip
    if discounted:
        names.append(h["diff_pv"])
    names += [h["p_better"], h["p_best"], h["rank"], h["payback"], h["payback_diff"]]
    _header(ws, names)
    lo, hi = quantile_index(cmp, 0.05), quantile_index(cmp, 0.95)
    for actor in cmp.actor.values:
        sel = cmp.sel(actor=actor)
        for i, label in enumerate(cmp.case.values):
            be = int(sel.break_even_median.values[i])
            be_diff = float(sel.break_even_difference_median.values[i])
            row: list[object] = [
                _actor_name(str(actor), lang),
                str(label),
                float(sel.horizon_mean.values[i]),
                float(sel.horizon_quantile.values[lo, i]),
                float(sel.horizon_quantile.values[hi, i]),
                float(sel.difference_mean.values[i]),
                float(sel.difference_quantile.values[lo, i]),
                float(sel.difference_quantile.values[hi, i]),
            ]
            if discounted:
                row.append(float(sel.difference_pv_mean.values[i]))
            row += [
                float(sel.difference_p_positive.values[i]),
                float(sel.p_best.values[i]),
                float(sel.expected_rank.values[i]),
                t["never"] if be == NOT_WITHIN_HORIZON else be,
                None if i == 0 else (be_diff if np.isfinite(be_diff) else str(be_diff)),
            ]
            ws.append(row)
    last_kr = 9 if discounted else 8
    _formats(ws, kr_cols=range(3, last_kr + 1), pct_cols=[last_kr + 1, last_kr + 2])


def _analysis_sheets(wb: Workbook, data: ReportData, lang: Lang) -> None:
    """Add the scenario table and the value of information (when the memo has them)."""
    h = _HEAD[lang]
    t = text(lang)
    sc = data.scenarios
    if sc is not None:
        ws = wb.create_sheet(h["scenarios"])
        _header(
            ws,
            [h["actor"], h["scenario"], h["description"], h["deterministic"], h["mean"],
             h["p5"], h["p95"], h["p_pos"], h["payback"], h["diff"], h["sc_diff_mcse"],
             h["diff_p5"], h["diff_p95"]],
        )  # fmt: skip
        for actor in sc.actor.values:
            for i, label in enumerate(sc.scenario.values):
                r = sc.sel(actor=actor).isel(scenario=i)
                be = int(r.break_even_median)
                ws.append(
                    [
                        _actor_name(str(actor), lang),
                        str(label),
                        str(sc.description.values[i]),
                        float(r.deterministic),
                        float(r["mean"]),
                        float(r.p05),
                        float(r.p95),
                        float(r.p_positive),
                        t["never"] if be == NOT_WITHIN_HORIZON else be,
                        float(r.difference_mean),
                        float(r.difference_mcse),
                        float(r.difference_p05),
                        float(r.difference_p95),
                    ]
                )
        _formats(ws, kr_cols=[4, 5, 6, 7, 10, 11, 12, 13], pct_cols=[8])
        ws.column_dimensions["C"].width = 50
    voi = data.voi
    if voi is not None:
        ws = wb.create_sheet(h["voi"])
        _header(ws, [h["actor"], h["label"], h["key"], h["evppi"], h["evppi_se"]])
        for actor, res in voi.actors.items():
            ws.append([_actor_name(actor, lang), h["evpi"], "", res.evpi, res.evpi_se])
            for name, value, se in res.ranking():
                ws.append([_actor_name(actor, lang), voi.labels.get(name, name), name, value, se])
        _formats(ws, kr_cols=[4, 5], pct_cols=[])
        ws.column_dimensions["B"].width = 60
