"""The run specification: everything that determines a Monte Carlo run's numbers, checked once.

A :class:`RunSpec` is made by :meth:`RunSpec.make`, which validates every setting and fixes
the seed (``None`` draws fresh entropy, recorded so the run can be repeated). The numbers of a
run depend only on its spec — case, draws, seed, design, quantile levels, shared streams and
the stopping rule — never on where or in how many pieces it runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from som_mc._version import __version__
from som_mc.case import Case, case_hash
from som_mc.engine.chunks import DEFAULT_CHUNK
from som_mc.errors import SomMcError
from som_mc.model import CaseModel, compile_case
from som_mc.results import SCHEMA_VERSION, provenance
from som_mc.sampling import BLOCK_SIZE, DESIGNS, Design, normalize_seed
from som_mc.stats.cells import HISTOGRAM_BINS, QuantileMethod, check_quantiles, quantile_method
from som_mc.stats.summary import DEFAULT_QUANTILES
from som_mc.types import DEFAULT_DESIGN

__all__ = [
    "MAX_DRAWS",
    "MAX_MEMORY",
    "RunSpec",
    "RunSpecError",
    "check_draws",
    "check_size",
    "check_summary_finite",
    "estimate_memory",
    "max_memory",
]

#: The most draws one run may ask for (documented cap).
MAX_DRAWS = 2_000_000_000

#: Default cap on the memory a run may need, in bytes (raise it with ``SOM_MC_MAX_MEMORY``,
#: e.g. ``SOM_MC_MAX_MEMORY=32G``).
MAX_MEMORY = 8 * 2**30

#: Rough throughput of the kernel, in draw-cells (draws × years × aktører) per second, for
#: the time estimate quoted when a run is refused.
_CELLS_PER_SECOND = 2e8

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class RunSpecError(SomMcError, ValueError):
    """Invalid run settings (draws, seed, design, chunking, stopping rule)."""


def check_draws(draws: object, name: str = "draws") -> int:
    """Return `draws` as a positive integer no larger than :data:`MAX_DRAWS`, or raise."""
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise RunSpecError(f"{name} must be a positive whole number; received {draws!r}")
    if draws > MAX_DRAWS:
        raise RunSpecError(f"{name} must be at most {MAX_DRAWS:_}; received {draws:_}")
    return draws



#: Recently hashed cases (the case object is kept, so its id is not reused while cached).
_HASHES: dict[int, tuple[Case, str]] = {}


def _case_hash(case: Case) -> str:
    """:func:`~som_mc.case.case_hash`, remembered per case object (cases are frozen).

    Hashing writes the whole case as TOML (tens of milliseconds for a large case), which a
    script calling :func:`som_mc.simulate` in a loop would otherwise pay on every call.
    """
    hit = _HASHES.get(id(case))
    if hit is not None and hit[0] is case:
        return hit[1]
    if len(_HASHES) >= 16:
        _HASHES.clear()
    digest = case_hash(case)
    _HASHES[id(case)] = (case, digest)
    return digest


def max_memory() -> int:
    """Return the memory cap in bytes: ``$SOM_MC_MAX_MEMORY`` (e.g. ``16G``) or the default."""
    text = os.environ.get("SOM_MC_MAX_MEMORY", "").strip().upper().removesuffix("B")
    if not text:
        return MAX_MEMORY
    unit = text[-1] if text[-1] in _UNITS else ""
    try:
        value = float(text[: len(text) - len(unit)])
    except ValueError:
        raise RunSpecError(
            f"SOM_MC_MAX_MEMORY must be a size such as 16G or 500M; received {text!r}"
        ) from None
    if not (math.isfinite(value) and value > 0):
        raise RunSpecError(f"SOM_MC_MAX_MEMORY must be a positive size; received {text!r}")
    return int(value * _UNITS[unit])


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def estimate_memory(spec: RunSpec, *, keep_draws: bool = False) -> int:
    """Estimate the peak memory of a run in bytes (the arrays; not Python's own overhead).

    Counts one chunk of every per-draw array (twice: the kernel's output and the summary's
    working copy), the summary's state (every row of every cell for exact quantiles, a
    histogram per cell otherwise), the ppf tables of discrete inputs under ``lhs``/``sobol``
    and, with `keep_draws`, every draw of every array.
    """
    case = spec.case
    n_t = case.horizon_years
    n_a = len(case.actors)
    n_c = case.n_cohorts
    n_k = len(case.consequences)
    n_in = len(case.costs) + n_c + 2 + sum(
        1 + len(c.profile) + len(c.price) for c in case.consequences
    )
    cells = n_t * n_a
    kept = n_k * cells if spec.keep_consequences else 0
    per_draw = 8 * (3 * cells + n_a + n_in + 2 * n_c + kept)
    chunk = min(spec.chunk_draws, spec.draws)
    total = 2 * chunk * per_draw
    rows = 2 * cells + 3 * n_a  # yearly, cumulative, horizon, pv, per participant
    if spec.quantile_method == "exact":
        total += 8 * spec.draws * rows
    else:
        total += 8 * spec.bins * rows * 2
    if spec.design != "random":
        from som_mc.case import case_inputs

        for inp in case_inputs(case):
            if inp.dist.kind == "binomial":
                total += 16 * (int(inp.dist.to_toml().get("n", 0)) + 1)
    if keep_draws:
        total += spec.draws * per_draw
    return int(total)


def check_size(specs: Sequence[RunSpec], *, keep_draws: bool = False) -> int:
    """Refuse runs whose estimated memory exceeds the cap (:func:`max_memory`).

    Returns the estimate in bytes. The message gives the estimate, a time estimate, the cap
    and what to do.
    """
    need = sum(estimate_memory(s, keep_draws=keep_draws) for s in specs)
    cap = max_memory()
    if need > cap:
        work = sum(s.draws * s.case.horizon_years * len(s.case.actors) for s in specs)
        advice = (
            "use fewer draws, or stream the draws to a Zarr store (--out NAME.zarr) instead "
            "of keeping them in memory"
            if keep_draws
            else "use fewer draws or fewer aktører/years"
        )
        raise RunSpecError(
            f"this run needs about {_size(need)} of memory (and roughly "
            f"{_duration(work / _CELLS_PER_SECOND)}), more than the cap of {_size(cap)}; "
            f"{advice}; or raise the cap with SOM_MC_MAX_MEMORY=64G"
        )
    return need


def check_summary_finite(summary: xr.Dataset, case_name: str) -> xr.Dataset:
    """Refuse a summary whose means or quantiles are not finite (the cheap post-run check).

    Validation keeps every input within :data:`som_mc._validation.MAX_MAGNITUDE`, so this
    should never fire; it is the guarantee that no NaN or inf is printed or written.
    """
    for name, var in summary.data_vars.items():
        if not (str(name).endswith(("_mean", "_quantile", "_sd")) and var.dtype.kind == "f"):
            continue
        if str(name).startswith("per_participant"):
            continue  # a draw with no participants has no result per participant
        values = np.asarray(var.values)
        if not np.isfinite(values).all():
            raise RunSpecError(
                f"case {case_name!r}: the run produced numbers that are not finite in {name}; "
                "an input is too large for the arithmetic: check amounts, prices, scales and "
                "profiles for values far beyond the case's scale"
            )
    return summary


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines the numbers of a run (use :meth:`make`).

    Attributes
    ----------
    case : Case
        The case.
    draws : int
        Number of draws (with `target_mcse`: the most draws).
    seed : int
        The run's seed.
    design : {"random", "lhs", "sobol"}
        Sampling design.
    chunk_draws : int
        Draws per chunk, a whole number of blocks; changes no number.
    keep_consequences : bool
        Also keep the value per consequence in the results.
    quantiles : tuple of float
        Quantile probabilities of the summary.
    target_mcse : float or None
        Stopping rule: stop after the first block of draws at which the MCSE of the mean
        cumulative total nettoresultat over the horizon is below this many kroner.
    bins : int
        Histogram bins per cell for the quantile sketch of large runs.
    shared : tuple of (str, str)
        Inputs that draw from another input's stream (input name, stream name).
    """

    case: Case
    draws: int
    seed: int
    design: Design = DEFAULT_DESIGN
    chunk_draws: int = DEFAULT_CHUNK
    keep_consequences: bool = False
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    target_mcse: float | None = None
    bins: int = HISTOGRAM_BINS
    shared: tuple[tuple[str, str], ...] = ()
    case_sha256: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.chunk_draws < 1 or self.chunk_draws % BLOCK_SIZE:
            raise RunSpecError(
                f"chunk_draws must be a whole number of blocks of {BLOCK_SIZE} draws (use "
                f"RunSpec.make, which rounds up); received {self.chunk_draws}"
            )
        if not self.case_sha256:
            object.__setattr__(self, "case_sha256", _case_hash(self.case))

    @classmethod
    def make(
        cls,
        case: Case,
        *,
        draws: int,
        seed: int | None = None,
        design: Design = DEFAULT_DESIGN,
        chunk_draws: int = DEFAULT_CHUNK,
        keep_consequences: bool = False,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
        target_mcse: float | None = None,
        bins: int = HISTOGRAM_BINS,
        shared: Mapping[str, str] | None = None,
    ) -> RunSpec:
        """Validate the settings, fix the seed and round chunks up to whole blocks.

        With `target_mcse`, chunks are single blocks (the stopping rule looks at every block)
        and `draws` is the most draws the run takes (never more).

        Raises
        ------
        RunSpecError
            Naming the parameter, what was received and what is allowed.
        """
        if not isinstance(case, Case):
            raise RunSpecError(f"case must be a Case (som_mc.load_case); received {case!r}")
        draws = check_draws(draws)
        check_draws(chunk_draws, "chunk_draws")
        if design not in DESIGNS:
            raise RunSpecError(
                f"design must be one of {', '.join(DESIGNS)}; received {design!r}"
            )
        if target_mcse is not None:
            if isinstance(target_mcse, bool) or not isinstance(target_mcse, int | float) or not (
                math.isfinite(target_mcse) and target_mcse > 0
            ):
                raise RunSpecError(
                    f"target_mcse must be a positive number of kroner; received {target_mcse!r}"
                )
            chunk_draws = BLOCK_SIZE  # `draws` stays the cap: the last block may be partial
        if isinstance(bins, bool) or not isinstance(bins, int) or not 16 <= bins <= 1 << 20:
            raise RunSpecError(f"bins must be a whole number in 16..{1 << 20}; received {bins!r}")
        try:
            q = check_quantiles(quantiles)
        except ValueError as exc:
            raise RunSpecError(str(exc)) from None
        blocks = -(-chunk_draws // BLOCK_SIZE)
        return cls(
            case=case,
            draws=draws,
            seed=normalize_seed(seed),
            design=design,
            chunk_draws=blocks * BLOCK_SIZE,
            keep_consequences=bool(keep_consequences),
            quantiles=q,
            target_mcse=None if target_mcse is None else float(target_mcse),
            bins=bins,
            shared=tuple(sorted((shared or {}).items())),
        )

    @property
    def n_chunks(self) -> int:
        """Number of chunks."""
        return -(-self.draws // self.chunk_draws)

    @property
    def quantile_method(self) -> QuantileMethod:
        """Exact or sketched quantiles: decided by the number of draws alone."""
        return quantile_method(self.draws)

    def bounds(self, index: int) -> tuple[int, int]:
        """First and one-past-last draw of chunk `index`."""
        start = index * self.chunk_draws
        return start, min(start + self.chunk_draws, self.draws)

    def model(self) -> CaseModel:
        """Compile the case, with inputs renamed to the streams they draw from."""
        model = compile_case(self.case)
        if not self.shared:
            return model
        shared = dict(self.shared)
        inputs = [dataclasses.replace(s, name=shared.get(s.name, s.name)) for s in model.inputs]
        return dataclasses.replace(model, inputs=inputs)

    def identity(self) -> dict[str, object]:
        """Return the settings a resumed run must share with the run it continues."""
        return {
            "case_sha256": self.case_sha256,
            "seed": self.seed,
            "design": self.design,
            "draws": self.draws,
            "chunk_draws": self.chunk_draws,
            "keep_consequences": int(self.keep_consequences),
            "shared": "; ".join(f"{k} = {v}" for k, v in self.shared),
            "som_mc_version": __version__,
            "schema_version": SCHEMA_VERSION,
        }

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`identity`."""
        text = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def provenance(self, **extra: object) -> dict[str, object]:
        """Provenance attributes of the run (:func:`som_mc.results.provenance`) plus `extra`."""
        run: dict[str, object] = {
            "seed": self.seed,
            "design": self.design,
            "draws": self.draws,
            "case_sha256": self.case_sha256,
        }
        if self.target_mcse is not None:
            run["target_mcse"] = self.target_mcse
        if self.shared:
            run["shared"] = "; ".join(f"{k} = {v}" for k, v in self.shared)
        return provenance(self.case, **run, **extra)
