"""String option types used across som_mc, kept in one place."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_CHUNK",
    "DEFAULT_DESIGN",
    "DESIGNS",
    "EXECUTORS",
    "TOTAL",
    "AppliesTo",
    "CostKind",
    "Design",
    "Executor",
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

#: Label of the all-aktør total in every result with an ``actor`` dimension (defined here,
#: where the figures can read it without importing the case model; exposed by
#: :mod:`som_mc.model.axes`).
TOTAL = "total"

#: Sampling design of the uncertain inputs: plain Monte Carlo, Latin hypercube per block of
#: draws, or scrambled Sobol.
Design = Literal["random", "lhs", "sobol"]
DESIGNS: tuple[str, ...] = get_args(Design)

#: The sampling design of every command and function unless the user picks another.
DEFAULT_DESIGN: Design = "random"

#: Draws per block of random numbers: each named input draws block b from its own stream.
BLOCK_SIZE = 16384

#: Draws per chunk of a run unless told otherwise (whole blocks; changes no number).
DEFAULT_CHUNK = 4 * BLOCK_SIZE

#: Where the chunks of a run are computed.
Executor = Literal["local", "dask"]
EXECUTORS: tuple[str, ...] = get_args(Executor)
