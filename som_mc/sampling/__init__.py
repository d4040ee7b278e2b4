"""Sampling designs and random streams for the uncertain inputs of a case.

Randomness lives here, at the Python edge: every named input gets its own
:class:`numpy.random.Generator` for every block of draws, derived from one
:class:`numpy.random.SeedSequence` by the input's name and the block's index. Adding an
input to a case therefore leaves the draws of the others unchanged, and how the draws are
split into chunks for memory does not change any number.
"""

from som_mc.sampling._correlation import CorrelationSpec, iman_conover, spearman_matrix
from som_mc.sampling._designs import (
    BLOCK_SIZE,
    DESIGNS,
    ROW_PAD,
    Design,
    block_bounds,
    row_buffer,
    rows_in_place,
    sample_block,
    sample_inputs,
)
from som_mc.sampling._streams import normalize_seed, stream, streams

__all__ = [
    "BLOCK_SIZE",
    "DESIGNS",
    "ROW_PAD",
    "CorrelationSpec",
    "Design",
    "block_bounds",
    "iman_conover",
    "normalize_seed",
    "row_buffer",
    "rows_in_place",
    "sample_block",
    "sample_inputs",
    "spearman_matrix",
    "stream",
    "streams",
]
