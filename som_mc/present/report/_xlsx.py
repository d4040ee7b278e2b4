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
from som_mc.model import TOTAL
from som_mc.present.report._build import ReportData, _q, input_source
from som_mc.present.report._text import Lang, text
from som_mc.present.tables import safe_workbook

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
    ws.column_dimensions["B"].width = 70

    safe_workbook(wb)  # user text is text, never a formula
    return atomic_write(path, lambda tmp: wb.save(tmp), overwrite=overwrite)
