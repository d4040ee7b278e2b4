"""The numbers behind the beslutningsnotat that the run's summary does not hold.

Everything here is computed from the draws of a run (or the case's own tables) so that the memo
can show it per aktør:

- :func:`cost_bearer`: the aktør that carries the largest share of the expected gross costs;
- :func:`actor_breakdown`: omkostninger, værdi af konsekvenser and nettoresultat over the
  horizon per aktør, undiscounted and discounted, with their quantiles;
- :func:`line_contributions`: each cost line's and each konsekvens' contribution per draw
  (the waterfall). Cost lines are recomputed exactly from the drawn inputs with the compiled
  case's own cost tables; consequence values come from the run when it kept them
  (``keep_consequences``) and otherwise from the kernel evaluated on the run's drawn inputs
  (only without outcome noise, where that is the same arithmetic). The pieces add up to the
  run's ``cost`` and ``consequence_value`` draw by draw (checked; else the waterfall is left
  out);
- :func:`input_provenance` (the case's own :func:`som_mc.case.input_provenance`) and
  :func:`variance_shares`: which inputs rest on illustrative or unsourced numbers
  and roughly which share of the result's variance they carry (squared
  standardised rank regression coefficients, normalised; an approximation that ignores
  interactions and correlations between inputs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from som_mc.case import Case, InputSpec
from som_mc.case import input_provenance as case_provenance
from som_mc.engine import deterministic, run_kernel
from som_mc.model import TOTAL, compile_case
from som_mc.sensitivity import rank_measures
from som_mc.stats.cells import describe_rows

__all__ = [
    "BREAKDOWN_QUANTILES",
    "InputProvenance",
    "Status",
    "actor_breakdown",
    "cost_bearer",
    "input_provenance",
    "input_source",
    "line_contributions",
    "variance_shares",
]

#: Quantiles of the per-aktør breakdown (the 90 % interval and the median).
BREAKDOWN_QUANTILES: tuple[float, ...] = (0.05, 0.50, 0.95)

#: Provenance of an input: from a public source, illustrative, or without any source.
Status = Literal["sourced", "illustrative", "unsourced"]


def input_source(case: Case, spec: InputSpec) -> str:
    """Source text of an input: its cost line's or consequence's, else the case's."""
    parts = spec.name.split(".")
    if parts[0] == "costs":
        for cost in case.costs:
            if spec.name.startswith(f"costs.{cost.name}."):
                return cost.source
    if parts[0] == "consequences":
        for cons in case.consequences:
            if spec.name.startswith(f"consequences.{cons.name}."):
                return cons.source
    return case.source


def cost_bearer(case: Case) -> str:
    """Return the aktør with the largest expected gross cost (saved costs left out).

    The expected cost per line is the deterministic calculation at the inputs' means. Ties go
    to the aktør listed first in the case; a case without costs names its first aktør.
    """
    det = deterministic(case)
    gross = dict.fromkeys(case.actors, 0.0)
    for i, line in enumerate(case.costs):
        if not line.saved:
            gross[line.actor] += float(det.cost_by_line.values[i].sum())
    best = max(case.actors, key=lambda a: (gross[a], -case.actors.index(a)))
    return best if gross[best] > 0 else case.actors[0]


def _with_total(values: np.ndarray) -> np.ndarray:
    """Append the sum over the last axis (actors) as one more column."""
    return np.concatenate([values, values.sum(axis=-1, keepdims=True)], axis=-1)


def _stats(rows: np.ndarray, q: Sequence[float]) -> dict[str, np.ndarray]:
    """Mean, MCSE, quantiles (Q, R) and P(> 0) of rows (R, n) of draws."""
    return describe_rows(rows, q)


def actor_breakdown(
    ds: xr.Dataset, *, quantiles: Sequence[float] = BREAKDOWN_QUANTILES
) -> xr.Dataset:
    """Omkostninger, værdi af konsekvenser and nettoresultat over the horizon per aktør.

    Parameters
    ----------
    ds : xarray.Dataset
        Every draw of a run (:func:`som_mc.simulate` or :func:`som_mc.load_results`).
    quantiles : sequence of float
        Quantile levels.

    Returns
    -------
    xarray.Dataset
        Dimensions ``measure`` (``cost``, ``value``, ``net``), ``actor`` (the aktører and
        ``total``), ``discounting`` (``none``, ``discounted``) and ``quantile``: ``mean``,
        ``mcse``, ``value_quantile`` and ``p_positive``. Discounted amounts weight every year by the
        run's ``discount_factor`` (all 1 when the discount rate is 0).
    """
    disc = ds.discount_factor.values
    arrays = {
        "cost": ds.cost.transpose("draw", "year", "actor").values,
        "value": ds.consequence_value.transpose("draw", "year", "actor").values,
        "net": ds.net_result.transpose("draw", "year", "actor").values,
    }
    actors = [*map(str, ds.actor.values), TOTAL]
    q = list(quantiles)
    mean = np.empty((3, len(actors), 2))
    mcse = np.empty_like(mean)
    p_pos = np.empty_like(mean)
    quant = np.empty((len(q), 3, len(actors), 2))
    for m, values in enumerate(arrays.values()):
        for d, weights in enumerate((np.ones_like(disc), disc)):
            horizon = _with_total(np.einsum("nta,t->na", values, weights))
            st = _stats(horizon.T, q)
            mean[m, :, d] = st["mean"]
            mcse[m, :, d] = st["mcse"]
            p_pos[m, :, d] = st["p_positive"]
            quant[:, m, :, d] = st["quantile"]
    dims = ("measure", "actor", "discounting")
    return xr.Dataset(
        {
            "mean": (dims, mean),
            "mcse": (dims, mcse),
            "p_positive": (dims, p_pos),
            "value_quantile": (("quantile", *dims), quant),
        },
        coords={
            "measure": list(arrays),
            "actor": actors,
            "discounting": ["none", "discounted"],
            "quantile": q,
        },
        attrs={"discount_rate": float(ds.attrs.get("discount_rate", 0.0))},
    )


def _input_matrix(case: Case, ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Every input's value per draw (n, J) and the uncertain inputs' columns (n, U)."""
    model = compile_case(case)
    names = [str(n) for n in ds.input.values]
    if names != model.uncertain_names:
        raise ValueError("the results' inputs are not the case's uncertain inputs")
    x = np.ascontiguousarray(ds.inputs.transpose("draw", "input").values, dtype=np.float64)
    full = np.tile(model.const, (x.shape[0], 1))
    full[:, model.uncertain] = x
    return full, x


def line_contributions(case: Case, ds: xr.Dataset) -> xr.Dataset | None:
    """Each cost line's and konsekvens' contribution per draw, per aktør and in total.

    Parameters
    ----------
    case : Case
        The case the results were simulated from.
    ds : xarray.Dataset
        Every draw of the run.

    Returns
    -------
    xarray.Dataset or None
        ``contribution(draw, item, actor)`` over the horizon: minus the cost of each cost line
        (a saved cost counts positive) and the value of each konsekvens, so that the items
        of an aktør add up to its nettoresultat; ``contribution_pv`` discounted likewise.
        Coordinates ``item`` (``costs.<name>`` / ``consequences.<name>``), ``item_label``,
        ``item_kind`` (``cost`` / ``consequence``). None when the consequence values cannot
        be recovered (outcome noise on and not kept by the run) or do not add up to the
        run's totals.
    """
    model = compile_case(case)
    full, x = _input_matrix(case, ds)
    n, n_t, n_a = x.shape[0], model.n_years, len(case.actors)
    participants = full[:, model.idx_participants]  # (n, C)
    cost_lines = np.zeros((n, len(case.costs), n_t, n_a))
    for line in range(len(case.costs)):
        amount = full[:, model.cost_amount[line]]
        per_year = model.cost_fixed[line][None, :] + participants @ model.cost_per_participant[line]
        cost_lines[:, line, :, model.cost_actor[line]] = amount[:, None] * per_year
    if "consequence_value_by_consequence" in ds:
        value_k = ds.consequence_value_by_consequence.transpose(
            "draw", "consequence", "year", "actor"
        ).values
    elif not case.outcome.noise:
        value_k = run_kernel(model, x, keep_consequences=True)["value_k"]
    else:
        return None
    cost = ds.cost.transpose("draw", "year", "actor").values
    value = ds.consequence_value.transpose("draw", "year", "actor").values
    scale = max(1.0, float(np.abs(cost).max(initial=0.0)), float(np.abs(value).max(initial=0.0)))
    if not (
        np.allclose(cost_lines.sum(axis=1), cost, rtol=0, atol=1e-9 * scale)
        and np.allclose(value_k.sum(axis=1), value, rtol=0, atol=1e-9 * scale)
    ):
        return None
    items = np.concatenate([-cost_lines, value_k], axis=1)  # (n, L + K, T, A)
    disc = ds.discount_factor.values
    horizon = _with_total(items.sum(axis=2))
    pv = _with_total(np.einsum("nita,t->nia", items, disc))
    return xr.Dataset(
        {
            "contribution": (("draw", "item", "actor"), horizon),
            "contribution_pv": (("draw", "item", "actor"), pv),
        },
        coords={
            "item": [f"costs.{c.name}" for c in case.costs]
            + [f"consequences.{c.name}" for c in case.consequences],
            "item_label": ("item", [c.display for c in case.costs]
                           + [c.display for c in case.consequences]),
            "item_kind": ("item", ["cost"] * len(case.costs)
                          + ["consequence"] * len(case.consequences)),
            "actor": [*case.actors, TOTAL],
        },
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class InputProvenance:
    """Where one input's number comes from.

    Attributes
    ----------
    name : str
        Input name (``costs.opstart.amount``).
    label : str
        Danish label.
    uncertain : bool
        Whether the input varies between draws.
    status : {"sourced", "illustrative", "unsourced"}
        From a public source, illustrative, or with no source at all.
    """

    name: str
    label: str
    uncertain: bool
    status: Status


def input_provenance(
    case: Case, *, status_of: Mapping[str, Status] | None = None
) -> list[InputProvenance]:
    """Every input of `case` as sourced, illustrative or unsourced (for the memo).

    Sourced or not is decided by the one definition, :func:`som_mc.case.input_provenance`
    (also used by ``validate``, ``run`` and the results file). The memo only names the two
    kinds of not sourced apart: *illustrative* when the input has a source text (one that
    begins with "illustrative", or a catalog entry marked so), *unsourced* when it has none.

    Parameters
    ----------
    case : Case
        The case.
    status_of : mapping, optional
        Input name → status, overriding the classification (a provenance record per input).
    """
    out = []
    for p in case_provenance(case):
        status: Status
        if status_of is not None and p.name in status_of:
            status = status_of[p.name]
        elif p.sourced:
            status = "sourced"
        else:
            status = "illustrative" if p.source.strip() else "unsourced"
        out.append(InputProvenance(p.name, p.label, p.uncertain, status))
    return out


def variance_shares(ds: xr.Dataset) -> xr.Dataset | None:
    """Approximate share of the result's variance each uncertain input carries, per aktør.

    Squared standardised rank regression coefficients (:func:`som_mc.sensitivity.rank_measures`)
    normalised to sum to 1 per aktør: cheap (from the run's own draws), valid with correlated
    inputs as a ranking, but an approximation of a variance decomposition.

    Returns
    -------
    xarray.Dataset or None
        ``share(input, actor)`` and ``r2(actor)`` (how much of the rank variance the
        regression explains); None when the run has no uncertain input or too few draws.
    """
    if ds.sizes.get("input", 0) == 0 or ds.sizes["draw"] < 10 * (ds.sizes["input"] + 1):
        return None
    rank = rank_measures(ds)
    sq = rank.srrc.values**2
    total = sq.sum(axis=0, keepdims=True)
    share = np.divide(sq, total, out=np.zeros_like(sq), where=total > 0)
    return xr.Dataset(
        {"share": (("input", "actor"), share), "r2": (("actor",), rank.srrc_r2.values)},
        coords={"input": rank.input.values, "actor": rank.actor.values},
    )
