"""Results of a Monte Carlo run: one dataset schema, netCDF files and Zarr stores.

:func:`build_dataset` assembles a run's arrays into the schema (fixed dimension names, units,
provenance attributes) and :func:`validate_results` checks it; :func:`save_results` and
:func:`load_results` write and read netCDF-4; :mod:`som_mc.results.store` holds the chunked
Zarr stores that large and distributed runs stream into.
"""

from som_mc.results.files import load_results, save_results
from som_mc.results.schema import (
    SCHEMA_VERSION,
    build_dataset,
    catalog_entries_json,
    provenance,
    validate_results,
)

__all__ = [
    "SCHEMA_VERSION",
    "build_dataset",
    "catalog_entries_json",
    "load_results",
    "provenance",
    "save_results",
    "validate_results",
]
