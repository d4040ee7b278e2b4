"""A case compiled for computation: index tables for the kernels and the shared axes.

:func:`compile_case` turns a validated :class:`~som_mc.case.Case` into a :class:`CaseModel`;
:mod:`som_mc.model.axes` owns the year axis, the aktører and the total over aktører.
"""

from som_mc.model.axes import (
    NOT_WITHIN_HORIZON,
    TOTAL,
    break_even_index,
    n_model_years,
    year_axis,
)
from som_mc.model.compile import NO_INPUT, CaseModel, compile_case

__all__ = [
    "NOT_WITHIN_HORIZON",
    "NO_INPUT",
    "TOTAL",
    "CaseModel",
    "break_even_index",
    "compile_case",
    "n_model_years",
    "year_axis",
]
