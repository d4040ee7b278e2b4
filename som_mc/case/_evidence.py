"""The ``[evidence]`` table of a case: what an opfølgning observed (pydantic models only).

Applying it (the posterior, fixed cohorts, realised costs) is in :mod:`som_mc.case.evidence`;
the cross-field checks against the rest of the case are here, so that loading can run them.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Self

from pydantic import Field, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

from som_mc._validation import Strict
from som_mc.distributions import binomial_posterior
from som_mc.errors import CaseFileError, DistributionError

__all__ = ["Evidence", "RateEvidence", "check_evidence", "line_years"]

Count = Annotated[int, Field(ge=0)]


def _counts(value: Any) -> int | list[int]:
    """Check a whole number >= 0, or a list of them (one per cohort)."""
    items = value if isinstance(value, list) else [value]
    for i, v in enumerate(items):
        if isinstance(v, bool) or not isinstance(v, int):
            raise PydanticCustomError(
                "evidence",
                "expected a whole number >= 0 (or a list of them, one per cohort); received "
                "{received}",
                {"received": repr(v), **({"param": i} if isinstance(value, list) else {})},
            )
        if v < 0:
            raise PydanticCustomError(
                "evidence",
                "expected a whole number >= 0; received {received}",
                {"received": repr(v), **({"param": i} if isinstance(value, list) else {})},
            )
    return value


def _amounts(value: Any) -> float | list[float]:
    """Check a realised amount in kroner (finite, >= 0), or a list of them (per year)."""
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        raise PydanticCustomError("evidence", "expected at least one realised amount", {})
    out = []
    for i, v in enumerate(items):
        ctx = {"param": i} if isinstance(value, list) else {}
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise PydanticCustomError(
                "evidence",
                "expected a realised amount in kroner (a finite number), or a list of them for "
                "the first years of a yearly line; received {received}",
                {"received": repr(v), **ctx},
            )
        if v < 0:
            raise PydanticCustomError(
                "evidence",
                "a realised amount must be >= 0 kr.; received {received}",
                {"received": repr(v), **ctx},
            )
        out.append(float(v))
    return out if isinstance(value, list) else out[0]


Counts = Annotated[int | list[int], PlainValidator(_counts)]
Amounts = Annotated[float | list[float], PlainValidator(_amounts)]


class RateEvidence(Strict):
    """Observed successes out of trials: one number each, or one per cohort (lists)."""

    successes: Counts
    trials: Counts
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        s, n = self.successes, self.trials
        if isinstance(s, list) != isinstance(n, list) or (
            isinstance(s, list) and isinstance(n, list) and len(s) != len(n)
        ):
            raise PydanticCustomError(
                "evidence",
                "successes and trials must both be whole numbers or both lists of the same "
                "length (one entry per cohort); received successes = {s}, trials = {n}",
                {"s": repr(s), "n": repr(n), "param": "trials"},
            )
        pairs = zip(s, n, strict=True) if isinstance(s, list) and isinstance(n, list) else [(s, n)]
        for c, (si, ni) in enumerate(pairs):
            if si > ni:  # type: ignore[operator]
                where = f"successes[{c}]" if isinstance(s, list) else "successes"
                raise PydanticCustomError(
                    "evidence",
                    "successes ({s}) cannot exceed trials ({n}); received successes = {s}, "
                    "trials = {n}",
                    {"s": repr(si), "n": repr(ni), "param": where},
                )
        if not isinstance(s, list) and not isinstance(n, list) and n == 0:
            raise PydanticCustomError(
                "evidence",
                "trials must be >= 1 (nothing was observed with 0 trials); received 0",
                {"param": "trials"},
            )
        return self

    @property
    def total(self) -> tuple[int, int]:
        """``(successes, trials)`` summed over cohorts (the likelihood of a shared rate)."""
        s, n = self.successes, self.trials
        if isinstance(s, list) and isinstance(n, list):
            return sum(s), sum(n)
        assert isinstance(s, int) and isinstance(n, int)
        return s, n


class Evidence(Strict):
    """What was observed once the indsats ran (``[evidence]`` in a case file).

    ``success_rate`` updates the succesrate (binomial likelihood); ``participants`` fixes
    the first cohorts' intake; ``costs`` maps a cost line's name to its realised amount (a
    number for a one_off line, a list for the first years of a yearly line).
    """

    success_rate: RateEvidence | None = None
    participants: list[Count] | None = Field(default=None, min_length=1)
    costs: dict[str, Amounts] = Field(default_factory=dict)
    source: str = ""


def _fail(message: str, file: str | None, key: str) -> CaseFileError:
    return CaseFileError(message, file=file, key=key)


def check_evidence(case: Any, file: str | None = None) -> None:
    """Cross-field checks of ``[evidence]`` against the rest of the case.

    Parameters
    ----------
    case : som_mc.case.Case
        A validated case (typed loosely here: this module sits below the schema).
    file : str, optional
        File name for error messages.

    Raises
    ------
    CaseFileError
        Naming the key path under ``evidence``: more cohorts than the case has, a cost line
        that does not exist or whose kind takes no realised amount, a list/number mismatch,
        more realised years than the line has, a prior that cannot be updated.
    """
    ev = case.evidence
    if ev is None:
        return
    n_c = case.n_cohorts
    if ev.success_rate is not None:
        rate = ev.success_rate
        if isinstance(rate.successes, list) and len(rate.successes) > n_c:
            raise _fail(
                f"{len(rate.successes)} cohorts of observations but the case has {n_c} "
                "intake years (participants.per_year); give one entry per observed cohort",
                file,
                "evidence.success_rate.successes",
            )
        prior = case.success_rate
        if not prior.is_fixed:
            s, n = rate.total
            try:
                binomial_posterior(prior, s, n)
            except DistributionError as exc:
                raise _fail(exc.message, file, "evidence.success_rate") from None
    if ev.participants is not None and len(ev.participants) > n_c:
        raise _fail(
            f"{len(ev.participants)} realised intakes but the case has {n_c} intake years "
            "(participants.per_year); list the realised intake of the first cohorts only",
            file,
            "evidence.participants",
        )
    lines = {c.name: c for c in case.costs}
    for name, value in ev.costs.items():
        key = f"evidence.costs.{name}"
        if name not in lines:
            raise _fail(
                f"unknown cost line {name!r}; cost lines are {', '.join(lines) or '(none)'}",
                file,
                key,
            )
        line = lines[name]
        if line.kind == "per_participant":
            raise _fail(
                "a per_participant cost line takes no realised amount (it is a per-person "
                "amount); give the realised total as a one_off line or update its distribution",
                file,
                key,
            )
        if line.kind == "one_off" and isinstance(value, list):
            raise _fail(
                f"cost line {name!r} is one_off; give its realised amount as one number, "
                f"received a list of {len(value)}",
                file,
                key,
            )
        if line.kind == "yearly":
            if not isinstance(value, list):
                raise _fail(
                    f"cost line {name!r} is yearly; give its realised amounts as a list for "
                    f"its first years, e.g. [{value:g}]",
                    file,
                    key,
                )
            years = line_years(case, name)
            if len(value) > len(years):
                raise _fail(
                    f"{len(value)} realised amounts but cost line {name!r} has {len(years)} years",
                    file,
                    key,
                )
        for i, amount in enumerate(value if isinstance(value, list) else [value]):
            if not math.isfinite(amount) or amount < 0:
                where = f"{key}[{i}]" if isinstance(value, list) else key
                raise _fail(
                    f"a realised amount must be a finite number >= 0 kr.; received {amount!r}",
                    file,
                    where,
                )


def line_years(case: Any, name: str) -> list[int]:
    line = next(c for c in case.costs if c.name == name)
    return list(line.years) if line.years is not None else list(range(case.n_cohorts))
