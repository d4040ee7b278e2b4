"""Run the følsomhedsanalyser of a case and write tables (CSV, JSON) and figures (PNG, SVG).

The analyses themselves are library functions returning xarray datasets
(:mod:`som_mc.sensitivity`); this module runs the ones asked for, writes one table per
analysis (the chosen aktører only) and one figure per analysis and aktør
(``tornado_kommune.png``, ``tornado_i_alt.png`` …), and returns the Danish text report.
:func:`scenario_rows` renders a scenario table for text and other front ends.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from som_mc._io import atomic_write_text
from som_mc._version import __version__
from som_mc.case import Case, case_hash
from som_mc.errors import SomMcError
from som_mc.model import TOTAL, compile_case
from som_mc.present.background import Background
from som_mc.present.figure_files import FigureWriter, PlotRef
from som_mc.present.format import format_number, format_pct
from som_mc.present.tables import render_table, safe_csv_text
from som_mc.results.schema import xarray_without_dask
from som_mc.sampling import normalize_seed
from som_mc.sensitivity import (
    check_actors,
    input_groups,
    load_kernel,
    probabilistic_switching,
    rank_analysis,
    scenario_analysis,
    sobol_analysis,
    sobol_base_values,
    spider,
    switching_values,
    tornado,
)

#: The module of the plot functions (imported where a figure is drawn, when it is drawn).
PLOTS = "som_mc.present.plotting.sensitivity"
plot_scenarios = PlotRef(PLOTS, "plot_scenarios")
plot_sobol = PlotRef(PLOTS, "plot_sobol")
plot_sobol_by_year = PlotRef(PLOTS, "plot_sobol_by_year")
plot_spider = PlotRef(PLOTS, "plot_spider")
plot_tornado = PlotRef(PLOTS, "plot_tornado")

__all__ = [
    "METHODS",
    "Method",
    "actor_file_name",
    "run_sensitivity",
    "scenario_json",
    "scenario_rows",
    "scenario_text",
]

Method = Literal["tornado", "sobol", "breakeven", "scenarios", "all"]
#: The analyses ``--method`` chooses from.
METHODS: tuple[str, ...] = get_args(Method)

_TABLES = {
    "tornado": ("tornado", "spider", "switching_values"),
    "sobol": ("sobol", "sobol_by_year", "rank_correlations", "downside_drivers"),
    "breakeven": ("breakeven",),
    "scenarios": ("scenarios",),
}
_FIGURES = {
    "tornado": ("tornado", "spider"),
    "sobol": ("sobol", "sobol_by_year"),
    "breakeven": (),
    "scenarios": ("scenarios",),
}


def actor_file_name(actor: str) -> str:
    """File-name part for an actor: ``"total"`` -> ``"i_alt"``, other characters to ``_``."""
    name = "i_alt" if actor == TOTAL else actor
    return re.sub(r"[^\w-]+", "_", name, flags=re.UNICODE).strip("_") or "aktoer"


def _parts(method: Method, case: Case) -> list[str]:
    if method != "all":
        return [method]
    parts = ["tornado", "sobol", "breakeven"]
    return [*parts, "scenarios"] if case.scenarios else parts


def _targets(parts: Sequence[str], actors: Sequence[str]) -> list[str]:
    out = []
    for part in parts:
        for table in _TABLES[part]:
            out += [f"{table}.csv", f"{table}.json"]
        for fig in _FIGURES[part]:
            for actor in actors:
                stem = f"{fig}_{actor_file_name(actor)}"
                out += [f"{stem}.png", f"{stem}.svg"]
    return out


def _finite_frame(ds: xr.Dataset) -> Any:
    frame = ds.to_dataframe()
    numeric = frame.select_dtypes(include="number")
    if numeric.size and not np.all(np.isfinite(numeric.to_numpy(dtype=float)) | numeric.isna()):
        bad = [c for c in numeric if np.isinf(numeric[c].to_numpy(dtype=float)).any()]
        raise SomMcError(f"internal: infinite values in column(s) {', '.join(bad)}")
    return frame


def _write_table(ds: xr.Dataset, out: Path, name: str, prov: Mapping[str, object]) -> None:
    """Write `ds` as NAME.csv and NAME.json (with its attributes and the run's provenance)."""
    frame = _finite_frame(ds)
    atomic_write_text(out / f"{name}.csv", safe_csv_text(frame), overwrite=True)
    attrs = {**ds.attrs, **prov}
    payload = {
        "attrs": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in attrs.items()},
        "rows": json.loads(frame.reset_index().to_json(orient="records", force_ascii=False)),
    }
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str, allow_nan=False)
    atomic_write_text(out / f"{name}.json", text, overwrite=True)


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "") + format_number(value, 3)


def _decimals(value: float, digits: int = 3) -> int:
    """Decimals that show `digits` significant digits (none for large numbers)."""
    if not np.isfinite(value) or value == 0:
        return 2
    return int(max(0, digits - 1 - np.floor(np.log10(abs(value)))))


def _value_text(name: str, value: float) -> str:
    if name in ("success_rate", "dropoff_rate"):
        return f"{format_number(100 * value, min(_decimals(100 * value), 2))} %"
    return format_number(value, min(_decimals(value), 4))


def _percentile_text(p: float) -> str:
    return f"P{format_number(100 * p, 0 if 0.01 <= p <= 0.99 else 1)}"


def _switching_text(name: str, value: float, direction: int, within: bool, pct: float) -> str:
    if not np.isfinite(value):
        return "krydser ikke 0 for nogen meningsfuld værdi af inputtet"
    word = {1: "mindst", -1: "højst"}.get(direction, "præcis")
    where = (
        f"({_percentile_text(pct)} af fordelingen)" if within else "(uden for det antagne interval)"
    )
    return f"{word} {_value_text(name, value)} {where}"


def _actor_heading(actor: str) -> str:
    return "i alt" if actor == TOTAL else actor


def _break_even_text(year: float) -> str:
    return "ikke i perioden" if year < 0 else f"{int(year)}"


def scenario_rows(sc: xr.Dataset, actor: str = TOTAL) -> tuple[list[str], list[list[str]]]:
    """Return the scenario table of one actor as Danish text cells (header, rows).

    Columns: scenario, deterministic result, mean, 90 % interval, P(> 0), break-even year
    (deterministic / median draw), difference to the base ± its MCSE.
    """
    sel = sc.sel(actor=actor)
    header = [
        "Scenarie",
        "Deterministisk",
        "Middelværdi",
        "90 %-interval",
        "P(> 0)",
        "Tilbagebetalingsår (det./median)",
        "Forskel fra basis ± MCSE",
    ]
    rows = []
    for i, name in enumerate(sc.scenario.values):
        diff = (
            "–"
            if i == 0
            else f"{format_number(float(sel.difference_mean[i]))} ± "
            f"{format_number(float(sel.difference_mcse[i]))}"
        )
        rows.append(
            [
                str(name),
                format_number(float(sel.deterministic[i])),
                format_number(float(sel["mean"][i])),
                f"{format_number(float(sel.p05[i]))} til {format_number(float(sel.p95[i]))}",
                format_pct(float(sel.p_positive[i])),
                f"{_break_even_text(float(sel.break_even_deterministic[i]))} / "
                f"{_break_even_text(float(sel.break_even_median[i]))}",
                diff,
            ]
        )
    return header, rows


def scenario_text(sc: xr.Dataset) -> str:
    """Return the scenario tables of every actor in `sc` as Danish text (the CLI output)."""
    lines = [
        f"Følsomhedsscenarier: {sc.attrs['case_name']} ({format_number(sc.attrs['draws'])} "
        f"træk, fælles tilfældige tal, design {sc.attrs['design']}, seed {sc.attrs['seed']})",
        "Akkumuleret nettoresultat over perioden, kr.",
        "",
    ]
    for actor in map(str, sc.actor.values):
        header, rows = scenario_rows(sc, actor)
        lines += [f"{_actor_heading(actor).capitalize()}:", render_table(header, rows), ""]
    for name, text in zip(sc.scenario.values, sc.description.values, strict=True):
        if text:
            lines.append(f"  {name}: {text}")
    return "\n".join(lines).rstrip()


def scenario_json(sc: xr.Dataset) -> dict[str, Any]:
    """Return the scenario analysis as JSON-ready attributes and rows (scenario × actor)."""
    frame = _finite_frame(sc)
    return {
        "attrs": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in sc.attrs.items()},
        "rows": json.loads(frame.reset_index().to_json(orient="records", force_ascii=False)),
    }


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
    actors: Sequence[str] | None = None,
    level: float | None = None,
    overwrite: bool = False,
    background: Background | None = None,
    figures: FigureWriter | None = None,
) -> str:
    """Run the analyses, write their files to `out`, and return a readable report.

    Parameters
    ----------
    case : Case
        A validated case.
    out : Path
        Output folder.
    method : {"tornado", "sobol", "breakeven", "scenarios", "all"}
        ``tornado``: tornado, spider and deterministic switching values; ``sobol``: Sobol
        indices (over the horizon and per year), rank measures and downside drivers;
        ``breakeven``: the input values at which P(> 0) reaches 50 % (and `level`);
        ``scenarios``: the case's scenarios; ``all``: every one (scenarios when declared).
    levels, relative, groups
        Tornado settings (see :func:`som_mc.sensitivity.tornado`).
    n_base : int
        Sobol base samples.
    draws : int
        Monte Carlo draws (rank measures, break-even values, scenarios).
    seed : int or None
        Seed of every random part.
    actors : sequence of str, optional
        Aktører (and/or ``"total"``) for tables and figures; default every one and the total.
    level : float, optional
        A further probability for the break-even values (besides 0.5).
    overwrite : bool
        Replace existing output files.
    background : Background, optional
        Jobs started earlier (:mod:`som_mc.present.background`) whose values the Sobol
        part uses: ``"sobol_values"``, ``sobol_base_values(case, n_base, seed)``, and
        ``"rank_analysis"``, ``rank_analysis(case, draws=draws, seed=seed, actors=…)`` of
        the chosen actors; what it lacks is computed here (in the figure helper process
        when there is one).
    figures : FigureWriter, optional
        A writer for `out` started earlier (:meth:`FigureWriter.start`, its helper
        importing matplotlib meanwhile); it is closed here. Default: one made here, after
        importing the plot module so that its helper has it.

    Raises
    ------
    SomMcError
        If any output file exists and `overwrite` is false (nothing is written then), or an
        argument is invalid (an unknown actor, scenarios on a case without any).
    """
    if method not in METHODS:
        raise SomMcError(f"method must be one of {', '.join(METHODS)}; received {method!r}")
    model = compile_case(case)
    all_actors = [*case.actors, TOTAL]
    chosen = check_actors(all_actors, actors)
    parts = _parts(method, case)
    if "scenarios" in parts and not case.scenarios:
        raise SomMcError(
            f"{case.name}: the case declares no scenarios; add [[scenarios]] tables (see "
            "cases/README.md) or choose another --method"
        )
    targets = [out / name for name in _targets(parts, chosen)]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not overwrite:
        raise SomMcError(
            f"{out}: {len(existing)} output file(s) exist ({', '.join(existing[:3])}"
            f"{', …' if len(existing) > 3 else ''}); pass overwrite=True to replace them"
        )
    seed = normalize_seed(seed)
    input_groups(model, groups)  # bad patterns fail before anything is written
    prov = {"case_sha256": case_hash(case), "seed": seed, "som_mc_version": __version__}
    # the text report shows the total (or the chosen actors); the files hold every chosen one
    shown = [a for a in chosen if a == TOTAL] if actors is None else chosen
    shown = shown or chosen[:1]
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"Følsomhedsanalyse: {case.name}", ""]
    years = f"{case.start_year}–{case.start_year + case.horizon_years - 1}"
    if figures is None and parts != ["breakeven"]:
        # the helper forked at the first figure then has matplotlib (and the plot
        # functions) without importing them itself; a writer started earlier (`figures`)
        # has its helper import them while this process works
        importlib.import_module(PLOTS)
    # figures are drawn while the analyses go on (on a second CPU when there is one)
    # BLAS on one thread: its products here are small, and its spinning threads would fight
    # the figure helper for the CPUs (a 10.000 × 69 regression then takes seconds)
    with (
        xarray_without_dask(),  # no dask array is made: skip importing dask
        threadpool_limits(limits=1, user_api="blas"),
        FigureWriter(out) if figures is None else figures as figs,
    ):
        if "tornado" in parts:
            lines += _tornado_part(
                case, out, figs, prov, chosen, shown, levels, relative, groups, years
            )
        if "sobol" in parts:
            lines += _sobol_part(
                case, out, figs, prov, chosen, shown, n_base, seed, groups, draws, background
            )
        if "breakeven" in parts:
            lines += _breakeven_part(case, out, prov, chosen, shown, draws, seed, level)
        if "scenarios" in parts:
            lines += _scenario_part(case, out, figs, prov, chosen, draws, seed)
    lines += ["", f"Tabeller og figurer gemt i {out}/"]
    return "\n".join(lines)


def _uncertain_names(case: Case) -> list[str]:
    """Names of the case's uncertain inputs (sampled-column order)."""
    return compile_case(case).uncertain_names


def _tornado_part(
    case: Case,
    out: Path,
    figs: FigureWriter,
    prov: Mapping[str, object],
    chosen: list[str],
    shown: list[str],
    levels: tuple[float, float],
    relative: float | None,
    groups: Mapping[str, Sequence[str]] | None,
    years: str,
) -> list[str]:
    lines: list[str] = []
    tor = tornado(case, levels=levels, relative=relative, groups=groups, actors=chosen)
    # each figure is handed over as soon as its data exist: the helper draws meanwhile
    for actor in chosen:
        figs.add(plot_tornado, tor, f"tornado_{actor_file_name(actor)}", actor=actor)
    side = (
        f"P{round(100 * levels[0])}/P{round(100 * levels[1])}"
        if relative is None
        else f"±{format_number(100 * relative)} %"
    )
    singles = set(_uncertain_names(case))
    sp = spider(case, inputs=[str(n) for n in tor.input.values if n in singles][:6], actors=chosen)
    for actor in chosen:
        figs.add(plot_spider, sp, f"spider_{actor_file_name(actor)}", actor=actor)
    _write_table(tor, out, "tornado", prov)
    _write_table(sp, out, "spider", prov)
    for actor in shown:
        sel = tor.sel(actor=actor)
        order = np.argsort(-sel.swing.values, kind="stable")
        rows = [
            [
                str(tor.label.values[i]),
                format_number(float(tor.value_low.values[i]), 2),
                format_number(float(tor.value_high.values[i]), 2),
                format_number(float(sel.result.values[i, 0])),
                format_number(float(sel.result.values[i, 1])),
                format_number(float(sel.swing.values[i])),
            ]
            for i in order
        ]
        lines += [
            f"Basisresultat (middelværdier), {_actor_heading(actor)}, akkumuleret {years}: "
            f"{format_number(float(sel.base))} kr.",
            "",
            f"Tornado ({side}), nettoresultat {_actor_heading(actor)}:",
            render_table(
                ["Input", "Lav værdi", "Høj værdi", "Resultat lav", "Resultat høj", "Udsving"],
                rows,
            ),
            "",
        ]
    sv = switching_values(case, actors=chosen)
    _write_table(sv, out, "switching_values", prov)
    for actor in shown:
        lines.append(f"Skifteværdier: nettoresultat {_actor_heading(actor)} = 0 over {years}")
        for name, label in zip(sv.input.values, sv.label.values, strict=True):
            cell = sv.sel(input=name, actor=actor)
            text = _switching_text(
                str(name),
                float(cell.switching_value),
                int(cell.direction),
                bool(cell.within),
                float(cell.percentile),
            )
            lines.append(f"  {label}: {text}")
        if "success_rate" in sv.input.values:
            value = float(sv.switching_value.sel(input="success_rate", actor=actor))
            if np.isfinite(value):
                lines += [
                    "",
                    f"Succesraten skal være mindst {format_pct(value, 1)} for at indsatsen "
                    f"betaler sig tilbage inden for {case.horizon_years} år "
                    f"({_actor_heading(actor)}).",
                ]
        lines.append("")
    return lines


def _sobol_part(
    case: Case,
    out: Path,
    figs: FigureWriter,
    prov: Mapping[str, object],
    chosen: list[str],
    shown: list[str],
    n_base: int,
    seed: int,
    groups: Mapping[str, Sequence[str]] | None,
    draws: int,
    background: Background | None,
) -> list[str]:
    lines: list[str] = []
    # the helper process (or the one started earlier, `background`) draws the Sobol
    # sample (importing scipy.stats), maps it through the quantile functions and runs the
    # Monte Carlo part while this one loads the compiled kernel
    values: Callable[[], Any]
    rank_parts: Callable[[], Any]
    if background is not None and "sobol_values" in background:
        values = partial(background.result, "sobol_values")
    else:
        values = figs.run(sobol_base_values, case, n_base, seed)
    if background is not None and "rank_analysis" in background:
        rank_parts = partial(background.result, "rank_analysis")
    else:
        rank_parts = figs.run(rank_analysis, case, draws=draws, seed=seed, actors=chosen)
    load_kernel(compile_case(case))
    sob = sobol_analysis(
        case, n_base=n_base, seed=seed, groups=groups, actors=chosen, values=values()
    )
    for actor in chosen:  # first: the helper draws them while the tables are written
        name = actor_file_name(actor)
        figs.add(plot_sobol, sob, f"sobol_{name}", actor=actor)
        figs.add(plot_sobol_by_year, sob, f"sobol_by_year_{name}", actor=actor)
    _write_table(sob[["S1", "S1_conf", "ST", "ST_conf"]], out, "sobol", prov)
    _write_table(sob[["S1_by_year", "ST_by_year"]], out, "sobol_by_year", prov)
    for actor in shown:
        sel = sob.sel(actor=actor)
        order = np.argsort(-np.nan_to_num(sel.ST.values), kind="stable")
        rows = [
            [
                str(sob.label.values[i]),
                f"{format_number(sel.S1.values[i], 3)} ± {format_number(sel.S1_conf.values[i], 3)}",
                f"{format_number(sel.ST.values[i], 3)} ± {format_number(sel.ST_conf.values[i], 3)}",
            ]
            for i in order
        ]
        lines += [
            f"Sobol-indeks, {_actor_heading(actor)} "
            f"({format_number(sob.attrs['n_evaluations'])} beregninger, "
            f"{round(100 * sob.attrs['conf_level'])} %-konfidensinterval):",
            render_table(["Input", "S1", "ST"], rows),
            "",
        ]
    if "warning" in sob.attrs:
        lines += [str(sob.attrs["warning"]), ""]
    ranks, down = rank_parts()
    _write_table(ranks, out, "rank_correlations", prov)
    _write_table(down, out, "downside_drivers", prov)
    for actor in shown:
        tot = ranks.sel(actor=actor)
        order = np.argsort(-np.abs(tot.spearman.values), kind="stable")
        lines += [
            f"Rangkorrelation med nettoresultat {_actor_heading(actor)} "
            f"({format_number(draws)} træk, SRRC R² = {format_number(tot.srrc_r2.item(), 2)}):",
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
            "",
        ]
        d = down.sel(actor=actor)
        order = np.argsort(-np.abs(d.p_loss_swing.values), kind="stable")[:10]
        lines += [
            f"Nedsiderisiko, {_actor_heading(actor)}: P(nettoresultat < 0) = "
            f"{format_pct(float(d.p_loss), 1)}; efter inputtets laveste og højeste tredjedel:",
            render_table(
                ["Input", "P(tab) lav", "P(tab) høj", "Forskel", "KS-afstand tab/gevinst"],
                [
                    [
                        str(down.label.values[i]),
                        format_pct(float(d.p_loss_low[i]), 1),
                        format_pct(float(d.p_loss_high[i]), 1),
                        f"{'+' if d.p_loss_swing[i] >= 0 else ''}"
                        f"{format_number(100 * float(d.p_loss_swing[i]), 1)} pp",
                        format_number(float(d.ks[i]), 2),
                    ]
                    for i in order
                ],
            ),
            "",
        ]
    return lines


def _breakeven_part(
    case: Case,
    out: Path,
    prov: Mapping[str, object],
    chosen: list[str],
    shown: list[str],
    draws: int,
    seed: int,
    level: float | None,
) -> list[str]:
    levels = sorted({0.5, *([] if level is None else [level])})
    be = probabilistic_switching(case, levels=levels, draws=draws, seed=seed, actors=chosen)
    _write_table(be, out, "breakeven", prov)
    lines: list[str] = []
    for actor in shown:
        for q in levels:
            lines.append(
                f"Break-even-værdier med de øvrige input usikre: P(nettoresultat "
                f"{_actor_heading(actor)} > 0) = {format_pct(q)} ({format_number(draws)} træk):"
            )
            rows = []
            for i, name in enumerate(be.input.values):
                cell = be.sel(actor=actor, level=q).isel(input=i)
                v = float(cell.value)
                if not np.isfinite(v):
                    text, where = "nås ikke", ""
                else:
                    text = (
                        f"{_value_text(str(name), v)} ± {_value_text(str(name), float(cell.mcse))}"
                    )
                    where = (
                        _percentile_text(float(cell.percentile))
                        if bool(cell.within)
                        else "uden for det antagne interval"
                    )
                rows.append([str(be.label.values[i]), text, where])
            lines += [render_table(["Input", "Værdi ± MCSE", "Placering"], rows), ""]
    return lines


def _scenario_part(
    case: Case,
    out: Path,
    figs: FigureWriter,
    prov: Mapping[str, object],
    chosen: list[str],
    draws: int,
    seed: int,
) -> list[str]:
    sc = scenario_analysis(case, draws=draws, seed=seed, actors=chosen)
    _write_table(sc, out, "scenarios", prov)
    for actor in chosen:
        figs.add(plot_scenarios, sc, f"scenarios_{actor_file_name(actor)}", actor=actor)
    return [scenario_text(sc), ""]
