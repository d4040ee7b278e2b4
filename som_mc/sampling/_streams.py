"""Name-keyed random streams spawned from one SeedSequence."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["name_key", "normalize_seed", "stream"]


def normalize_seed(seed: int | None) -> int:
    """Return a concrete non-negative integer seed (fresh entropy when `seed` is None).

    The returned value is what outputs record, so a run without a seed can be reproduced.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None; received {seed!r}")
    return int(seed)


def name_key(name: str) -> int:
    """Stable 64-bit integer key of a stream name (SHA-256 based, not Python's hash)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def stream(seed: int, name: str, block: int) -> np.random.Generator:
    """Return the generator of stream `name` for block `block` of a run with seed `seed`.

    Parameters
    ----------
    seed : int
        The run's seed.
    name : str
        Stream name, e.g. an input name such as ``"success_rate"`` or ``"outcome"``.
    block : int
        Index of the block of draws.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator seeded with ``SeedSequence(seed, spawn_key=(key(name), block))``.
    """
    seq = np.random.SeedSequence(seed, spawn_key=(name_key(name), block))
    return np.random.Generator(np.random.PCG64(seq))
