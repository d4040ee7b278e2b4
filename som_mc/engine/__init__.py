"""The computation: the deterministic SØM calculation and the Monte Carlo kernel.

:func:`deterministic` is the reference calculation on point values; the numba kernels
(:mod:`som_mc.engine._kernels`) sit behind one typed front (:mod:`som_mc.engine.kernel`) and
have a plain NumPy twin (:mod:`som_mc.engine.reference`); :func:`iter_chunks` turns sampled
blocks of draws into chunks of results.
"""

from som_mc.engine.chunks import DEFAULT_CHUNK, Chunk, iter_chunks
from som_mc.engine.deterministic import deterministic
from som_mc.engine.kernel import run_kernel

__all__ = ["DEFAULT_CHUNK", "Chunk", "deterministic", "iter_chunks", "run_kernel"]
