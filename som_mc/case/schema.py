"""The investeringscase schema: pydantic models of a case file.

The format is documented in ``cases/README.md``; loading and the cross-field checks are in
:mod:`som_mc.case.load`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self

import tomli_w
from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from som_mc._validation import Scalar, Strict, finite
from som_mc.case._evidence import Evidence
from som_mc.distributions import Distribution, Fixed
from som_mc.types import DEFAULT_ACTORS, AppliesTo, CostKind, HorizonMode

if TYPE_CHECKING:
    from som_mc.catalog import CatalogUse

__all__ = ["Case", "Consequence", "Correlation", "CostLine", "Outcome", "Participants",
    "Scenario", "StressTail",
    "case_hash",
    "case_to_dict",
]


class Participants(Strict):
    """Participants per intake year (cohort) and the length of one forløb."""

    per_year: list[Scalar] = Field(min_length=1, max_length=50)
    course_years: float = Field(default=1.0, gt=0, le=20)

    _finite_course = field_validator("course_years")(finite)

    @property
    def effect_delay(self) -> int:
        """Years from intake to the effect year: ``ceil(course_years) - 1``."""
        return math.ceil(self.course_years) - 1

    @property
    def course_span(self) -> int:
        """Number of calendar years a forløb touches: ``ceil(course_years)``."""
        return math.ceil(self.course_years)


class Outcome(Strict):
    """Outcome model: binomial noise on successes and yearly drop-off (both off by default)."""

    noise: bool = False
    dropoff_rate: Scalar = Fixed(value=0.0)


class CostLine(Strict):
    """One cost line (opstart, drift, per deltager or sparede omkostninger)."""

    name: str = Field(min_length=1)
    label: str | None = None
    actor: str
    kind: CostKind
    amount: Scalar
    saved: bool = False
    year: int | None = Field(default=None, ge=0)
    years: list[int] | None = Field(default=None, min_length=1)
    schedule: list[float] | None = Field(default=None, min_length=1)
    source: str = ""

    @field_validator("years")
    @classmethod
    def _years_non_negative(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (min(v) < 0 or len(set(v)) != len(v)):
            raise PydanticCustomError(
                "years",
                "expected distinct model years >= 0; received {received}",
                {"received": repr(v)},
            )
        return v

    @field_validator("schedule")
    @classmethod
    def _schedule_shares(cls, v: list[float] | None) -> list[float] | None:
        if v is None:
            return v
        if any(not math.isfinite(x) or x < 0 for x in v) or not math.isclose(
            sum(v), 1.0, rel_tol=0, abs_tol=1e-9
        ):
            raise PydanticCustomError(
                "schedule",
                "expected non-negative shares per year since intake that sum to 1; "
                "received {received} (sum {total})",
                {"received": repr(v), "total": repr(sum(v))},
            )
        return v

    @model_validator(mode="after")
    def _timing_keys_match_kind(self) -> Self:
        misplaced = {
            "one_off": ("years", "schedule"),
            "yearly": ("year", "schedule"),
            "per_participant": ("year", "years"),
        }[self.kind]
        for key in misplaced:
            if getattr(self, key) is not None:
                raise PydanticCustomError(
                    "timing",
                    "key {key} does not apply to a cost line of kind {kind}; use 'year' for "
                    "one_off, 'years' for yearly and 'schedule' for per_participant",
                    {"key": repr(key), "kind": repr(self.kind), "unknown": key},
                )
        return self

    @property
    def display(self) -> str:
        """Label for tables and plots."""
        return self.label or self.name


class Consequence(Strict):
    """One konsekvens: yearly change per successful person, priced per aktør."""

    name: str = Field(min_length=1)
    label: str | None = None
    unit: str = Field(min_length=1)
    profile: list[Scalar] = Field(min_length=1, max_length=100)
    scale: Scalar = Fixed(value=1.0)
    applies_to: AppliesTo = "successes"
    price: dict[str, Scalar] = Field(min_length=1)
    source: str = ""

    @property
    def display(self) -> str:
        """Label for tables and plots."""
        return self.label or self.name


class Correlation(Strict):
    """A target Spearman rank correlation between two uncertain inputs (by input name)."""

    inputs: list[str] = Field(min_length=2, max_length=2)
    rank: float = Field(gt=-1.0, lt=1.0)

    _finite_rank = field_validator("rank")(finite)


class StressTail(Strict):
    """A stress restriction: the input drawn from a tail (or slice) of its distribution.

    ``below = 0.10`` keeps the lowest 10 % (quantile levels 0–0.10), ``above = 0.90`` the
    highest 10 %; both together keep the slice between them.
    """

    below: float | None = Field(default=None, gt=0.0, le=1.0)
    above: float | None = Field(default=None, ge=0.0, lt=1.0)


class Scenario(Strict):
    """A følsomhedsscenarie: named overrides of inputs (by input name, see ``case_inputs``).

    ``overrides`` replaces an input by a number or a distribution table, ``scale`` multiplies
    it by a factor (1.25 = +25 %), ``stress`` restricts it to a tail of its distribution.
    Cross-checks (input names, ranges) are in :func:`som_mc.case.scenarios.check_scenarios`.
    """

    name: str = Field(min_length=1)
    description: str = ""
    overrides: dict[str, Scalar] = Field(default_factory=dict)
    scale: dict[str, float] = Field(default_factory=dict)
    stress: dict[str, StressTail] = Field(default_factory=dict)


class Case(Strict):
    """A validated investeringscase.

    Build it with :func:`load_case` (from a file) or :func:`parse_case` (from a mapping).
    """

    name: str = Field(min_length=1)
    label: str | None = Field(default=None, min_length=1, max_length=40)
    """Short name of the case in a memo comparing alternatives (default: `name`)."""
    description: str = ""
    target_group: str = Field(min_length=1)
    price_year: int = Field(ge=1900, le=2200)
    start_year: int = Field(ge=1900, le=2200)
    horizon_years: int = Field(ge=1, le=100)
    horizon_mode: HorizonMode = "calendar"
    discount_rate: float = Field(default=0.0, ge=0.0, lt=1.0)
    actors: list[str] = Field(default_factory=lambda: list(DEFAULT_ACTORS), min_length=1)
    success_rate: Scalar
    participants: Participants
    outcome: Outcome = Outcome()
    costs: list[CostLine] = Field(default_factory=list)
    consequences: list[Consequence] = Field(default_factory=list)
    correlations: list[Correlation] = Field(default_factory=list)
    evidence: Evidence | None = None
    scenarios: list[Scenario] | None = None  # None (not []) keeps older cases' hashes
    source: str = ""

    _finite_rate = field_validator("discount_rate")(finite)
    _catalog_uses: tuple[CatalogUse, ...] = PrivateAttr(default=())

    @property
    def catalog_uses(self) -> tuple[CatalogUse, ...]:
        """Catalog entries the case file referred to (resolved when it was loaded).

        Empty for a case without catalog references. The resolved values are ordinary case
        values, so :func:`case_hash` changes when a used entry changes.
        """
        return self._catalog_uses

    def __eq__(self, other: object) -> bool:
        """Cases are equal when their values are; where they came from does not matter.

        A case resolved from catalog references equals the same case written out in full
        (``parse_case(case_to_dict(case)) == case``); :attr:`catalog_uses` is provenance.
        """
        if not isinstance(other, Case):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(case_hash(self))

    @property
    def n_cohorts(self) -> int:
        """Number of intake years."""
        return len(self.participants.per_year)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {
            k: _plain(getattr(value, k))
            for k in type(value).model_fields
            if getattr(value, k) is not None
        }
    if isinstance(value, Fixed):
        return value.value
    if isinstance(value, Distribution):
        return value.to_toml()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def case_to_dict(case: Case) -> dict[str, Any]:
    """Return the case as a plain TOML-ready mapping; ``parse_case(case_to_dict(c)) == c``."""
    return _plain(case)


def case_hash(case: Case) -> str:
    """SHA-256 of the case's canonical TOML form (recorded in outputs for provenance).

    Two files that differ only in comments, key order or number spelling hash alike.
    """
    return hashlib.sha256(tomli_w.dumps(case_to_dict(case)).encode("utf-8")).hexdigest()
