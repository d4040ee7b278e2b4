"""Applying a case's ``[evidence]`` (opfølgning): the posterior case.

A case file may record what an indsats that has run actually showed::

    [evidence]
    success_rate = { successes = 14, trials = 45 }    # or lists, one entry per cohort
    participants = [38, 41]                           # realised intake of the first cohorts
    costs = { opstart = 2_350_000, drift = [1_180_000] }   # realised amounts

:func:`apply_evidence` turns it into the case to simulate:

- ``success_rate`` becomes the Bayesian posterior given a binomial likelihood
  (:func:`~som_mc.distributions.binomial_posterior`: conjugate beta for a beta prior, a
  numerically exact grid posterior for any other bounded prior); per-cohort counts are
  pooled, since the rate is shared by the cohorts.
- ``participants.per_year[c]`` of the first cohorts become fixed numbers.
- a one_off cost line's amount becomes its realised number; a yearly line's first years
  are split off as one_off lines ``<name>_realiseret_<år>`` with the realised amounts, and
  the line keeps its distribution for the remaining years. Per-deltager lines are refused
  (their realised amount is a per-person mean, not one number).

Correlations that involve an input that became fixed are dropped (a fixed number cannot be
correlated). The result has no ``[evidence]`` table, so it is never updated twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from som_mc.case._evidence import check_evidence, line_years
from som_mc.case.load import parse_case
from som_mc.case.schema import Case, case_to_dict
from som_mc.distributions import Distribution, Fixed, binomial_posterior, prior_predictive

__all__ = [
    "EVIDENCE_NOTE",
    "EvidenceUpdate",
    "InputUpdate",
    "apply_evidence",
    "check_evidence",
    "resolve_evidence",
    "update_summary",
]

EVIDENCE_NOTE = "bruger posterior fra [evidence]"
"""The line run, report and sensitivity print when they use the posterior."""


@dataclass(frozen=True, slots=True)
class InputUpdate:
    """One input the evidence changed.

    Attributes
    ----------
    name : str
        Input name (``success_rate``, ``participants[0]``, ``costs.drift.amount``).
    prior, posterior : Distribution
        Before and after the evidence.
    observed : dict
        What was observed (JSON-ready), e.g. ``{"successes": 14, "trials": 45}``.
    predictive : tuple of (int, int) or None
        For the succesrate: the prior-predictive 5 %-95 % interval of the number of
        successes in the observed trials.
    """

    name: str
    prior: Distribution
    posterior: Distribution
    observed: dict[str, Any]
    predictive: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class EvidenceUpdate:
    """The posterior case and what changed."""

    case: Case
    inputs: tuple[InputUpdate, ...]
    dropped_correlations: tuple[tuple[str, str], ...] = field(default=())


def apply_evidence(case: Case, *, file: str | None = None) -> EvidenceUpdate:
    """Return the posterior case: the case's inputs updated with its ``[evidence]``.

    Parameters
    ----------
    case : Case
        A validated case; without ``[evidence]`` it is returned unchanged.
    file : str, optional
        File name for error messages.

    Returns
    -------
    EvidenceUpdate
        ``case`` (no ``[evidence]`` table, inputs replaced), the updated inputs (prior,
        posterior, observation) and the correlations dropped.

    Examples
    --------
    >>> from som_mc.case import load_case
    >>> up = apply_evidence(load_case("cases/aarhus_alkohol_opfoelgning.toml"))  # doctest: +SKIP
    >>> up.inputs[0].posterior.mean()  # doctest: +SKIP
    """
    ev = case.evidence
    if ev is None:
        return EvidenceUpdate(case=case, inputs=())
    check_evidence(case, file)
    data = case_to_dict(case)
    data.pop("evidence", None)
    updates: list[InputUpdate] = []
    fixed_names: set[str] = set()
    if ev.success_rate is not None:
        s, n = ev.success_rate.total
        prior = case.success_rate
        post = binomial_posterior(prior, s, n)
        lo, hi, _ = prior_predictive(prior, n)
        data["success_rate"] = post
        observed: dict[str, Any] = {"successes": s, "trials": n}
        if isinstance(ev.success_rate.successes, list):
            observed["per_cohort"] = {
                "successes": list(ev.success_rate.successes),
                "trials": list(ev.success_rate.trials),  # type: ignore[arg-type]
            }
        updates.append(InputUpdate("success_rate", prior, post, observed, (lo, hi)))
        if prior.is_fixed:
            fixed_names.add("success_rate")
    if ev.participants is not None:
        per_year = list(data["participants"]["per_year"])
        for c, value in enumerate(ev.participants):
            prior = case.participants.per_year[c]
            per_year[c] = float(value)
            name = f"participants[{c}]"
            updates.append(
                InputUpdate(name, prior, Fixed(value=float(value)), {"participants": value})
            )
            fixed_names.add(name)
        data["participants"]["per_year"] = per_year
    if ev.costs:
        costs: list[dict[str, Any]] = []
        for line, raw in zip(case.costs, data.get("costs", []), strict=True):
            realised = ev.costs.get(line.name)
            name = f"costs.{line.name}.amount"
            if realised is None:
                costs.append(raw)
                continue
            if line.kind == "one_off":
                assert not isinstance(realised, list)
                costs.append({**raw, "amount": float(realised)})
                updates.append(
                    InputUpdate(
                        name, line.amount, Fixed(value=float(realised)), {"amount": realised}
                    )
                )
                fixed_names.add(name)
                continue
            assert isinstance(realised, list)
            years = line_years(case, line.name)
            for year, amount in zip(years, realised, strict=False):
                split = {k: v for k, v in raw.items() if k not in ("years", "name", "label")}
                label = f"{line.display}, realiseret {case.start_year + year}"
                costs.append(
                    {
                        **split,
                        "name": f"{line.name}_realiseret_{case.start_year + year}",
                        "label": label,
                        "kind": "one_off",
                        "year": year,
                        "amount": float(amount),
                    }
                )
            rest = years[len(realised) :]
            if rest:
                costs.append({**raw, "years": rest})
            else:
                fixed_names.add(name)
            updates.append(
                InputUpdate(
                    name,
                    line.amount,
                    line.amount if rest else Fixed(value=float(realised[-1])),
                    {
                        "amounts": list(realised),
                        "years": [case.start_year + y for y in years[: len(realised)]],
                    },
                )
            )
        data["costs"] = costs
    dropped: list[tuple[str, str]] = []
    if data.get("correlations"):
        kept = []
        for corr in data["correlations"]:
            a, b = corr["inputs"]
            if a in fixed_names or b in fixed_names:
                dropped.append((a, b))
            else:
                kept.append(corr)
        data["correlations"] = kept
    new = parse_case(data, file=file)
    new._catalog_uses = case.catalog_uses  # provenance: the catalog entries the file used
    return EvidenceUpdate(case=new, inputs=tuple(updates), dropped_correlations=tuple(dropped))


def resolve_evidence(
    case: Case, *, prior: bool = False, file: str | None = None
) -> tuple[Case, str | None]:
    """Return the case to simulate and the note to show (``None`` without evidence).

    With ``prior=True`` the case is run as it was before the evidence (the ``[evidence]``
    table is ignored); otherwise the posterior case of :func:`apply_evidence`.
    """
    if case.evidence is None:
        return case, None
    if prior:
        data = case_to_dict(case)
        data.pop("evidence", None)
        before = parse_case(data, file=file)
        before._catalog_uses = case.catalog_uses
        return before, "bruger prior (før [evidence]; --prior)"
    return apply_evidence(case, file=file).case, EVIDENCE_NOTE


def _moments(dist: Distribution) -> dict[str, float]:
    p5, p95 = (float(v) for v in dist.ppf([0.05, 0.95]))
    return {"mean": float(dist.mean()), "sd": float(dist.std()), "p5": p5, "p95": p95}


def update_summary(update: EvidenceUpdate) -> dict[str, Any]:
    """Return prior vs posterior per updated input as JSON-ready data.

    Returns
    -------
    dict
        ``{"inputs": {name: {"prior": {mean, sd, p5, p95}, "posterior": {mean, sd, p5,
        p95}, "observed": {...}, "predictive": {"p5": .., "p95": ..} (succesrate only)}},
        "dropped_correlations": [[a, b], ...]}``.
    """
    inputs: dict[str, Any] = {}
    for u in update.inputs:
        item: dict[str, Any] = {
            "prior": _moments(u.prior),
            "posterior": _moments(u.posterior),
            "observed": u.observed,
        }
        if u.predictive is not None:
            item["predictive"] = {"p5": u.predictive[0], "p95": u.predictive[1]}
        inputs[u.name] = item
    return {
        "inputs": inputs,
        "dropped_correlations": [list(pair) for pair in update.dropped_correlations],
    }
