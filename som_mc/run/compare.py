"""Comparing investeringscases with common random numbers (docs/method.md §4).

A kommune choosing between indsatser, or between versions of one indsats, wants the
difference between them, not two independent forecasts. :func:`compare` runs every case with
**common random numbers** (CRN): random streams are keyed by (seed, input name, block), so an
input with the same name in two cases (``success_rate``, ``costs.drift.amount``,
``consequences.herberg.price.kommune`` …) gets the same stream and therefore the same draws,
and draw ``i`` of every case describes the same "state of the world". Inputs that are the
same quantity under different names can be declared as sharing a stream (``shared``). The
paired difference per draw then carries only the real difference between the cases, and its
Monte Carlo standard error is far smaller than that of two independent runs.

What is compared is the cumulative (undiscounted) nettoresultat over the horizon, per aktør
and in total: each case's summary, the paired difference from the first case (the baseline)
with its bands, P(each case has the highest nettoresultat), the expected rank and the
break-even year with its paired difference.

Common random numbers hold per input for the ``lhs`` design (the default here): each input's
uniforms come from its own stream and map through its quantile function, so an input whose
distribution differs between the cases (a succesrate with another mean) stays monotonically
coupled. The ``random`` design shares streams too, but NumPy's samplers for beta (PERT),
gamma, Poisson and binomial use rejection, which consumes a varying amount of randomness per
draw: paired draws of such an input drift apart once its parameters differ (identical
distributions still pair exactly). The ``sobol``
design draws one scrambled Sobol sequence over all uncertain inputs *by position*, so two
cases share random numbers only for inputs at the same position in their input order (all
of them when the cases have the same uncertain inputs); ``shared_inputs`` in the result says
how many inputs share. Rank correlations (Iman–Conover) reorder the correlated inputs' draws,
so those share only when both cases declare the same correlations.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

import numpy as np
import xarray as xr

from som_mc._version import __version__, dependency_version
from som_mc.case import Case, case_hash, case_inputs
from som_mc.errors import SomMcError
from som_mc.model import NOT_WITHIN_HORIZON, TOTAL, break_even_index, n_model_years
from som_mc.run.driver import run
from som_mc.run.spec import RunSpec
from som_mc.sampling import Design, normalize_seed
from som_mc.sampling._streams import name_key
from som_mc.stats.cells import describe_rows
from som_mc.stats.comparison import paired_statistics
from som_mc.types import DEFAULT_DESIGN

__all__ = [
    "ALIGN_OPTIONS",
    "COMPARE_QUANTILES",
    "Align",
    "ComparisonError",
    "check_aligned",
    "compare",
    "unique_labels",
]

#: How cases that differ in years or actors are aligned: ``"union"`` takes the union of
#: years (a contiguous span) and of actors; missing years and actors count as 0.
Align = Literal["union"]
ALIGN_OPTIONS: tuple[str, ...] = get_args(Align)

#: Quantiles kept for every case and difference (P5, P25, P50, P75, P95: the 50 % and 90 %
#: bands of the comparison figure and the 90 % interval of the table).
COMPARE_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.50, 0.75, 0.95)


class ComparisonError(SomMcError, ValueError):
    """Cases that cannot be compared as given, or bad arguments to :func:`compare`."""


def unique_labels(names: Sequence[str]) -> list[str]:
    """Return `names` made distinct by appending `` (2)``, `` (3)`` … to repeats.

    Examples
    --------
    >>> unique_labels(["a", "b", "a"])
    ['a', 'b', 'a (2)']
    """
    out: list[str] = []
    for name in names:
        label, k = name, 2
        while label in out:
            label, k = f"{name} ({k})", k + 1
        out.append(label)
    return out


def _year_axis(case: Case) -> tuple[int, int]:
    """First calendar year and number of years of a case's year axis."""
    return case.start_year, n_model_years(case)


def check_aligned(
    cases: Sequence[Case],
    *,
    names: Sequence[str] | None = None,
    align: Align | None = None,
    option: str = 'align="union"',
) -> None:
    """Check that cases can be compared: same prices, year axis and actors.

    Every case is checked against the first (the baseline). The year axes must have the same
    first year and length and the actors the same set (order may differ), unless
    ``align="union"``. The price year must always agree: amounts in different prisniveauer
    cannot be compared.

    Parameters
    ----------
    cases : sequence of Case
        The cases, baseline first.
    names : sequence of str, optional
        How to name the cases in messages (file names in the CLI); by default their names.
    align : {"union"} or None
        The alignment the caller will use.
    option : str
        How the caller asks for the union alignment, quoted in the message (the CLI passes
        ``"--align union"``).

    Raises
    ------
    ComparisonError
        Naming both cases and what differs, with the values, and how to align them.
    """
    if names is None:
        names = [repr(c.name) for c in cases]
    base, base_name = cases[0], names[0]
    for case, name in zip(cases[1:], names[1:], strict=True):
        if case.price_year != base.price_year:
            raise ComparisonError(
                f"{base_name} and {name} differ in price_year ({base.price_year} vs "
                f"{case.price_year}); amounts in different price levels cannot be compared — "
                "restate one case in the other's price_year"
            )
        if align == "union":
            continue
        diffs, fixes = [], []
        (b_start, b_len), (c_start, c_len) = _year_axis(base), _year_axis(case)
        if b_start != c_start:
            diffs.append(f"start_year ({b_start} vs {c_start})")
        if base.horizon_years != case.horizon_years:
            diffs.append(f"horizon_years ({base.horizon_years} vs {case.horizon_years})")
        elif b_len != c_len:
            diffs.append(
                f"the length of the year axis ({b_len} vs {c_len} years; horizon_mode "
                '"per_cohort" extends it)'
            )
        if diffs:
            fixes.append("years")
        only_base = [a for a in base.actors if a not in case.actors]
        only_case = [a for a in case.actors if a not in base.actors]
        if only_base or only_case:
            parts = []
            if only_base:
                parts.append(f"only {base_name} has {', '.join(only_base)}")
            if only_case:
                parts.append(f"only {name} has {', '.join(only_case)}")
            diffs.append(f"actors ({'; '.join(parts)})")
            fixes.append("actors")
        if diffs:
            what = " and ".join(fixes)
            raise ComparisonError(
                f"{base_name} and {name} differ in {' and '.join(diffs)}; pass {option} to "
                f"compare them over the union of {what} (missing {what} count as 0)"
            )


def _check_shared(
    shared: Mapping[str, str],
    cases: Sequence[Case],
    labels: Sequence[str],
    design: str,
    common_random_numbers: bool,
) -> None:
    if not shared:
        return
    if not common_random_numbers:
        raise ComparisonError(
            "shared streams need common random numbers; drop shared or set "
            "common_random_numbers=True"
        )
    if design == "sobol":
        raise ComparisonError(
            "shared streams have no effect with the sobol design, which hands out random "
            "numbers by input position; use design random or lhs"
        )
    uncertain = [[s.name for s in case_inputs(c) if s.uncertain] for c in cases]
    known = sorted({n for names in uncertain for n in names})
    for key, target in shared.items():
        if not isinstance(key, str) or not isinstance(target, str) or not key or not target:
            raise ComparisonError(
                f"shared must map input names to stream names (text); received {key!r}: {target!r}"
            )
        if key == target:
            raise ComparisonError(f"shared maps {key!r} to itself; leave it out")
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ComparisonError(
                f"shared: {key!r} is not an uncertain input of any of the cases{hint}; inputs "
                "are named like 'success_rate', 'costs.<name>.amount', "
                "'consequences.<name>.price.<actor>'"
            )
    for case, label, names in zip(cases, labels, uncertain, strict=True):
        correlated = {n for corr in case.correlations for n in corr.inputs}
        seen: dict[str, str] = {}
        for name in names:
            stream_name = shared.get(name, name)
            if name in shared and name in correlated:
                raise ComparisonError(
                    f"case {label!r}: input {name!r} takes part in a rank correlation; "
                    "shared streams cannot be declared for correlated inputs"
                )
            if stream_name in seen:
                raise ComparisonError(
                    f"case {label!r}: inputs {seen[stream_name]!r} and {name!r} would share "
                    "one stream and get identical draws; declare sharing only between inputs "
                    "of different cases"
                )
            seen[stream_name] = name


def _case_seed(seed: int, index: int, common_random_numbers: bool) -> int:
    """Return the seed of case `index`: the common seed, or one derived from (seed, index)."""
    if common_random_numbers:
        return seed
    seq = np.random.SeedSequence(seed, spawn_key=(name_key("compare:independent"), index))
    return int(seq.generate_state(1, dtype=np.uint64)[0])


def _shared_count(base: Sequence[str], names: Sequence[str], design: str) -> int:
    """Count a case's uncertain inputs that draw the same random numbers as the baseline's."""
    if design == "sobol":
        return sum(1 for a, b in zip(base, names, strict=False) if a == b)
    return len(set(base) & set(names))


def compare(
    cases: Sequence[Case],
    *,
    draws: int = 10_000,
    seed: int | None = None,
    design: Design = DEFAULT_DESIGN,
    labels: Sequence[str] | None = None,
    align: Align | None = None,
    common_random_numbers: bool = True,
    shared: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Compare investeringscases draw by draw with common random numbers.

    Parameters
    ----------
    cases : sequence of Case
        Two or more validated cases; the first is the baseline the differences refer to.
    draws : int, default 10000
        Monte Carlo draws per case.
    seed : int or None
        Seed; ``None`` draws fresh entropy, recorded in the ``seed`` attribute.
    design : {"random", "lhs", "sobol"}, default "lhs"
        Sampling design (see the module notes on ``random`` and ``sobol``).
    labels : sequence of str, optional
        Distinct names of the cases (the ``case`` coordinate); by default their names,
        made distinct with `` (2)`` … when repeated.
    align : {"union"} or None
        ``None``: the cases must have the same price year, year axis (first year and
        length) and set of actors. ``"union"``: compare over the union of years (a
        contiguous span) and of actors; a case's missing years and actors count as 0.
    common_random_numbers : bool, default True
        Run every case with the same seed so that same-named inputs get the same draws.
        ``False`` gives each case its own seed derived from (`seed`, case index): independent
        runs, for comparison.
    shared : mapping of str to str, optional
        Inputs that are the same quantity under different names: input name → name of the
        stream it should draw from, e.g. ``{"consequences.shelter.price.kommune":
        "consequences.herberg.price.kommune"}``. Needs the ``random`` or ``lhs`` design.

    Returns
    -------
    xarray.Dataset
        Dimensions ``draw``, ``case``, ``actor`` (the actors + ``"total"``), ``year`` and
        ``quantile`` (:data:`COMPARE_QUANTILES`). Amounts are undiscounted kroner in the
        cases' price year; "horizon" is the cumulative nettoresultat over all years.

        - ``horizon_net_result`` (draw, case, actor) and its ``horizon_mean``,
          ``horizon_mcse``, ``horizon_sd``, ``horizon_quantile``, ``horizon_p_positive``.
        - ``cumulative_mean`` (case, year, actor) and ``cumulative_quantile`` (quantile,
          case, year, actor): bands of the cumulative nettoresultat per year.
        - ``difference`` (draw, case, actor): the paired difference case − baseline (0 for
          the baseline), with ``difference_mean``, ``difference_mcse`` (sd / √n),
          ``difference_sd``, ``difference_quantile``, ``difference_p_positive`` and
          ``difference_p_positive_se``.
        - ``p_best`` and ``p_best_se`` (case, actor): P(the case has the highest
          nettoresultat; ties split evenly); ``expected_rank`` and ``expected_rank_se``
          (1 = best, ties share the average rank).
        - ``break_even_year`` (draw, case, actor): first calendar year, within the case's
          own years, whose cumulative result is ≥ 0; -1 when not within the horizon.
          ``break_even_median`` (-1 when the median draw does not break even),
          ``break_even_never``; paired with the baseline (never = later than any year):
          ``break_even_difference_median`` (years; ±inf when only one of the two breaks
          even, NaN cannot occur), ``break_even_p_earlier``, ``break_even_p_same``,
          ``break_even_p_later``.
        - ``uncertain_inputs`` and ``shared_inputs`` (case): how many uncertain inputs the
          case has and how many of them draw the same random numbers as the baseline's.

    Raises
    ------
    ComparisonError
        Fewer than two cases, repeated labels, cases that differ in price year, or in years
        or actors without `align`, or a bad `shared` declaration.

    Examples
    --------
    >>> import som_mc
    >>> a = som_mc.load_case("cases/housing_first.toml")  # doctest: +SKIP
    >>> cmp = som_mc.compare([a, a], draws=2000, seed=1)  # doctest: +SKIP
    >>> float(abs(cmp.difference).max())  # doctest: +SKIP
    0.0
    """
    cases = list(cases)
    if len(cases) < 2:
        raise ComparisonError(f"compare needs at least two cases; received {len(cases)}")
    if align is not None and align not in ALIGN_OPTIONS:
        raise ComparisonError(
            f"align must be None or one of {', '.join(map(repr, ALIGN_OPTIONS))}; "
            f"received {align!r}"
        )
    if labels is None:
        labels = unique_labels([c.name for c in cases])
    else:
        labels = [str(label) for label in labels]
        if len(labels) != len(cases):
            raise ComparisonError(
                f"expected one label per case ({len(cases)}); received {len(labels)}"
            )
        repeated = sorted({x for x in labels if labels.count(x) > 1})
        if repeated:
            raise ComparisonError(f"labels must be distinct; repeated: {', '.join(repeated)}")
    shared = dict(shared or {})
    seed = normalize_seed(seed)
    RunSpec.make(cases[0], draws=draws, seed=seed, design=design)  # validates the settings
    check_aligned(cases, names=[f"case {label!r}" for label in labels], align=align)
    _check_shared(shared, cases, labels, design, common_random_numbers)

    axes = [_year_axis(c) for c in cases]
    first = min(start for start, _ in axes)
    last = max(start + n for start, n in axes)
    years = np.arange(first, last)
    actors = list(cases[0].actors)
    for case in cases[1:]:
        actors += [a for a in case.actors if a not in actors]
    actor_labels = [*actors, TOTAL]
    n_k, n_t, n_a = len(cases), years.size, len(actor_labels)
    q = np.asarray(COMPARE_QUANTILES)

    horizon = np.empty((draws, n_k, n_a))
    cum_mean = np.empty((n_k, n_t, n_a))
    cum_quant = np.empty((q.size, n_k, n_t, n_a))
    break_even = np.empty((draws, n_k, n_a), dtype=np.int64)
    n_uncertain = np.zeros(n_k, dtype=np.int64)
    n_shared = np.zeros(n_k, dtype=np.int64)
    base_streams: list[str] = []
    for i, case in enumerate(cases):
        spec = RunSpec.make(
            case,
            draws=draws,
            seed=_case_seed(seed, i, common_random_numbers),
            design=design,
            shared=shared,
        )
        streams = spec.model().uncertain_names
        if i == 0:
            base_streams = streams
        n_uncertain[i] = len(streams)
        n_shared[i] = (
            _shared_count(base_streams, streams, design) if common_random_numbers or i == 0 else 0
        )
        start, length = axes[i]
        offset = start - first
        cols = [actors.index(a) for a in case.actors]
        ds = run(spec, keep_draws=True, summary=False).draws
        assert ds is not None
        net = np.zeros((draws, n_t, n_a))
        net[:, offset : offset + length, cols] = ds.net_result.transpose(
            "draw", "year", "actor"
        ).values
        del ds
        net[:, :, -1] = net[:, :, :-1].sum(axis=2)
        cum = np.cumsum(net, axis=1)
        del net
        horizon[:, i, :] = cum[:, -1, :]
        cells = describe_rows(cum.reshape(draws, -1).T, q)
        cum_mean[i] = cells["mean"].reshape(n_t, n_a)
        cum_quant[:, i] = cells["quantile"].reshape(q.size, n_t, n_a)
        own = np.moveaxis(cum[:, offset : offset + length, :], 1, 2)  # (draw, actor, year)
        index = break_even_index(own)
        break_even[:, i, :] = np.where(index >= 0, start + index, NOT_WITHIN_HORIZON)
        del cum, own

    diff = horizon - horizon[:, :1, :]
    stats = paired_statistics(horizon, diff, break_even, q)
    dims_dca = ("draw", "case", "actor")
    money = {"units": "DKK", "price_year": cases[0].price_year}
    data_vars: dict[str, Any] = {
        "horizon_net_result": (
            dims_dca,
            horizon,
            {"long_name": "Akkumuleret nettoresultat over perioden", **money},
        ),
        "cumulative_mean": (("case", "year", "actor"), cum_mean, money),
        "cumulative_quantile": (("quantile", "case", "year", "actor"), cum_quant, money),
        "break_even_year": (
            dims_dca,
            break_even,
            {"long_name": "Tilbagebetalingsår", "missing": NOT_WITHIN_HORIZON},
        ),
        "uncertain_inputs": (("case",), n_uncertain),
        "difference": (
            dims_dca,
            diff,
            {"long_name": "Forskel i nettoresultat fra basis", **money},
        ),
        "shared_inputs": (("case",), n_shared),
        **stats,
    }
    coords: dict[str, Any] = {
        "draw": np.arange(draws),
        "case": ("case", labels),
        "case_name": ("case", [c.name for c in cases]),
        "case_sha256": ("case", [case_hash(c) for c in cases]),
        "first_year": ("case", [start for start, _ in axes]),
        "last_year": ("case", [start + n - 1 for start, n in axes]),
        "year": ("year", years, {"long_name": "År"}),
        "actor": ("actor", actor_labels, {"long_name": "Aktør"}),
        "quantile": ("quantile", q),
    }
    attrs: dict[str, Any] = {
        "title": f"som_mc comparison of {n_k} cases",
        "baseline": labels[0],
        "seed": seed,
        "design": design,
        "draws": draws,
        "common_random_numbers": int(common_random_numbers),
        "align": align or "none",
        "shared": "; ".join(f"{k} = {v}" for k, v in sorted(shared.items())),
        "price_year": cases[0].price_year,
        "som_mc_version": __version__,
        "numpy_version": np.__version__,
        "numba_version": dependency_version("numba"),
        "xarray_version": xr.__version__,
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)
