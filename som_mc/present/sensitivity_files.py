"""Run the følsomhedsanalyser of a case and write tables (CSV, JSON) and figures (PNG, SVG)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from som_mc._io import atomic_write, atomic_write_text
from som_mc.case import Case
from som_mc.errors import SomMcError
from som_mc.model import TOTAL, compile_case
from som_mc.present.format import format_number, format_pct
from som_mc.present.plotting.sensitivity import plot_sobol, plot_spider, plot_tornado
from som_mc.present.tables import render_table, safe_csv_text
from som_mc.run import simulate
from som_mc.sampling import normalize_seed
from som_mc.sensitivity import (
    input_groups,
    rank_measures,
    sobol_analysis,
    spider,
    switching_values,
    tornado,
)

__all__ = ["run_sensitivity"]

Method = Literal["tornado", "sobol", "all"]


_FILES = {
    "tornado": (
        "tornado.csv",
        "tornado.json",
        "tornado.png",
        "tornado.svg",
        "spider.csv",
        "spider.png",
        "spider.svg",
        "switching_values.csv",
        "switching_values.json",
    ),
    "sobol": (
        "sobol.csv",
        "sobol.json",
        "sobol.png",
        "sobol.svg",
        "rank_correlations.csv",
        "rank_correlations.json",
    ),
}


def _targets(method: Method) -> list[str]:
    return [f for part in ("tornado", "sobol") if method in (part, "all") for f in _FILES[part]]


def _write_table(ds: xr.Dataset, out: Path, name: str) -> None:
    frame = ds.to_dataframe()
    atomic_write_text(out / f"{name}.csv", safe_csv_text(frame), overwrite=True)
    payload = {
        "attrs": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in ds.attrs.items()},
        "rows": json.loads(frame.reset_index().to_json(orient="records", force_ascii=False)),
    }
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    atomic_write_text(out / f"{name}.json", text, overwrite=True)


def _save_figure(ax: object, out: Path, name: str) -> None:
    fig = ax.figure  # type: ignore[attr-defined]
    for ext in ("png", "svg"):
        atomic_write(out / f"{name}.{ext}", partial(_savefig, fig, ext), overwrite=True)


def _savefig(fig: Any, fmt: str, path: Path) -> None:
    fig.savefig(path, dpi=150, format=fmt)


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "") + format_number(value, 3)


def _switching_text(name: str, value: float, direction: int) -> str:
    if not np.isfinite(value):
        return "krydser ikke 0 inden for inputtets udfaldsrum"
    shown = format_pct(value, 1) if name == "success_rate" else format_number(value, 2)
    word = {1: "mindst", -1: "højst"}.get(direction, "præcis")
    return f"{word} {shown}"


def run_sensitivity(
    case: Case,
    out: Path,
    *,
    method: Method = "all",
    levels: tuple[float, float] = (0.10, 0.90),
    relative: float | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    n_base: int = 4096,
    draws: int = 10_000,
    seed: int | None = None,
    overwrite: bool = False,
) -> str:
    """Run the analyses, write their files to `out`, and return a readable report.

    Raises
    ------
    SomMcError
        If any output file exists and `overwrite` is false (nothing is written then).
    """
    targets = [out / name for name in _targets(method)]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not overwrite:
        raise SomMcError(
            f"{out}: {len(existing)} output file(s) exist ({', '.join(existing[:3])}"
            f"{', …' if len(existing) > 3 else ''}); pass overwrite=True to replace them"
        )
    seed = normalize_seed(seed)
    input_groups(compile_case(case), groups)  # bad patterns fail before anything is written
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"Følsomhedsanalyse: {case.name}", ""]
    years = f"{case.start_year}–{case.start_year + case.horizon_years - 1}"
    if method in ("tornado", "all"):
        tor = tornado(case, levels=levels, relative=relative, groups=groups)
        base = float(tor.base.sel(actor=TOTAL))
        lines.append(
            f"Basisresultat (middelværdier), akkumuleret {years}: {format_number(base)} kr."
        )
        side = (
            f"P{round(100 * levels[0])}/P{round(100 * levels[1])}"
            if relative is None
            else f"±{format_number(100 * relative)} %"
        )
        total = tor.sel(actor=TOTAL)
        rows = [
            [
                str(total.label.values[i]),
                format_number(float(total.value_low.values[i]), 2),
                format_number(float(total.value_high.values[i]), 2),
                format_number(float(total.result.values[i, 0])),
                format_number(float(total.result.values[i, 1])),
                format_number(float(total.swing.values[i])),
            ]
            for i in range(total.sizes["input"])
        ]
        lines += [
            "",
            f"Tornado ({side}), nettoresultat i alt:",
            render_table(
                ["Input", "Lav værdi", "Høj værdi", "Resultat lav", "Resultat høj", "Udsving"],
                rows,
            ),
        ]
        _write_table(tor, out, "tornado")
        _save_figure(plot_tornado(tor), out, "tornado")
        sp = spider(case)
        atomic_write_text(out / "spider.csv", safe_csv_text(sp.to_dataframe()), overwrite=True)
        _save_figure(plot_spider(sp), out, "spider")
        sv = switching_values(case, actors=[TOTAL, *case.actors])
        _write_table(sv, out, "switching_values")
        lines += ["", f"Skifteværdier: nettoresultat i alt = 0 over {years}"]
        for name, label in zip(sv.input.values, sv.label.values, strict=True):
            value = float(sv.switching_value.sel(input=name, actor=TOTAL))
            direction = int(sv.direction.sel(input=name, actor=TOTAL))
            lines.append(f"  {label}: {_switching_text(str(name), value, direction)}")
        if "success_rate" in sv.input.values:
            value = float(sv.switching_value.sel(input="success_rate", actor=TOTAL))
            if np.isfinite(value):
                lines += [
                    "",
                    f"Succesraten skal være mindst {format_pct(value, 1)} for at indsatsen "
                    f"betaler sig tilbage inden for {case.horizon_years} år (i alt).",
                ]
    if method in ("sobol", "all"):
        sob = sobol_analysis(case, n_base=n_base, seed=seed, groups=groups)
        _write_table(sob, out, "sobol")
        _save_figure(plot_sobol(sob), out, "sobol")
        total = sob.sel(actor=TOTAL)
        order = np.argsort(-np.nan_to_num(total.ST.values), kind="stable")
        rows = [
            [
                str(total.label.values[i]),
                f"{format_number(total.S1.values[i], 3)} ± "
                f"{format_number(total.S1_conf.values[i], 3)}",
                f"{format_number(total.ST.values[i], 3)} ± "
                f"{format_number(total.ST_conf.values[i], 3)}",
            ]
            for i in order
        ]
        lines += [
            "",
            f"Sobol-indeks, i alt ({format_number(sob.attrs['n_evaluations'])} beregninger, "
            f"{round(100 * sob.attrs['conf_level'])} %-konfidensinterval):",
            render_table(["Input", "S1", "ST"], rows),
        ]
        if "warning" in sob.attrs:
            lines += ["", str(sob.attrs["warning"])]
        ranks = rank_measures(simulate(case, draws=draws, seed=seed))
        _write_table(ranks, out, "rank_correlations")
        tot = ranks.sel(actor=TOTAL)
        order = np.argsort(-np.abs(tot.spearman.values), kind="stable")
        lines += [
            "",
            f"Rangkorrelation med nettoresultat i alt ({format_number(draws)} træk, "
            f"SRRC R² = {format_number(tot.srrc_r2.item(), 2)}):",
            render_table(
                ["Input", "Spearman", "SRRC"],
                [
                    [
                        str(tot.label.values[i]),
                        _signed(tot.spearman.values[i]),
                        _signed(tot.srrc.values[i]),
                    ]
                    for i in order
                ],
            ),
        ]
    lines += ["", f"Tabeller og figurer gemt i {out}/"]
    return "\n".join(lines)
