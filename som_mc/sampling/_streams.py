"""Name-keyed random streams spawned from one SeedSequence."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

__all__ = ["name_key", "normalize_seed", "stream", "streams"]


def normalize_seed(seed: int | None) -> int:
    """Return a concrete non-negative integer seed (fresh entropy when `seed` is None).

    The returned value is what outputs record, so a run without a seed can be reproduced.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None; received {seed!r}")
    return int(seed)


@lru_cache(maxsize=4096)
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


def streams(seed: int, names: Sequence[str], block: int) -> list[np.random.Generator]:
    """Return :func:`stream` ``(seed, name, block)`` for every name: the same generators.

    The SeedSequence states of all the names are derived at once, with NumPy's
    SeedSequence algorithm on arrays (its hash and mix of 32-bit words), rather than one
    SeedSequence object per name, which costs most of a block's set-up of its streams.
    Names whose key has fewer than two 32-bit words, and blocks beyond 2**32, take the
    ordinary path.
    """
    keys = [name_key(name) for name in names]
    chosen = [i for i, k in enumerate(keys) if k >= 1 << 32] if 0 <= block < 1 << 32 else []
    derived: dict[int, np.random.Generator] = {}
    if chosen:
        key = np.array([keys[i] for i in chosen], dtype=np.uint64)
        spawn = [key & _MASK, key >> np.uint64(32), np.full(key.shape, block, dtype=np.uint64)]
        states = _generate_state(_mix_entropy(_words(seed), spawn))
        for i, state in zip(chosen, states, strict=True):
            derived[i] = np.random.Generator(np.random.PCG64(_Derived(state)))  # type: ignore[arg-type]
    return [derived[i] if i in derived else stream(seed, n, block) for i, n in enumerate(names)]


# NumPy's SeedSequence (numpy.random.bit_generator, after M. E. O'Neill's seed_seq_fe): a pool
# of four 32-bit words mixed from the entropy words, hashed out into the state.
_MASK = np.uint64(0xFFFFFFFF)
_POOL = 4
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = np.uint64(0xCA01F9DD), np.uint64(0x4973F715)
_SHIFT = np.uint64(16)


def _words(value: int) -> list[int]:
    """Split an integer into 32-bit words, least significant first (``[0]`` for 0), as NumPy."""
    out = []
    while value:
        out.append(value & 0xFFFFFFFF)
        value >>= 32
    return out or [0]


def _mix_entropy(run: list[int], spawn: list[np.ndarray]) -> list[np.ndarray]:
    """Mix the pool of every stream from the run's entropy words and each stream's spawn words."""
    if len(run) < _POOL:
        run = run + [0] * (_POOL - len(run))  # NumPy pads the run entropy when spawned
    n = spawn[0].shape[0]
    entropy: list[np.ndarray] = [np.full(n, w, dtype=np.uint64) for w in run] + spawn
    const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal const
        value = value ^ np.uint64(const)
        const = (const * _MULT_A) & 0xFFFFFFFF
        value = (value * np.uint64(const)) & _MASK
        return value ^ (value >> _SHIFT)

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result: np.ndarray = (_MIX_L * x - _MIX_R * y) & _MASK  # type: ignore[operator]
        return result ^ (result >> _SHIFT)

    pool = [hashmix(entropy[i]) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for src in range(_POOL, len(entropy)):
        for dst in range(_POOL):
            pool[dst] = mix(pool[dst], hashmix(entropy[src]))
    return pool


def _generate_state(pool: list[np.ndarray]) -> np.ndarray:
    """``generate_state(4, np.uint64)`` of every stream, shape (n, 4)."""
    const = _INIT_B
    words = np.empty((pool[0].shape[0], 8), dtype=np.uint64)
    for i in range(8):
        value = pool[i % _POOL] ^ np.uint64(const)
        const = (const * _MULT_B) & 0xFFFFFFFF
        value = (value * np.uint64(const)) & _MASK
        words[:, i] = value ^ (value >> _SHIFT)
    return words[:, 0::2] | (words[:, 1::2] << np.uint64(32))


class _Derived(ISeedSequence):
    """A SeedSequence whose state was derived by :func:`streams` (what PCG64 asks of it)."""

    __slots__ = ("_state",)

    def __init__(self, state: np.ndarray) -> None:
        self._state = np.ascontiguousarray(state, dtype=np.uint64)

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError("a derived stream state is 4 words of uint64 (PCG64's seed)")
        return self._state.copy()
