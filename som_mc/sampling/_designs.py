"""Sampling designs: plain Monte Carlo, Latin hypercube and scrambled Sobol.

Draws are organised in blocks of :data:`BLOCK_SIZE`; block ``b`` of input ``name`` is drawn
from ``stream(seed, name, b)``. A design stratifies within a block, so the numbers of a
run do not depend on how the draws are chunked for memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from som_mc.distributions import (
    PERT,
    Beta,
    Binomial,
    DiscreteUniform,
    Distribution,
    Gamma,
    LogNormal,
    Mixture,
    Normal,
    Poisson,
    Triangular,
    Uniform,
)
from som_mc.distributions._base import lazy_module
from som_mc.sampling._correlation import CorrelationSpec, iman_conover
from som_mc.sampling._streams import stream, streams
from som_mc.types import BLOCK_SIZE, DEFAULT_DESIGN, DESIGNS, Design

qmc = lazy_module("scipy.stats.qmc")

__all__ = [
    "BLOCK_SIZE",
    "DESIGNS",
    "ROW_PAD",
    "Design",
    "block_bounds",
    "row_buffer",
    "rows_in_place",
    "sample_block",
    "sample_inputs",
]

#: Spare values after each row of a :func:`row_buffer` (one 64-byte cache line).
ROW_PAD = 8

#: Sampling design names.

#: Draws per block of random numbers (a power of two, for Sobol balance).


def block_bounds(n_draws: int, block: int) -> tuple[int, int]:
    """First and one-past-last draw of `block` in a run of `n_draws`."""
    start = block * BLOCK_SIZE
    return start, min(start + BLOCK_SIZE, n_draws)


def row_buffer(n_rows: int, n: int) -> np.ndarray:
    """Return an uninitialised (n_rows, n) array whose rows are contiguous, not 2^k bytes apart.

    A kernel that reads a stretch of every row at once (the engine's tiles: 128 draws of
    each of 69 inputs) finds rows whose starts lie a multiple of 4 KiB apart (a block's
    16,384 draws: 128 KiB) in the same cache set, which holds only a few of them; each row
    is therefore followed by :data:`ROW_PAD` spare values. The array is a view of a larger
    buffer (``strides[1]`` is 8, ``strides[0]`` ``8 * (n + ROW_PAD)``); the numbers in it do
    not depend on the layout.
    """
    return np.empty((n_rows, n + ROW_PAD))[:, :n]


def rows_in_place(a: np.ndarray) -> bool:
    """Whether a 2-D array's rows can be read (or written) in place as the kernels do.

    True for float64 arrays whose rows are each contiguous (a :func:`row_buffer`, a
    C-contiguous array, a block's slice of a run's input-major buffer), however far apart.
    """
    return a.dtype == np.float64 and (a.shape[1] <= 1 or a.strides[1] == a.itemsize)


def _affine(u: np.ndarray, low: float, width: float) -> np.ndarray:
    """``low + width * u`` in place (the same numbers, no temporaries)."""
    np.multiply(u, width, out=u)
    np.add(u, low, out=u)
    return u


class FastSamplers(Protocol):
    """Faster implementations of NumPy's samplers, with NumPy's numbers (the engine's).

    Each fills `out` with the numbers of the ``Generator`` method of the same name on
    ``out.size`` draws; the generator may end further on than NumPy's method leaves it, so
    they serve only streams that draw nothing afterwards.
    """

    def beta(self, gen: np.random.Generator, a: float, b: float, out: np.ndarray) -> None:
        """``gen.beta(a, b, out.size)``'s numbers."""

    def normal(
        self, gen: np.random.Generator, loc: float, scale: float, out: np.ndarray, log: bool
    ) -> None:
        """``gen.normal(loc, scale, out.size)``'s numbers (``gen.lognormal``'s with `log`)."""

    def triangular(
        self, gen: np.random.Generator, left: float, mode: float, right: float, out: np.ndarray
    ) -> None:
        """``gen.triangular(left, mode, right, out.size)``'s numbers."""


def _random_draws(
    dist: Distribution,
    gen: np.random.Generator,
    n: int,
    fast: FastSamplers | None = None,
    into: np.ndarray | None = None,
) -> np.ndarray:
    """Plain Monte Carlo draws; NumPy's own samplers where ppf would be slow.

    `fast` draws the same numbers as NumPy's beta, normal, lognormal and triangular samplers,
    faster (a stream that draws nothing after them), into `into` (n,) when given: then the
    result is `into` itself.
    """
    if isinstance(dist, PERT | Beta):
        width = dist.high - dist.low
        if isinstance(dist, PERT):
            a = 1.0 + dist.shape * (dist.most_likely - dist.low) / width
            b = 1.0 + dist.shape * (dist.high - dist.most_likely) / width
        else:
            a, b = dist.alpha, dist.beta
        if fast is None:
            return _affine(gen.beta(a, b, n), dist.low, width)
        out = np.empty(n) if into is None else into
        fast.beta(gen, a, b, out)
        return _affine(out, dist.low, width)
    if fast is not None and isinstance(dist, Normal | LogNormal | Triangular):
        out = np.empty(n) if into is None else into
        if isinstance(dist, Triangular):
            fast.triangular(gen, dist.low, dist.most_likely, dist.high, out)
        else:
            fast.normal(gen, dist.mu, dist.sigma, out, isinstance(dist, LogNormal))
        return out
    if isinstance(dist, Gamma):
        return gen.gamma(dist.shape, dist.scale, n)
    if isinstance(dist, Poisson):
        return gen.poisson(dist.mu, n).astype(np.float64)
    if isinstance(dist, Normal):
        return gen.normal(dist.mu, dist.sigma, n)
    if isinstance(dist, LogNormal):
        return gen.lognormal(dist.mu, dist.sigma, n)
    if isinstance(dist, Uniform):
        return gen.uniform(dist.low, dist.high, n)
    if isinstance(dist, Triangular):
        return gen.triangular(dist.low, dist.most_likely, dist.high, n)
    if isinstance(dist, DiscreteUniform):
        return gen.integers(dist.low, dist.high, n, endpoint=True).astype(np.float64)
    if isinstance(dist, Binomial):
        return gen.binomial(dist.n, dist.p, n).astype(np.float64)
    if isinstance(dist, Mixture):
        # pick each draw's component, then draw each component's share in one go
        w = np.asarray(dist.weights, dtype=np.float64)
        which = np.searchsorted(np.cumsum(w / w.sum())[:-1], gen.random(n), side="right")
        out = np.empty(n)
        for i, comp in enumerate(dist.components):
            mask = which == i
            out[mask] = _random_draws(comp, gen, int(mask.sum()))
        return out
    return np.asarray(dist.ppf(gen.random(n)), dtype=np.float64)


def sample_block(
    dists: Sequence[Distribution],
    names: Sequence[str],
    *,
    seed: int,
    block: int,
    size: int,
    design: Design = DEFAULT_DESIGN,
    correlations: Sequence[CorrelationSpec] = (),
    inputs_major: bool = False,
    fast: FastSamplers | None = None,
    into: np.ndarray | None = None,
) -> np.ndarray:
    """Sample one block of draws of the given inputs.

    Parameters
    ----------
    dists, names : sequences
        The inputs' distributions and their stream names.
    seed : int
        The run's seed.
    block : int
        Block index (its draws are ``block * BLOCK_SIZE`` onwards).
    size : int
        Number of draws in this block.
    design : {"random", "lhs", "sobol"}
        ``random``: each input from its own stream. ``lhs``: a Latin hypercube within the
        block, each input's stratification permuted by its own stream. ``sobol``: one
        scrambled Sobol sequence over all inputs in the given order (so, unlike the others,
        adding an input changes the draws of inputs after it). A :class:`Mixture` is drawn
        component by component in ``random`` (each draw's component picked by weight) and
        through its numerically inverted ``ppf`` in ``lhs`` and ``sobol``.
    correlations : sequence of CorrelationSpec
        Rank correlations imposed by Iman–Conover within the block (marginals unchanged).
    inputs_major : bool
        Return the sample input by input, shape ``(len(dists), size)`` (the same numbers,
        transposed; each input's draws are written as one contiguous row of a
        :func:`row_buffer`).
    fast : FastSamplers, optional
        Draws the numbers of NumPy's beta, normal, lognormal and triangular samplers faster (the
        engine's compiled samplers); used for the inputs of the ``random`` design, whose
        streams draw nothing else.
    into : ndarray, shape (len(dists), size), optional
        With `inputs_major`: write the sample here (float64, each row contiguous, e.g. a
        block's slice of a run's input buffer) and return it, instead of a new
        :func:`row_buffer`.

    Returns
    -------
    ndarray, shape (size, len(dists))
        Draw-major sample (transposed with `inputs_major`).
    """
    n_in = len(dists)
    if into is not None and (
        not inputs_major or into.shape != (n_in, size) or not rows_in_place(into)
    ):
        raise ValueError(
            f"into must be a float64 array of shape {(n_in, size)} with contiguous rows, "
            "with inputs_major"
        )
    rows = (into if into is not None else row_buffer(n_in, size)) if inputs_major else None
    out = rows.T if rows is not None else np.empty((size, n_in))
    if design == "random":
        gens = streams(seed, names, block)
        for j, (dist, gen) in enumerate(zip(dists, gens, strict=True)):
            # the compiled samplers write straight into the input's row of the sample
            row = rows[j] if rows is not None and fast is not None else None
            drawn = _random_draws(dist, gen, size, fast, row)
            if drawn is not row:
                out[:, j] = drawn
    elif design == "lhs":
        gens = streams(seed, names, block)
        for j, (dist, gen) in enumerate(zip(dists, gens, strict=True)):
            u = (gen.permutation(size) + gen.random(size)) / size
            out[:, j] = dist.ppf(u)
    elif design == "sobol":
        if n_in:
            sobol = qmc.Sobol(d=n_in, scramble=True, rng=stream(seed, "design:sobol", 0))
            if block:
                sobol.fast_forward(block * BLOCK_SIZE)
            with warnings.catch_warnings():
                # balance warning for sizes that are not powers of two: documented
                warnings.simplefilter("ignore", UserWarning)
                u = sobol.random(size)
            for j, dist in enumerate(dists):
                out[:, j] = dist.ppf(u[:, j])
    else:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}; received {design!r}")
    if correlations and size > 2:
        index = {name: j for j, name in enumerate(names)}
        iman_conover(out, correlations, index, stream(seed, "correlation", block))
    return rows if rows is not None else out


def sample_inputs(
    dists: Sequence[Distribution],
    names: Sequence[str],
    n_draws: int,
    *,
    seed: int,
    design: Design = DEFAULT_DESIGN,
    correlations: Sequence[CorrelationSpec] = (),
) -> np.ndarray:
    """Sample `n_draws` draws of the inputs (all blocks), shape ``(n_draws, len(dists))``."""
    n_blocks = -(-n_draws // BLOCK_SIZE)
    parts = []
    for b in range(n_blocks):
        start, stop = block_bounds(n_draws, b)
        parts.append(
            sample_block(
                dists,
                names,
                seed=seed,
                block=b,
                size=stop - start,
                design=design,
                correlations=correlations,
            )
        )
    return np.concatenate(parts, axis=0) if parts else np.empty((0, len(dists)))
