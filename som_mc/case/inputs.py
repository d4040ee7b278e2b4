"""The named scalar inputs of a case.

Every scalar in a case (succesrate, deltagere per cohort, drop-off, cost amounts, profile
scale factors and entries, unit prices) is an input with a stable *name* built from line
names, not positions — ``consequences.herberg.price.kommune`` — so that random streams, which
are keyed by name, do not move when a line is added or reordered, and so that inputs with the
same name in two cases can share random numbers. The *key* is the case-file path used in
error messages (``consequences[0].price.kommune``).
"""

from __future__ import annotations

from dataclasses import dataclass

from som_mc.case.schema import Case
from som_mc.distributions import Distribution

__all__ = ["InputSpec", "case_inputs", "uncertain_inputs"]


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One scalar input of a case.

    Attributes
    ----------
    name : str
        Stable name (random streams and correlations refer to it).
    key : str
        Key path in the case file.
    label : str
        Danish label for tables and plots.
    dist : Distribution
        Its distribution (``Fixed`` when it is a plain number).
    """

    name: str
    key: str
    label: str
    dist: Distribution

    @property
    def uncertain(self) -> bool:
        """Whether the input varies between draws."""
        return not self.dist.is_fixed


def case_inputs(case: Case) -> list[InputSpec]:
    """All scalar inputs of a case, fixed ones included, in a fixed order.

    Parameters
    ----------
    case : Case
        A validated case.

    Returns
    -------
    list of InputSpec
        Order: succesrate, deltagere per cohort, drop-off, cost amounts, then per
        consequence its scale, profile entries and prices (in the case's actor order).
    """
    out = [InputSpec("success_rate", "success_rate", "Succesrate", case.success_rate)]
    for c, n in enumerate(case.participants.per_year):
        out.append(
            InputSpec(
                f"participants[{c}]",
                f"participants.per_year[{c}]",
                f"Deltagere, optag {case.start_year + c}",
                n,
            )
        )
    out.append(
        InputSpec(
            "dropoff_rate", "outcome.dropoff_rate", "Frafald pr. år", case.outcome.dropoff_rate
        )
    )
    for i, cost in enumerate(case.costs):
        out.append(
            InputSpec(
                f"costs.{cost.name}.amount",
                f"costs[{i}].amount",
                f"Omkostning: {cost.display}",
                cost.amount,
            )
        )
    for i, cons in enumerate(case.consequences):
        out.append(
            InputSpec(
                f"consequences.{cons.name}.scale",
                f"consequences[{i}].scale",
                f"Effektskalering: {cons.display}",
                cons.scale,
            )
        )
        for tau, dq in enumerate(cons.profile):
            out.append(
                InputSpec(
                    f"consequences.{cons.name}.profile[{tau}]",
                    f"consequences[{i}].profile[{tau}]",
                    f"Konsekvens år {tau + 1}: {cons.display}",
                    dq,
                )
            )
        for actor in case.actors:
            if actor in cons.price:
                out.append(
                    InputSpec(
                        f"consequences.{cons.name}.price.{actor}",
                        f"consequences[{i}].price.{actor}",
                        f"Pris ({actor}): {cons.display}",
                        cons.price[actor],
                    )
                )
    return out


def uncertain_inputs(case: Case) -> list[InputSpec]:
    """Return the inputs that vary between draws (not ``Fixed``)."""
    return [spec for spec in case_inputs(case) if spec.uncertain]
