"""Results files: netCDF-4 (every draw in one file) and reading Zarr stores back.

Writes go through :func:`som_mc._io.atomic_write`: an interrupted write leaves no partial file
and an existing file is replaced only with ``overwrite=True``.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from som_mc._io import atomic_write
from som_mc.errors import ResultsFileError
from som_mc.results.schema import check_finite, validate_results
from som_mc.results.store import COMPLETE_VAR, open_store

__all__ = ["load_results", "save_results"]

_INT64 = -(2**63)


def save_results(ds: xr.Dataset, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write results to netCDF-4 atomically (a temporary file renamed into place).

    Parameters
    ----------
    ds : xarray.Dataset
        Results (validated before writing).
    path : str or Path
        Target file (``.nc``).
    overwrite : bool, default False
        Replace an existing file; otherwise an existing file raises.

    Returns
    -------
    Path
        The written file. An interrupted write leaves no partial file behind.
    """
    validate_results(ds)
    check_finite(ds, source=str(path))
    big = {
        k: str(v)
        for k, v in ds.attrs.items()
        if isinstance(v, int) and not _INT64 <= v < -_INT64
    }
    if big:  # netCDF stores 64-bit integers; a fresh 128-bit seed is kept as its digits
        ds = ds.copy(deep=False)
        ds.attrs = {**ds.attrs, **big}
    encoding = {
        name: {"zlib": True, "complevel": 1}
        for name in ds.data_vars
        if ds[name].dtype.kind == "f" and "draw" in ds[name].dims
    }
    return atomic_write(
        path,
        lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding),
        overwrite=overwrite,
    )


def load_results(path: str | Path) -> xr.Dataset:
    """Load a results file and validate its schema.

    Parameters
    ----------
    path : str or Path
        A netCDF file written by :func:`save_results`, or a Zarr store (``NAME.zarr``) written
        by a chunked run (loaded into memory, refused if unfinished).
    """
    path = Path(path)
    if not path.exists():
        raise ResultsFileError(f"{path}: file not found")
    if path.is_dir() and path.suffix == ".zarr":
        ds = open_store(path).load().drop_vars(COMPLETE_VAR)
        check_finite(ds, source=str(path))
        return ds
    try:
        ds = xr.load_dataset(path, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise ResultsFileError(f"{path}: cannot read as netCDF ({exc})") from None
    for key in ("seed",):
        value = ds.attrs.get(key)
        if isinstance(value, str) and value.isdigit():
            ds.attrs[key] = int(value)
    validate_results(ds, source=str(path))
    check_finite(ds, source=str(path))
    return ds
