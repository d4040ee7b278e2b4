"""Loading and validating investeringscase files.

A case file is TOML (read with :mod:`tomllib`) and is validated with the pydantic models of
:mod:`som_mc.case.schema`. Any problem is raised as one :class:`~som_mc.errors.CaseFileError`
naming the file, the key path (e.g. ``consequences[2].price.kommune``), what was received and
what is allowed. Catalog references are resolved first (:mod:`som_mc.catalog`).
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from som_mc._io import read_capped
from som_mc._validation import (
    MAX_COUNT,
    MAX_MAGNITUDE,
    check_text,
    describe,
    format_pydantic_error,
)
from som_mc.case._evidence import check_evidence
from som_mc.case.inputs import case_inputs
from som_mc.case.lint import case_warnings, report_warnings
from som_mc.case.scenarios import check_scenarios
from som_mc.case.schema import Case, case_hash, case_to_dict
from som_mc.catalog import Catalog, resolve_references
from som_mc.distributions import Distribution
from som_mc.errors import CaseFileError
from som_mc.sampling import CorrelationSpec
from som_mc.sampling._correlation import correlation_matrix

__all__ = ["case_hash", "case_to_dict", "load_case", "parse_case"]

#: Actor names that would clash with the total row and column of every table.
RESERVED_ACTORS = ("total", "i alt", "ialt", "i_alt")

_UTF8_BOM = "\ufeff"


#: The standard normal's upper 1e-9 quantile (``scipy.stats.norm.isf(1e-9)``).
_Z_1E9 = 5.9978070150076865


def _tail_bounds(dist: Any) -> tuple[float, float]:
    """Return the 1e-9 and 1 - 1e-9 quantiles of an unbounded `dist` (or bounds beyond them).

    Closed forms for the common unbounded families keep ``validate`` from importing
    scipy.stats; other families use their ppf.
    """
    kind = dist.kind
    with np.errstate(all="ignore"):
        if kind == "normal":
            mean, sd = float(dist.mu), float(dist.sigma)
            return mean - _Z_1E9 * sd, mean + _Z_1E9 * sd
        if kind == "lognormal":
            mu, sigma = float(dist.mu), float(dist.sigma)
            hi = mu + _Z_1E9 * sigma
            return 0.0, math.exp(hi) if hi < 709.0 else math.inf
        if kind == "poisson":  # an upper bound well beyond the quantile (Chernoff-type)
            mean = float(dist.mu)
            return 0.0, mean + _Z_1E9 * math.sqrt(mean) + 25.0
        q = np.asarray(dist.ppf(np.array([1e-9, 1.0 - 1e-9])), dtype=float)
    return float(q[0]), float(q[1])


def _cheap_mean(dist: Any) -> float:
    """Return the mean of `dist`, in closed form for the families cost amounts usually take.

    Only for validation checks (``validate`` should not import scipy.stats); the engine
    uses :meth:`~som_mc.distributions.Distribution.mean`.
    """
    kind = dist.kind
    if kind in ("triangular", "uniform", "pert"):
        lo, hi = float(dist.low), float(dist.high)
        if kind == "uniform":
            return (lo + hi) / 2.0
        mode = float(dist.most_likely)
        if kind == "triangular":
            return (lo + mode + hi) / 3.0
        shape = float(dist.shape)
        return (lo + shape * mode + hi) / (shape + 2.0)
    if kind in ("normal", "poisson"):
        return float(dist.mu)
    return float(dist.mean())


def _check_magnitudes(case: Case, file: str | None) -> None:
    """Refuse inputs whose values overflow the arithmetic, and ill-posed counts and names."""
    specs = case_inputs(case)
    for spec in specs:
        params = spec.dist.to_toml()
        for param in ("n", "mean", "mu"):
            value = params.get(param)
            if spec.dist.kind in ("binomial", "poisson") and isinstance(value, int | float):
                if value > MAX_COUNT:
                    raise CaseFileError(
                        f"a {spec.dist.kind} {param} of {value:g} is more than {MAX_COUNT:g}, the "
                        "most a count may be (more than all Danes); check the unit",
                        file=file,
                        key=f"{spec.key}.{param}",
                    )
    for spec in specs:
        dist = spec.dist
        params = dist.to_toml()
        lo, hi = dist.support()
        if not (math.isfinite(lo) and math.isfinite(hi)):
            q_lo, q_hi = _tail_bounds(dist)
            lo = lo if math.isfinite(lo) else q_lo
            hi = hi if math.isfinite(hi) else q_hi
        big = max(abs(lo), abs(hi)) if math.isfinite(lo) and math.isfinite(hi) else math.inf
        if not big <= MAX_MAGNITUDE:
            received = f"{lo:g}" if dist.is_fixed else describe(params)
            raise CaseFileError(
                f"values as large as {big:g} overflow the calculation; every input must stay "
                f"within ±{MAX_MAGNITUDE:g} (also its 1e-9 tail quantiles); received {received}",
                file=file,
                key=spec.key,
            )
        if spec.key.startswith("participants.") and big > MAX_COUNT:
            raise CaseFileError(
                f"{big:g} participants is more than {MAX_COUNT:g}, the most a cohort may hold",
                file=file,
                key=spec.key,
            )


def _check_stream_names(case: Case, file: str | None) -> None:
    """Refuse two inputs whose names (which key their random streams) coincide."""
    seen: dict[str, str] = {}
    for spec in case_inputs(case):
        if spec.name in seen:
            raise CaseFileError(
                f"this input gets the same name {spec.name!r} as {seen[spec.name]}, so both "
                "would share one random stream; rename a line (a '.' in a name can cause this)",
                file=file,
                key=spec.key,
            )
        seen[spec.name] = spec.key


_BLANK_NAME_KEYS = ("name", "actor", "unit", "target_group")


def _check_texts(data: Any, path: str, file: str | None) -> None:
    """Refuse control characters anywhere, and blank names, in the raw case."""
    if isinstance(data, str):
        try:
            check_text(data)
        except ValueError as exc:
            raise CaseFileError(str(exc), file=file, key=path or None) from None
        last = re.split(r"[.\]]", path)[-1] if path else ""
        if last in _BLANK_NAME_KEYS and data and not data.strip():
            raise CaseFileError(
                f"expected a non-blank text; received {describe(data)}", file=file, key=path
            )
    elif isinstance(data, Mapping):
        for key, value in data.items():
            _check_texts(str(key), path, file)
            _check_texts(value, f"{path}.{key}" if path else str(key), file)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_texts(value, f"{path}[{i}]", file)


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
            f"{what} must lie in [{low:g}, {high:g}]; received {describe(dist.to_toml())} "
            f"with support [{lo:g}, {hi:g}]; choose a bounded distribution (beta, pert, "
            "triangular, uniform, truncnormal) within those limits",
            file=file,
            key=path,
        )


def _check_case(case: Case, file: str | None) -> None:
    """Cross-field checks that need the whole case."""
    _check_magnitudes(case, file)  # first: huge parameters make scipy itself fail
    actors = case.actors
    if len(set(actors)) != len(actors):
        raise CaseFileError(
            f"actor names must be distinct; received {actors!r}", file=file, key="actors"
        )
    for i, actor in enumerate(actors):
        if not actor.strip():
            raise CaseFileError("expected a non-empty actor name", file=file, key=f"actors[{i}]")
        if " ".join(actor.split()).casefold() in RESERVED_ACTORS:
            raise CaseFileError(
                f"{actor!r} names the total row and column of every table; call the actor "
                "something else",
                file=file,
                key=f"actors[{i}]",
            )
    if not case.name.strip():
        raise CaseFileError(
            f"expected a non-blank name; received {describe(case.name)}", file=file, key="name"
        )
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
    if case.participants.per_year and all(
        n.is_fixed and n.mean() == 0 for n in case.participants.per_year
    ):
        raise CaseFileError(
            "every intake year has 0 participants, so there is nothing to compute (and no "
            "result per deltager); give at least one year participants",
            file=file,
            key="participants.per_year",
        )
    for i, cost in enumerate(case.costs):
        if _cheap_mean(cost.amount) < 0:
            amount = cost.amount
            shown = f"{amount.mean():g}" if amount.is_fixed else describe(amount.to_toml())
            raise CaseFileError(
                f"a cost amount must not be negative; received {shown}; write a saving as a "
                "positive amount with saved = true",
                file=file,
                key=f"costs[{i}].amount",
            )
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
    _check_stream_names(case, file)
    if case.correlations:
        _check_correlations(case, file)
    if case.scenarios:
        check_scenarios(case, file)


def _check_correlations(case: Case, file: str | None) -> None:
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
    _check_texts(data, "", file)
    data, uses = resolve_references(data, file=file, catalog=catalog)
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        path, msg = format_pydantic_error(errors[0], data)
        more = len(errors) - 1
        if more:
            msg += f" (and {more} more problem{'s' if more > 1 else ''} after fixing this)"
        raise CaseFileError(msg, file=file, key=path or None) from None
    _check_case(case, file)
    check_evidence(case, file)
    case._catalog_uses = uses
    return case


def load_case(
    path: str | Path,
    *,
    catalog: Catalog | str | Path | None = None,
    strict: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Case:
    """Load and validate an investeringscase from a TOML file.

    Parameters
    ----------
    path : str or Path
        The case file.
    catalog : Catalog, str or Path, optional
        The distribution catalog for ``uses = "catalog:…"`` references (see
        :func:`parse_case`).
    strict : bool
        Treat warnings (:mod:`som_mc.case.lint`: a money amount written like ``42.500``, a
        partial price override) as errors.
    warn : callable, optional
        Receives each warning line (default: one line on stderr).

    Returns
    -------
    Case
        The validated case.

    Raises
    ------
    CaseFileError
        If the file cannot be read, is not valid TOML or does not follow the case format
        (or, with `strict`, for the first warning).

    Examples
    --------
    >>> from som_mc import load_case
    >>> case = load_case("cases/housing_first.toml")  # doctest: +SKIP
    """
    path = Path(path)
    file = str(path)
    try:
        raw = read_capped(path)
    except FileNotFoundError:
        raise CaseFileError("file not found; check the path", file=file) from None
    except OSError as exc:
        raise CaseFileError(f"cannot read the file ({exc.strerror})", file=file) from None
    except ValueError as exc:
        raise CaseFileError(str(exc), file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseFileError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=file
        ) from None
    text = text.removeprefix(_UTF8_BOM)  # a byte-order mark some editors write
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseFileError(f"malformed TOML: {exc}", file=file) from None
    except RecursionError:
        raise CaseFileError(
            "arrays or tables nested too deeply to read; a case needs at most a few levels",
            file=file,
        ) from None
    case = parse_case(data, file=file, catalog=catalog)
    report_warnings(case_warnings(case, text, data), file=file, strict=strict, warn=warn)
    return case
