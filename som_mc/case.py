"""Investeringscase files: schema, loading and validation.

A case file is TOML (read with :mod:`tomllib`) and is validated with pydantic v2 models. Any
problem is raised as one :class:`~som_mc.errors.CaseFileError` naming the file, the key path
(e.g. ``consequences[2].price.kommune``), what was received and what is allowed. The format is
documented in ``cases/README.md``.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self

import numpy as np
import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from som_mc.distributions import Distribution, Fixed, from_toml
from som_mc.errors import CaseFileError, DistributionError
from som_mc.types import DEFAULT_ACTORS, AppliesTo, CostKind, HorizonMode

if TYPE_CHECKING:
    from som_mc.catalog import Catalog, CatalogUse

__all__ = [
    "Case",
    "Consequence",
    "Correlation",
    "CostLine",
    "Outcome",
    "Participants",
    "case_hash",
    "case_to_dict",
    "load_case",
    "parse_case",
]


def _describe(value: Any) -> str:
    """Short, user-facing rendering of a received value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table {" + ", ".join(f"{k} = {_describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "a list of " + str(len(value)) + " items"
    return repr(value)


def _parse_scalar(value: Any) -> Distribution:
    """Turn a TOML scalar (number or distribution table) into a distribution."""
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Mapping):
        raise PydanticCustomError(
            "scalar_type",
            "expected a number or a distribution table such as "
            '{{ dist = "pert", low = 0.15, mode = 0.25, high = 0.40 }}; received {received}',
            {"received": _describe(value)},
        )
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise PydanticCustomError(
                "scalar_finite",
                "expected a finite number; received {received} (NaN and inf are not allowed)",
                {"received": repr(value)},
            )
        return Fixed(value=float(value))
    try:
        return from_toml(value)
    except DistributionError as exc:
        raise PydanticCustomError(
            "distribution", "{message}", {"message": exc.message, "param": exc.param or ""}
        ) from None


#: A scalar input: a plain number (fixed) or a distribution table.
Scalar = Annotated[Distribution, PlainValidator(_parse_scalar)]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise PydanticCustomError(
            "finite", "expected a finite number; received {received}", {"received": repr(value)}
        )
    return value


class _Strict(BaseModel):
    """Base model: strict types, unknown keys rejected with a hint."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, arbitrary_types_allowed=True
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            allowed = list(cls.model_fields)
            for key in data:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), allowed, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key {key}{hint}; allowed keys here: {allowed}",
                        {
                            "key": repr(key),
                            "hint": hint,
                            "allowed": ", ".join(allowed),
                            "unknown": str(key),
                        },
                    )
        return data


class Participants(_Strict):
    """Participants per intake year (cohort) and the length of one forløb."""

    per_year: list[Scalar] = Field(min_length=1, max_length=50)
    course_years: float = Field(default=1.0, gt=0, le=20)

    _finite_course = field_validator("course_years")(_finite)

    @property
    def effect_delay(self) -> int:
        """Years from intake to the effect year: ``ceil(course_years) - 1``."""
        return math.ceil(self.course_years) - 1

    @property
    def course_span(self) -> int:
        """Number of calendar years a forløb touches: ``ceil(course_years)``."""
        return math.ceil(self.course_years)


class Outcome(_Strict):
    """Outcome model: binomial noise on successes and yearly drop-off (both off by default)."""

    noise: bool = False
    dropoff_rate: Scalar = Fixed(value=0.0)


class CostLine(_Strict):
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


class Consequence(_Strict):
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


class Correlation(_Strict):
    """A target Spearman rank correlation between two uncertain inputs (by input name)."""

    inputs: list[str] = Field(min_length=2, max_length=2)
    rank: float = Field(gt=-1.0, lt=1.0)

    _finite_rank = field_validator("rank")(_finite)


class Case(_Strict):
    """A validated investeringscase.

    Build it with :func:`load_case` (from a file) or :func:`parse_case` (from a mapping).
    """

    name: str = Field(min_length=1)
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
    source: str = ""

    _finite_rate = field_validator("discount_rate")(_finite)
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


def _key_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _lookup(data: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


_PYDANTIC_HINTS = {
    "missing": "required key is missing; add it (see cases/README.md)",
    "int_type": "expected a whole number",
    "float_type": "expected a number",
    "string_type": "expected a text string in quotes",
    "bool_type": "expected true or false",
    "list_type": "expected a list [...]",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "literal_error": "expected one of {expected}",
    "too_short": "expected at least {min_length} item(s)",
    "too_long": "expected at most {max_length} item(s)",
    "string_too_short": "expected a non-empty text",
    "greater_than": "expected a number > {gt}",
    "greater_than_equal": "expected a number >= {ge}",
    "less_than": "expected a number < {lt}",
    "less_than_equal": "expected a number <= {le}",
    "finite_number": "expected a finite number (NaN and inf are not allowed)",
}


def _format_pydantic_error(err: Any, raw: Any) -> tuple[str, str]:
    """Return (key path, message) for one pydantic error dict."""
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    ctx = err.get("ctx") or {}
    etype = err["type"]
    if ctx.get("unknown"):
        loc = [*loc, ctx["unknown"]]
    if ctx.get("param"):
        loc = [*loc, ctx["param"]]
    path = _key_path(loc)
    if etype in ("unknown_key", "timing"):
        return path, err["msg"]
    hint = _PYDANTIC_HINTS.get(etype)
    if hint is not None:
        try:
            msg = hint.format(**ctx)
        except (KeyError, IndexError):
            msg = hint
    else:
        msg = err["msg"]
    if etype != "missing" and etype not in ("scalar_type", "scalar_finite", "distribution"):
        received = _lookup(raw, err["loc"]) if "input" not in err else err["input"]
        msg = f"{msg}; received {_describe(received)}"
    return path, msg


def _support_within(
    dist: Distribution, low: float, high: float, path: str, what: str, file: str | None
) -> None:
    lo, hi = dist.support()
    if dist.is_fixed and not low <= lo <= high:
        hint = (
            f" (a share, not a percentage: write {lo / 100:g} for {lo:g} %)"
            if high == 1.0 and 1.0 < lo <= 100.0
            else ""
        )
        raise CaseFileError(
            f"{what} must lie in [{low:g}, {high:g}]; received {lo:g}{hint}",
            file=file,
            key=path,
        )
    if lo < low or hi > high:
        raise CaseFileError(
            f"{what} must lie in [{low:g}, {high:g}]; received {_describe(dist.to_toml())} "
            f"with support [{lo:g}, {hi:g}]; choose a bounded distribution (beta, pert, "
            "triangular, uniform, truncnormal) within those limits",
            file=file,
            key=path,
        )


def _check_case(case: Case, file: str | None) -> None:
    """Cross-field checks that need the whole case."""
    actors = case.actors
    if len(set(actors)) != len(actors):
        raise CaseFileError(
            f"actor names must be distinct; received {actors!r}", file=file, key="actors"
        )
    for i, actor in enumerate(actors):
        if not actor.strip():
            raise CaseFileError("expected a non-empty actor name", file=file, key=f"actors[{i}]")
    _support_within(case.success_rate, 0.0, 1.0, "success_rate", "a succesrate", file)
    _support_within(
        case.outcome.dropoff_rate, 0.0, 1.0, "outcome.dropoff_rate", "a drop-off rate", file
    )
    for c, n in enumerate(case.participants.per_year):
        _support_within(
            n, 0.0, math.inf, f"participants.per_year[{c}]", "a number of participants", file
        )
    if case.outcome.noise:
        for c, n in enumerate(case.participants.per_year):
            if n.is_fixed and not float(n.mean()).is_integer():
                raise CaseFileError(
                    f"with outcome.noise = true participants are counted in whole persons; "
                    f"received {n.mean():g}; round it or turn outcome noise off",
                    file=file,
                    key=f"participants.per_year[{c}]",
                )
    horizon = case.horizon_years
    n_cohorts = case.n_cohorts
    if n_cohorts > horizon:
        raise CaseFileError(
            f"{n_cohorts} intake years do not fit in a horizon of {horizon} years; shorten "
            "participants.per_year or raise horizon_years",
            file=file,
            key="participants.per_year",
        )
    for kind, names in (
        ("costs", [c.name for c in case.costs]),
        ("consequences", [c.name for c in case.consequences]),
    ):
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in seen:
                raise CaseFileError(
                    f"duplicate name {name!r} (also used by {kind}[{seen[name]}]); "
                    "every line needs a distinct name",
                    file=file,
                    key=f"{kind}[{i}].name",
                )
            seen[name] = i
    for i, cost in enumerate(case.costs):
        if cost.actor not in actors:
            raise CaseFileError(
                f"unknown actor {cost.actor!r}; declared actors are {', '.join(actors)} "
                "(add it to 'actors' or fix the spelling)",
                file=file,
                key=f"costs[{i}].actor",
            )
        if cost.kind == "one_off" and (cost.year or 0) >= horizon:
            raise CaseFileError(
                f"year {cost.year} is outside the horizon (model years 0..{horizon - 1})",
                file=file,
                key=f"costs[{i}].year",
            )
        if cost.kind == "yearly" and cost.years is not None and max(cost.years) >= horizon:
            raise CaseFileError(
                f"years {cost.years} reach beyond the horizon (model years 0..{horizon - 1})",
                file=file,
                key=f"costs[{i}].years",
            )
    span = case.participants.course_span
    for i, cons in enumerate(case.consequences):
        for actor in cons.price:
            if actor not in actors:
                raise CaseFileError(
                    f"price for undeclared actor {actor!r}; declared actors are "
                    f"{', '.join(actors)} (add it to 'actors' or fix the spelling)",
                    file=file,
                    key=f"consequences[{i}].price.{actor}",
                )
        if cons.applies_to == "participants" and len(cons.profile) > span:
            raise CaseFileError(
                f"a during-forløb consequence has {len(cons.profile)} profile years but the "
                f"forløb lasts {span} year(s) (course_years = {case.participants.course_years:g});"
                " shorten the profile",
                file=file,
                key=f"consequences[{i}].profile",
            )
    if case.correlations:
        _check_correlations(case, file)


def _check_correlations(case: Case, file: str | None) -> None:
    from som_mc.inputs import case_inputs
    from som_mc.sampling import CorrelationSpec
    from som_mc.sampling._correlation import correlation_matrix

    inputs = {spec.name: spec for spec in case_inputs(case)}
    seen: set[frozenset[str]] = set()
    for i, corr in enumerate(case.correlations):
        for j, name in enumerate(corr.inputs):
            key = f"correlations[{i}].inputs[{j}]"
            if name not in inputs:
                close = difflib.get_close_matches(name, list(inputs), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise CaseFileError(
                    f"unknown input {name!r}{hint}; inputs are named like 'success_rate', "
                    "'costs.<name>.amount', 'consequences.<name>.price.<actor>' "
                    "(see cases/README.md)",
                    file=file,
                    key=key,
                )
            if not inputs[name].uncertain:
                raise CaseFileError(
                    f"input {name!r} is a fixed number; only uncertain inputs (distributions) "
                    "can be correlated",
                    file=file,
                    key=key,
                )
        pair = frozenset(corr.inputs)
        if len(pair) == 1 or pair in seen:
            raise CaseFileError(
                (
                    "an input cannot be correlated with itself"
                    if len(pair) == 1
                    else "this pair is already correlated"
                )
                + f": {corr.inputs!r}",
                file=file,
                key=f"correlations[{i}].inputs",
            )
        seen.add(pair)
    specs = [CorrelationSpec(c.inputs[0], c.inputs[1], c.rank) for c in case.correlations]
    _, target = correlation_matrix(specs)
    if np.linalg.eigvalsh(target).min() <= 1e-10:
        raise CaseFileError(
            "the rank correlations together are inconsistent (the correlation matrix is not "
            "positive definite); weaken some of them",
            file=file,
            key="correlations",
        )


def parse_case(
    data: Mapping[str, Any],
    *,
    file: str | None = None,
    catalog: Catalog | str | Path | None = None,
) -> Case:
    """Validate a case given as a mapping (the parsed TOML).

    Catalog references (``uses = "catalog:NAME"``, see ``cases/README.md``) are resolved
    first, so the returned case holds ordinary values; :attr:`Case.catalog_uses` lists the
    entries used.

    Parameters
    ----------
    data : Mapping
        The case as parsed from TOML.
    file : str, optional
        File name used in error messages.
    catalog : Catalog, str or Path, optional
        The distribution catalog (or its folder) for references; default: the repository's
        ``distributions/`` (see :func:`som_mc.catalog.default_catalog_dir`). Only loaded
        when the case has a reference.

    Returns
    -------
    Case
        The validated case.

    Raises
    ------
    CaseFileError
        On the first problem found, naming the key path, what was received and what is
        allowed.
    """
    if not isinstance(data, Mapping):
        raise CaseFileError(f"expected a TOML table at the top level; received {data!r}", file=file)
    from som_mc.catalog import resolve_references

    data, uses = resolve_references(data, file=file, catalog=catalog)
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        path, msg = _format_pydantic_error(errors[0], data)
        more = len(errors) - 1
        if more:
            msg += f" (and {more} more problem{'s' if more > 1 else ''} after fixing this)"
        raise CaseFileError(msg, file=file, key=path or None) from None
    _check_case(case, file)
    case._catalog_uses = uses
    return case


def load_case(path: str | Path, *, catalog: Catalog | str | Path | None = None) -> Case:
    """Load and validate an investeringscase from a TOML file.

    Parameters
    ----------
    path : str or Path
        The case file.
    catalog : Catalog, str or Path, optional
        The distribution catalog for ``uses = "catalog:…"`` references (see
        :func:`parse_case`).

    Returns
    -------
    Case
        The validated case.

    Raises
    ------
    CaseFileError
        If the file cannot be read, is not valid TOML or does not follow the case format.

    Examples
    --------
    >>> from som_mc import load_case
    >>> case = load_case("cases/housing_first.toml")  # doctest: +SKIP
    """
    path = Path(path)
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CaseFileError("file not found; check the path", file=file) from None
    except OSError as exc:
        raise CaseFileError(f"cannot read the file ({exc.strerror})", file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseFileError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=file
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseFileError(f"malformed TOML: {exc}", file=file) from None
    return parse_case(data, file=file, catalog=catalog)


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
