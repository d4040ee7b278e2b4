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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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

__all__ = ["MAX_DRAWS", "RunSpec", "RunSpecError", "check_draws"]

#: The most draws one run may ask for (documented cap).
MAX_DRAWS = 2_000_000_000


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
        and `draws` is rounded up to whole blocks.

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
            draws = -(-draws // BLOCK_SIZE) * BLOCK_SIZE
            if draws > MAX_DRAWS:
                draws -= BLOCK_SIZE
            chunk_draws = BLOCK_SIZE
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
