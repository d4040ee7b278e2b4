"""The deterministic SØM calculation on point values (docs/method.md §2).

This is the reference every later part of som_mc must reproduce: with every input fixed and
outcome noise off, one Monte Carlo draw equals this calculation. It is written as plain
loops over cohorts, consequences and years, close to the formulas, for readability rather
than speed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import xarray as xr

from som_mc._version import __version__
from som_mc.case import Case, case_hash
from som_mc.distributions import point_value
from som_mc.model.axes import NOT_WITHIN_HORIZON, break_even_index, n_model_years, year_axis
from som_mc.types import PointEstimate

__all__ = ["deterministic"]


def _cost_years(case: Case, cost_kind: str, year: int | None, years: list[int] | None) -> list:
    if cost_kind == "one_off":
        return [year or 0]
    if years is not None:
        return list(years)
    return list(range(case.n_cohorts))


def deterministic(case: Case, *, point: PointEstimate = "mean") -> xr.Dataset:
    """Run the deterministic SØM calculation on point values of every input.

    Parameters
    ----------
    case : Case
        A validated investeringscase (see :func:`som_mc.load_case`).
    point : {"mean", "median", "mode"}, default "mean"
        Which point value of each input distribution to use. The mean makes the result the
        Monte Carlo expectation of this multilinear model when inputs are independent and
        outcome noise is off.

    Returns
    -------
    xarray.Dataset
        Dimensions ``year`` (calendar years) × ``actor``, plus ``consequence`` and
        ``cost_line`` for the breakdowns. Amounts are kroner in ``case.price_year`` prices;
        positive net result is good for public budgets.
    """
    if point not in ("mean", "median", "mode"):
        raise ValueError(f"point must be 'mean', 'median' or 'mode'; received {point!r}")
    actors = list(case.actors)
    a_index = {a: i for i, a in enumerate(actors)}
    n_a = len(actors)
    n_t = n_model_years(case)
    n_c = case.n_cohorts
    delay = case.participants.effect_delay
    span = case.participants.course_span

    def pv(dist: object) -> float:
        return point_value(dist, point)  # type: ignore[arg-type]

    participants = np.array([pv(n) for n in case.participants.per_year])
    success = pv(case.success_rate)
    successes = success * participants
    keep = 1.0 - pv(case.outcome.dropoff_rate)

    # consequences: value = -ΔE, per consequence, year, actor
    n_k = len(case.consequences)
    value_k = np.zeros((n_k, n_t, n_a))
    for k, cons in enumerate(case.consequences):
        scale = pv(cons.scale)
        profile = [pv(x) * scale for x in cons.profile]
        prices = np.zeros(n_a)
        for actor, price in cons.price.items():
            prices[a_index[actor]] = pv(price)
        for c in range(n_c):
            for tau, dq in enumerate(profile):
                if cons.applies_to == "successes":
                    t = c + delay + tau
                    persons = successes[c] * keep**tau
                else:
                    t = c + tau
                    persons = participants[c]
                    if tau >= span:  # validated away; kept as a guard
                        continue
                if t >= n_t:
                    continue
                value_k[k, t, :] -= persons * dq * prices

    # costs per line (each line belongs to one actor)
    n_l = len(case.costs)
    cost_l = np.zeros((n_l, n_t))
    for line_i, line in enumerate(case.costs):
        amount = pv(line.amount) * (-1.0 if line.saved else 1.0)
        if line.kind == "per_participant":
            for c in range(n_c):
                for j, share in enumerate(line.schedule or [1.0]):
                    if c + j < n_t:
                        cost_l[line_i, c + j] += participants[c] * amount * share
        else:
            for t in _cost_years(case, line.kind, line.year, line.years):
                cost_l[line_i, t] += amount
    cost = np.zeros((n_t, n_a))
    for line_i, line in enumerate(case.costs):
        cost[:, a_index[line.actor]] += cost_l[line_i]

    value = value_k.sum(axis=0)
    net = value - cost
    discount = (1.0 + case.discount_rate) ** -np.arange(n_t, dtype=float)
    net_disc = net * discount[:, None]
    cum = np.cumsum(net, axis=0)
    cum_disc = np.cumsum(net_disc, axis=0)
    total_participants = float(participants.sum())

    years = year_axis(case)

    def year_of(index: np.ndarray) -> np.ndarray:
        return np.where(index >= 0, case.start_year + index, NOT_WITHIN_HORIZON)

    be_actor = year_of(break_even_index(cum.T))
    be_total = year_of(break_even_index(cum.sum(axis=1)))
    per_participant = (
        cum[-1] / total_participants if total_participants > 0 else np.full(n_a, math.nan)
    )

    ya = ("year", "actor")
    money = {"units": "DKK", "price_year": case.price_year}
    ds = xr.Dataset(
        {
            "cost": (ya, cost, {"long_name": "Omkostninger", **money}),
            "consequence_value": (
                ya,
                value,
                {
                    "long_name": "Værdi af konsekvenser (mindreudgifter)",
                    "description": "-ΔE: positive when public expenditure falls",
                    **money,
                },
            ),
            "net_result": (ya, net, {"long_name": "Nettoresultat", **money}),
            "cumulative_net_result": (ya, cum, {"long_name": "Akkumuleret nettoresultat", **money}),
            "net_result_discounted": (
                ya,
                net_disc,
                {"long_name": "Nettoresultat, tilbagediskonteret", **money},
            ),
            "cumulative_net_result_discounted": (
                ya,
                cum_disc,
                {"long_name": "Akkumuleret nettoresultat, tilbagediskonteret", **money},
            ),
            "discount_factor": ("year", discount, {"long_name": "Diskonteringsfaktor"}),
            "consequence_value_by_consequence": (
                ("consequence", "year", "actor"),
                value_k,
                {"long_name": "Værdi af konsekvens", **money},
            ),
            "cost_by_line": (
                ("cost_line", "year"),
                cost_l,
                {"long_name": "Omkostning pr. post", **money},
            ),
            "participants": (
                "cohort",
                participants,
                {"long_name": "Antal deltagere", "units": "personer"},
            ),
            "successes": (
                "cohort",
                successes,
                {"long_name": "Antal succeser", "units": "personer"},
            ),
            "net_result_per_participant": (
                "actor",
                per_participant,
                {"long_name": "Nettoresultat pr. deltager", **money},
            ),
            "break_even_year": (
                "actor",
                be_actor,
                {"long_name": "Tilbagebetalingsår", "not_within_horizon": NOT_WITHIN_HORIZON},
            ),
            "break_even_year_total": (
                (),
                int(be_total),
                {"long_name": "Tilbagebetalingsår, i alt", "not_within_horizon": -1},
            ),
        },
        coords={
            "year": ("year", years, {"long_name": "År"}),
            "model_year": ("year", np.arange(n_t), {"long_name": "Modelår (0 = første år)"}),
            "actor": ("actor", actors, {"long_name": "Aktør"}),
            "consequence": ("consequence", [c.name for c in case.consequences]),
            "consequence_label": ("consequence", [c.display for c in case.consequences]),
            "cost_line": ("cost_line", [c.name for c in case.costs]),
            "cost_line_label": ("cost_line", [c.display for c in case.costs]),
            "cost_line_actor": ("cost_line", [c.actor for c in case.costs]),
            "cohort": ("cohort", case.start_year + np.arange(n_c), {"long_name": "Optagsår"}),
        },
        attrs={
            "case_name": case.name,
            "case_sha256": case_hash(case),
            "price_year": case.price_year,
            "start_year": case.start_year,
            "horizon_years": case.horizon_years,
            "horizon_mode": case.horizon_mode,
            "discount_rate": case.discount_rate,
            "point_estimate": point,
            "total_participants": total_participants,
            "catalog_entries": json.dumps(
                [use.as_dict() for use in case.catalog_uses], ensure_ascii=False
            ),
            "som_mc_version": __version__,
        },
    )
    return ds
