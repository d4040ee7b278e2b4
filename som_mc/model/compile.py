"""A case compiled into index tables and patterns for the kernels.

The kernels see one vector of input values per draw (fixed inputs from ``const``, uncertain
ones from the sampled matrix) and integer tables that say which entry of that vector is the
succesrate, the price of consequence k for actor a, and so on. This keeps one kernel for
every case shape, with no closures, so it compiles once and caches on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from som_mc.case import Case, InputSpec, case_inputs
from som_mc.model.axes import n_model_years, year_axis

__all__ = ["CaseModel", "compile_case"]

NO_INPUT = -1


@dataclass(frozen=True, eq=False)
class CaseModel:
    """Arrays describing a case's structure (see :func:`compile_case`).

    Attributes
    ----------
    inputs : list of InputSpec
        All scalar inputs; position ``j`` is entry ``j`` of the per-draw value vector.
    uncertain : ndarray of int64
        Positions of the uncertain inputs, in the column order of a sampled matrix.
    const : ndarray of float64
        Value of every fixed input (NaN at uncertain positions, which each draw overwrites).
    """

    case: Case
    inputs: list[InputSpec]
    uncertain: NDArray[np.int64]
    const: NDArray[np.float64]
    n_years: int
    delay: int
    span: int
    idx_success: int
    idx_dropoff: int
    idx_participants: NDArray[np.int64]  # (C,)
    cons_scale: NDArray[np.int64]  # (K,)
    cons_profile: NDArray[np.int64]  # (K, P) input index, NO_INPUT past the profile
    cons_price: NDArray[np.int64]  # (K, A) input index, NO_INPUT where no price
    cons_participants: NDArray[np.int64]  # (K,) 1 = applies to all participants in forløb
    cost_amount: NDArray[np.int64]  # (L,)
    cost_actor: NDArray[np.int64]  # (L,)
    cost_fixed: NDArray[np.float64]  # (L, T) signed multiplier of the amount
    cost_per_participant: NDArray[np.float64]  # (L, C, T) signed share per participant
    discount: NDArray[np.float64]  # (T,)
    chain_length: int  # years of the success chain (longest success profile, >= 1)

    @property
    def years(self) -> NDArray[np.int64]:
        """Calendar years of the year axis."""
        return year_axis(self.case)

    @property
    def actors(self) -> list[str]:
        """The case's aktører, in the case's order."""
        return list(self.case.actors)

    @property
    def n_cohorts(self) -> int:
        """Number of intake years."""
        return int(self.idx_participants.size)

    @property
    def n_actors(self) -> int:
        """Number of actors."""
        return int(self.cons_price.shape[1]) if self.cons_price.size else len(self.case.actors)

    @property
    def uncertain_names(self) -> list[str]:
        """Names of the uncertain inputs, in sampled-column order."""
        return [self.inputs[j].name for j in self.uncertain]

    @property
    def dropoff_active(self) -> bool:
        """Whether successes can drop off (drop-off rate not fixed at 0)."""
        spec = self.inputs[self.idx_dropoff]
        return not (spec.dist.is_fixed and spec.dist.mean() == 0.0)


def compile_case(case: Case) -> CaseModel:
    """Compile a validated case into a :class:`CaseModel`."""
    inputs = case_inputs(case)
    pos = {spec.name: j for j, spec in enumerate(inputs)}
    actors = list(case.actors)
    a_index = {a: i for i, a in enumerate(actors)}
    n_t = n_model_years(case)
    n_c = case.n_cohorts
    n_k = len(case.consequences)
    n_p = max((len(c.profile) for c in case.consequences), default=1)

    cons_scale = np.full(n_k, NO_INPUT, dtype=np.int64)
    cons_profile = np.full((n_k, n_p), NO_INPUT, dtype=np.int64)
    cons_price = np.full((n_k, len(actors)), NO_INPUT, dtype=np.int64)
    cons_participants = np.zeros(n_k, dtype=np.int64)
    for k, cons in enumerate(case.consequences):
        base = f"consequences.{cons.name}"
        cons_scale[k] = pos[f"{base}.scale"]
        for tau in range(len(cons.profile)):
            cons_profile[k, tau] = pos[f"{base}.profile[{tau}]"]
        for actor in cons.price:
            cons_price[k, a_index[actor]] = pos[f"{base}.price.{actor}"]
        cons_participants[k] = cons.applies_to == "participants"

    n_l = len(case.costs)
    cost_amount = np.zeros(n_l, dtype=np.int64)
    cost_actor = np.zeros(n_l, dtype=np.int64)
    cost_fixed = np.zeros((n_l, n_t))
    cost_pp = np.zeros((n_l, n_c, n_t))
    for line, cost in enumerate(case.costs):
        cost_amount[line] = pos[f"costs.{cost.name}.amount"]
        cost_actor[line] = a_index[cost.actor]
        sign = -1.0 if cost.saved else 1.0
        if cost.kind == "per_participant":
            for c in range(n_c):
                for j, share in enumerate(cost.schedule or [1.0]):
                    if c + j < n_t:
                        cost_pp[line, c, c + j] += sign * share
        elif cost.kind == "one_off":
            cost_fixed[line, cost.year or 0] += sign
        else:
            for t in cost.years if cost.years is not None else range(n_c):
                cost_fixed[line, t] += sign

    success_lengths = [len(c.profile) for c in case.consequences if c.applies_to == "successes"]
    # Sampled inputs are overwritten per draw; NaN makes any accidental use visible (and
    # skips a scipy distribution per input, which costs ~1 ms each).
    const = np.array(
        [np.nan if spec.uncertain else spec.dist.mean() for spec in inputs], dtype=np.float64
    )
    uncertain = np.array([j for j, s in enumerate(inputs) if s.uncertain], dtype=np.int64)
    return CaseModel(
        case=case,
        inputs=inputs,
        uncertain=uncertain,
        const=const,
        n_years=n_t,
        delay=case.participants.effect_delay,
        span=case.participants.course_span,
        idx_success=pos["success_rate"],
        idx_dropoff=pos["dropoff_rate"],
        idx_participants=np.array([pos[f"participants[{c}]"] for c in range(n_c)]),
        cons_scale=cons_scale,
        cons_profile=cons_profile,
        cons_price=cons_price,
        cons_participants=cons_participants,
        cost_amount=cost_amount,
        cost_actor=cost_actor,
        cost_fixed=cost_fixed,
        cost_per_participant=cost_pp,
        discount=(1.0 + case.discount_rate) ** -np.arange(n_t, dtype=np.float64),
        chain_length=max(success_lengths, default=1),
    )
