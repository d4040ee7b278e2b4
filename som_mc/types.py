"""String option types used across som_mc, kept in one place."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "AppliesTo",
    "CostKind",
    "HorizonMode",
    "PointEstimate",
]

#: How the horizon treats cohorts: ``calendar`` truncates every cohort at model year H-1,
#: ``per_cohort`` follows each cohort for its full profile length.
HorizonMode = Literal["calendar", "per_cohort"]

#: Timing of a cost line.
CostKind = Literal["one_off", "yearly", "per_participant"]

#: Whom a consequence applies to: successful persons after the effect year (SØM's classic
#: konsekvens) or all participants during their forløb (SØM ≥ 2020).
AppliesTo = Literal["successes", "participants"]

#: Which point value of an input distribution the deterministic calculation uses.
PointEstimate = Literal["mean", "median", "mode"]

DEFAULT_ACTORS: tuple[str, ...] = ("kommune", "region", "stat")
