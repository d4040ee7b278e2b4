"""Plain-text tables and JSON summaries (Danish labels) for the command line."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from som_mc._format import format_number
from som_mc.deterministic import NOT_WITHIN_HORIZON

__all__ = ["deterministic_json", "deterministic_table", "render_table"]

_POINT_LABEL = {"mean": "middelværdier", "median": "medianer", "mode": "typeværdier"}


def render_table(header: list[str], rows: list[list[str]]) -> str:
    """Right-align columns (first column left-aligned) into a text table."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
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
        header, rows = _net_rows(
            ds, "net_result_discounted", "cumulative_net_result_discounted"
        )
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
                    *(_year_text(int(y)) for y in ds.break_even_year.values),
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
            **{a: _none_if_missing(int(y)) for a, y in zip(actors, ds.break_even_year.values, strict=True)},
            "total": _none_if_missing(int(ds.break_even_year_total)),
        },
        "total_participants": float(ds.attrs["total_participants"]),
    }
