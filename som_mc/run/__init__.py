"""Running cases: one run specification, one chunk driver, and comparisons built on them.

:class:`RunSpec` holds what determines a run's numbers, validated once; :func:`run_many`
walks the chunks (locally or on Dask) into the sinks — the summary, the draws in memory, a
Zarr store — and applies the stopping rule; :func:`simulate`, :func:`summarize_stream` and
:func:`compare` are built on it.
"""

from som_mc.run.api import simulate, summarize_stream
from som_mc.run.compare import compare
from som_mc.run.driver import EXECUTORS, Executor, RunResult, dask_client, run, run_many
from som_mc.run.spec import MAX_DRAWS, RunSpec, RunSpecError
from som_mc.types import DEFAULT_DESIGN

__all__ = [
    "DEFAULT_DESIGN",
    "EXECUTORS",
    "MAX_DRAWS",
    "Executor",
    "RunResult",
    "RunSpec",
    "RunSpecError",
    "compare",
    "dask_client",
    "run",
    "run_many",
    "simulate",
    "summarize_stream",
]
