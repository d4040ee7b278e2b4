"""Plain-text tables and JSON summaries (Danish labels) for the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from som_mc._io import atomic_write_text
from som_mc.model import NOT_WITHIN_HORIZON, TOTAL
from som_mc.present.format import format_number, format_pct
from som_mc.stats.summary import quantile_index

__all__ = [
    "combined_rows",
    "combined_table",
    "deterministic_json",
    "deterministic_table",
    "render_table",
    "safe_cell",
    "safe_csv_text",
    "safe_workbook",
    "summary_json",
    "summary_table",
    "write_csv",
]

_POINT_LABEL = {"mean": "middelværdier", "median": "medianer", "mode": "typeværdier"}


def render_table(header: list[str], rows: list[list[str]]) -> str:
    """Right-align columns (first column left-aligned) into a text table."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def _year_text(year: int) -> str:
    return "ikke inden for horisonten" if year == NOT_WITHIN_HORIZON else str(year)


def _net_rows(ds: xr.Dataset, net: str, cum: str) -> tuple[list[str], list[list[str]]]:
    actors = [str(a) for a in ds.actor.values]
    header = ["År", *actors, "I alt", "Akkumuleret i alt"]
    rows = []
    yearly = ds[net].values
    cum_total = ds[cum].values.sum(axis=1)
    for i, year in enumerate(ds.year.values):
        cells = [format_number(v) for v in yearly[i]]
        rows.append(
            [str(year), *cells, format_number(yearly[i].sum()), format_number(cum_total[i])]
        )
    totals = yearly.sum(axis=0)
    rows.append(["I alt", *[format_number(v) for v in totals], format_number(totals.sum()), ""])
    return header, rows


def deterministic_table(ds: xr.Dataset) -> str:
    """Readable table of a deterministic result (kr., Danish separators).

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`som_mc.deterministic`.

    Returns
    -------
    str
        Several blocks: nettoresultat per aktør and year with totals, the discounted
        version when the discount rate is non-zero, costs and gains per aktør, per deltager
        and break-even years.
    """
    point = _POINT_LABEL.get(ds.attrs["point_estimate"], ds.attrs["point_estimate"])
    title = (
        f"{ds.attrs['case_name']} — nettoresultat i kr. ({ds.attrs['price_year']}-priser), "
        f"deterministisk beregning ({point})"
    )
    out = [title, ""]
    header, rows = _net_rows(ds, "net_result", "cumulative_net_result")
    out.append(render_table(header, rows))
    if ds.attrs["discount_rate"] > 0:
        rate = format_number(100 * ds.attrs["discount_rate"], 1)
        out += ["", f"Tilbagediskonteret med {rate} % p.a.:"]
        header, rows = _net_rows(ds, "net_result_discounted", "cumulative_net_result_discounted")
        out.append(render_table(header, rows))
    actors = [str(a) for a in ds.actor.values]
    cost = ds.cost.values.sum(axis=0)
    gain = ds.consequence_value.values.sum(axis=0)
    out += [
        "",
        render_table(
            ["Over hele perioden", *actors, "I alt"],
            [
                ["Omkostninger", *map(format_number, cost), format_number(cost.sum())],
                ["Værdi af konsekvenser", *map(format_number, gain), format_number(gain.sum())],
                [
                    "Nettoresultat pr. deltager",
                    *map(format_number, ds.net_result_per_participant.values),
                    format_number(ds.net_result_per_participant.values.sum()),
                ],
                [
                    "Tilbagebetalingsår",
                    *(
                        "–" if not np.any(ds.net_result.values[:, i]) else _year_text(int(y))
                        for i, y in enumerate(ds.break_even_year.values)
                    ),
                    _year_text(int(ds.break_even_year_total)),
                ],
            ],
        ),
        "",
        f"Deltagere i alt: {format_number(ds.attrs['total_participants'], 1)}",
    ]
    return "\n".join(out)


def _none_if_missing(year: int) -> int | None:
    return None if year == NOT_WITHIN_HORIZON else int(year)


def deterministic_json(ds: xr.Dataset) -> dict[str, Any]:
    """Machine-readable summary of a deterministic result (plain JSON types)."""
    actors = [str(a) for a in ds.actor.values]

    def by_actor(values: np.ndarray) -> dict[str, Any]:
        values = np.asarray(values)
        out = {a: values[..., i].tolist() for i, a in enumerate(actors)}
        out["total"] = values.sum(axis=-1).tolist()
        return out

    return {
        "case": ds.attrs["case_name"],
        "case_sha256": ds.attrs["case_sha256"],
        "mode": "deterministic",
        "point_estimate": ds.attrs["point_estimate"],
        "price_year": int(ds.attrs["price_year"]),
        "discount_rate": float(ds.attrs["discount_rate"]),
        "som_mc_version": ds.attrs["som_mc_version"],
        "actors": actors,
        "years": [int(y) for y in ds.year.values],
        "net_result": by_actor(ds.net_result.values),
        "cumulative_net_result": by_actor(ds.cumulative_net_result.values),
        "net_result_discounted": by_actor(ds.net_result_discounted.values),
        "total_net_result": by_actor(ds.net_result.values.sum(axis=0)),
        "total_net_result_discounted": by_actor(ds.net_result_discounted.values.sum(axis=0)),
        "cost": by_actor(ds.cost.values.sum(axis=0)),
        "consequence_value": by_actor(ds.consequence_value.values.sum(axis=0)),
        "net_result_per_participant": by_actor(ds.net_result_per_participant.values),
        "break_even_year": {
            **{
                a: _none_if_missing(int(y))
                for a, y in zip(actors, ds.break_even_year.values, strict=True)
            },
            "total": _none_if_missing(int(ds.break_even_year_total)),
        },
        "total_participants": float(ds.attrs["total_participants"]),
    }


def _actor_label(actor: str) -> str:
    return "I alt" if actor == TOTAL else actor


def summary_table(summary: xr.Dataset) -> str:
    """Readable table of a Monte Carlo summary (Danish labels, kr.).

    Parameters
    ----------
    summary : xarray.Dataset
        Output of :func:`som_mc.summarize` with quantiles 0.05, 0.5 and 0.95.

    Returns
    -------
    str
        The cumulative total per year with its 90 % band and P(> 0), then per aktør over
        the horizon: mean ± MCSE, P5/P50/P95, P(> 0), break-even.
    """
    a = summary.attrs
    lo, mid, hi = (
        quantile_index(summary, 0.05),
        quantile_index(summary, 0.5),
        quantile_index(summary, 0.95),
    )
    title = (
        f"{a['case_name']} — Monte Carlo, {format_number(a['n_draws'])} træk "
        f"({a['design']}, seed {a['seed']}), kr. i {a['price_year']}-priser"
    )
    out = [title, "", "Akkumuleret nettoresultat i alt"]
    tot = summary.sel(actor=TOTAL)
    n_draws = int(a.get("n_draws", 2))
    rows = []
    for i, year in enumerate(summary.year.values):
        rows.append(
            [
                str(year),
                format_number(tot.cumulative_mean.values[i]),
                format_number(tot.cumulative_quantile.values[lo, i]),
                format_number(tot.cumulative_quantile.values[mid, i]),
                format_number(tot.cumulative_quantile.values[hi, i]),
                format_pct(tot.cumulative_p_positive.values[i]),
                format_pct(tot.break_even_probability.values[i]),
            ]
        )
    out.append(
        render_table(["År", "Middel", "P5", "Median", "P95", "P(> 0)", "Tilbagebetalt"], rows)
    )
    rows = []
    for actor in summary.actor.values:
        sel = summary.sel(actor=actor)
        rows.append(
            [
                _actor_label(str(actor)),
                format_number(sel.horizon_mean.item()),
                format_number(sel.horizon_mcse.item()) if n_draws > 1 else "–",
                format_number(sel.horizon_quantile.values[lo]),
                format_number(sel.horizon_quantile.values[mid]),
                format_number(sel.horizon_quantile.values[hi]),
                format_pct(sel.horizon_p_positive.item()),
                format_number(sel.per_participant_mean.item()),
                (
                    "–"  # no money flows at all: nothing to pay back
                    if sel.yearly_sd.values.max() == 0 and not sel.yearly_mean.values.any()
                    else _year_text(int(sel.break_even_median.item()))
                ),
            ]
        )
    out += [
        "",
        f"Nettoresultat over hele perioden ({summary.year.values[0]}–{summary.year.values[-1]})",
        render_table(
            [
                "Aktør",
                "Middel",
                "± MCSE",
                "P5",
                "Median",
                "P95",
                "P(> 0)",
                "Pr. deltager",
                "Tilbagebetalingsår (median)",
            ],
            rows,
        ),
    ]
    if n_draws < 2:
        out += ["", "± MCSE: – (én trækning giver intet skøn over Monte Carlo-usikkerheden)"]
    if a.get("quantile_method") == "histogram":
        err = float(summary.horizon_quantile_max_error.sel(actor="total"))
        out += [
            "",
            "Kvantiler er beregnet løbende, chunk for chunk (histogram); største fejl "
            f"på I alt over perioden: {format_number(err)} kr.",
        ]
    if float(a["discount_rate"]) > 0:
        rate = format_number(100 * float(a["discount_rate"]), 1)
        pv = summary.sel(actor=TOTAL)
        out += [
            "",
            f"Tilbagediskonteret ({rate} % p.a.), i alt: middel {format_number(pv.pv_mean.item())}"
            f" (P5 {format_number(pv.pv_quantile.values[lo])}, "
            f"P95 {format_number(pv.pv_quantile.values[hi])})",
        ]
    return "\n".join(out)


def _finite_or_none(value: float) -> float | None:
    return value if np.isfinite(value) else None


def summary_json(summary: xr.Dataset) -> dict[str, Any]:
    """Machine-readable Monte Carlo summary (plain JSON types)."""
    a = summary.attrs
    actors = [str(x) for x in summary.actor.values]
    q = [float(p) for p in summary["quantile"].values]

    def by_actor(name: str) -> np.ndarray:
        # the variable's values with the actor axis first (the others in their order)
        var = summary[name]
        return np.moveaxis(np.asarray(var.values), var.dims.index("actor"), 0)

    def block(prefix: str) -> dict[str, Any]:
        keys = ("mean", "mcse", "sd", "p_positive", "p_positive_se")
        values = {k: by_actor(f"{prefix}_{k}") for k in keys}
        quantile = by_actor(f"{prefix}_quantile")
        res: dict[str, Any] = {}
        for i, actor in enumerate(actors):
            entry = {k: values[k][i].tolist() for k in keys[:4]}
            if int(a["n_draws"]) < 2:  # one draw: no estimate of the Monte Carlo error
                shape = np.shape(entry["mcse"])
                entry["mcse"] = None if not shape else [None] * shape[0]
            entry["p_positive_se"] = values["p_positive_se"][i].tolist()
            entry["quantiles"] = {f"P{100 * p:g}": quantile[i][j].tolist() for j, p in enumerate(q)}
            res[actor] = entry
        return res

    return {
        "case": a["case_name"],
        "case_sha256": a["case_sha256"],
        "mode": "monte_carlo",
        "seed": int(a["seed"]),
        "design": a["design"],
        "draws": int(a["n_draws"]),
        "price_year": int(a["price_year"]),
        "discount_rate": float(a["discount_rate"]),
        "versions": {
            "som_mc": a["som_mc_version"],
            "numpy": a["numpy_version"],
            "numba": a["numba_version"],
        },
        "quantile_method": str(a.get("quantile_method", "exact")),
        "quantile_max_error": _finite_or_none(float(a.get("quantile_max_error", 0.0))),
        "quantiles_approximate": str(a.get("quantile_method", "exact")) != "exact",
        "mcse_note": (
            "one draw: the MCSE cannot be estimated (null)" if int(a["n_draws"]) < 2 else None
        ),
        "years": [int(y) for y in summary.year.values],
        "horizon": block("horizon"),
        "discounted": block("pv"),
        "per_participant": block("per_participant"),
        "cumulative": block("cumulative"),
        "yearly": block("yearly"),
        "break_even": {
            actor: {
                "median_year": _none_if_missing(int(summary.break_even_median.values[i])),
                "p_never": float(summary.break_even_never.values[i]),
                "p_by_year": summary.break_even_probability.values[:, i].tolist(),
            }
            for i, actor in enumerate(actors)
        },
    }


def combined_rows(summaries: dict[str, xr.Dataset]) -> list[dict[str, Any]]:
    """One record per case: the total net result over the horizon (plain numbers).

    Parameters
    ----------
    summaries : dict
        Case label → summary (:func:`som_mc.summarize` schema, quantiles 0.05 and 0.95).

    Returns
    -------
    list of dict
        Keys ``case``, ``draws``, ``mean``, ``mcse``, ``p5``, ``p50``, ``p95``,
        ``p_positive``, ``p_positive_se``, ``break_even_median`` (None when not within the
        horizon), ``price_year``, ``seed``, ``case_sha256``.
    """
    out = []
    for label, summary in summaries.items():
        tot = summary.sel(actor=TOTAL)
        lo, mid, hi = (quantile_index(summary, p) for p in (0.05, 0.5, 0.95))
        out.append(
            {
                "case": label,
                "draws": int(summary.attrs["n_draws"]),
                "mean": float(tot.horizon_mean),
                "mcse": float(tot.horizon_mcse),
                "p5": float(tot.horizon_quantile[lo]),
                "p50": float(tot.horizon_quantile[mid]),
                "p95": float(tot.horizon_quantile[hi]),
                "p_positive": float(tot.horizon_p_positive),
                "p_positive_se": float(tot.horizon_p_positive_se),
                "break_even_median": _none_if_missing(int(tot.break_even_median)),
                "price_year": int(summary.attrs["price_year"]),
                "seed": int(summary.attrs["seed"]),
                "case_sha256": str(summary.attrs["case_sha256"]),
            }
        )
    return out


def combined_table(summaries: dict[str, xr.Dataset]) -> str:
    """Side-by-side table of several cases' total net result over the horizon (Danish)."""
    rows = [
        [
            r["case"],
            format_number(r["draws"]),
            format_number(r["mean"]),
            format_number(r["mcse"]),
            format_number(r["p5"]),
            format_number(r["p50"]),
            format_number(r["p95"]),
            format_pct(r["p_positive"]),
            _year_text(r["break_even_median"] if r["break_even_median"] is not None else -1),
        ]
        for r in combined_rows(summaries)
    ]
    header = [
        "Case",
        "Træk",
        "Middel",
        "± MCSE",
        "P5",
        "Median",
        "P95",
        "P(> 0)",
        "Tilbagebetalingsår (median)",
    ]
    return (
        "Nettoresultat i alt over hele perioden (kr.; hver case i sine egne priser)\n"
        + render_table(header, rows)
    )


#: Leading characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would read as a formula (numbers stay numbers).

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe, as OWASP recommends for CSV injection; numbers and None pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(
    path: str | Path, rows: list[dict[str, Any]], *, overwrite: bool = False
) -> Path:
    """Write records as CSV atomically, with every text cell neutralised (:func:`safe_cell`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [])
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return atomic_write_text(path, buffer.getvalue(), overwrite=overwrite)


def safe_csv_text(frame: Any) -> str:
    """Return a pandas frame as CSV text with every text cell and label neutralised.

    Numbers stay numbers; text (values, index and column labels) that a spreadsheet would
    read as a formula gets a leading apostrophe (:func:`safe_cell`).
    """
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(safe_cell)
    frame = frame.rename(index=safe_cell, columns=safe_cell)
    if hasattr(frame.index, "names"):
        frame.index = frame.index.set_names([safe_cell(n) for n in frame.index.names])
    return str(frame.to_csv())


def safe_workbook(wb: Any) -> Any:
    """Make every formula-looking cell of an openpyxl workbook plain text (OWASP).

    Called just before saving a workbook that som_mc never fills with formulas on purpose:
    a text starting with ``=`` (which openpyxl stores as a formula) becomes a text cell with
    a quote prefix, so Excel shows it and never evaluates it; numbers are untouched.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith(FORMULA_START)
                ):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    return wb
