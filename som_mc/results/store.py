"""Zarr results stores: the results schema chunked along ``draw``, written chunk by chunk.

A store holds the schema of :func:`som_mc.results.build_dataset` plus ``chunk_complete``, one
flag per chunk, set only after the chunk's draws are written, so a writer killed mid-chunk
leaves the chunk unflagged and it is recomputed (identically). The store's attributes record
the run's identity (``run_identity``, ``run_fingerprint``), which a resumed run must match.
Dask and Zarr are the optional ``scale`` dependencies.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from som_mc.errors import ResultsFileError, SomMcError
from som_mc.model import CaseModel
from som_mc.results.schema import build_dataset, validate_results

__all__ = [
    "COMPLETE_VAR",
    "check_resumable",
    "check_store",
    "create_store",
    "is_som_mc_store",
    "open_store",
    "require_scale",
    "write_chunk",
]

#: Variable flagging each chunk of a Zarr store as completely written.
COMPLETE_VAR = "chunk_complete"


def require_scale(what: str, *, distributed: bool = True) -> None:
    """Check that the optional ``scale`` dependencies are installed, naming the fix."""
    modules = ("dask", "distributed", "zarr") if distributed else ("dask", "zarr")
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise SomMcError(
            f"{what} needs the optional scale dependencies ({', '.join(missing)} missing); "
            "install them with: pip install 'som_mc[scale]'"
        )


def create_store(
    path: Path,
    model: CaseModel,
    *,
    draws: int,
    chunk_draws: int,
    keep_consequences: bool,
    attrs: dict[str, Any],
) -> None:
    """Write a store's metadata and empty (unflagged) chunk flags; no draws yet."""
    import dask.array as da

    n_t, n_a = model.n_years, model.n_actors
    n_chunks = -(-draws // chunk_draws)

    def empty(*shape: int) -> Any:
        return da.zeros((draws, *shape), chunks=(chunk_draws, *shape))

    ds = build_dataset(
        model,
        x=empty(len(model.uncertain)),
        successes=empty(model.n_cohorts),
        participants=empty(model.n_cohorts),
        cost=empty(n_t, n_a),
        value=empty(n_t, n_a),
        net=empty(n_t, n_a),
        pv=empty(n_a),
        value_k=empty(model.cons_profile.shape[0], n_t, n_a) if keep_consequences else None,
        attrs=attrs,
    )
    ds[COMPLETE_VAR] = xr.DataArray(
        da.zeros(n_chunks, dtype=np.int8, chunks=1),
        dims="chunk",
        attrs={"long_name": "Chunk fully written (1) or not (0)", "chunk_draws": chunk_draws},
    )
    ds.to_zarr(path, mode="w-", compute=False, zarr_format=2, consolidated=True)


def write_chunk(store: str, model: CaseModel, index: int, start: int, arrays: Any) -> None:
    """Write one chunk's draws into its region of the store, then flag it complete.

    Parameters
    ----------
    store : str
        The store's path.
    model : CaseModel
        The compiled case.
    index : int
        Chunk index.
    start : int
        Index of the chunk's first draw.
    arrays : som_mc.engine.chunks.Chunk
        The chunk's arrays.
    """
    import zarr

    ds = build_dataset(
        model,
        x=arrays.x,
        successes=arrays.successes,
        participants=arrays.participants,
        cost=arrays.cost,
        value=arrays.value,
        net=arrays.net,
        pv=arrays.pv,
        value_k=arrays.value_k,
        attrs={},
    )
    keep = [name for name, var in ds.data_vars.items() if "draw" in var.dims]
    region = ds[keep].drop_vars([c for c in ds.coords if "draw" not in ds[c].dims])
    stop = start + arrays.net.shape[0]
    region.to_zarr(store, region={"draw": slice(start, stop)}, zarr_format=2)
    flags = zarr.open_array(str(Path(store) / COMPLETE_VAR), mode="r+", zarr_format=2)
    flags[index] = 1


def is_som_mc_store(path: Path) -> bool:
    """Whether `path` is a Zarr store written by :func:`create_store` (safe to replace)."""
    try:
        attrs = json.loads((path / ".zattrs").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return "run_fingerprint" in attrs and (path / COMPLETE_VAR / ".zarray").is_file()


def check_store(store: Path, *, overwrite: bool, resume: bool) -> None:
    """Refuse a store path before anything is written (for every run of a batch first)."""
    if store.is_symlink():
        raise ResultsFileError(f"{store}: is a symbolic link; give the store's real path")
    if store.exists() and not store.is_dir():
        raise ResultsFileError(f"{store}: exists and is a file, not a Zarr store")
    if store.exists() and resume:
        return
    if store.exists():
        if not overwrite:
            raise ResultsFileError(
                f"{store}: exists; pass overwrite=True to replace it or resume=True to "
                "continue it"
            )
        if not is_som_mc_store(store):
            raise ResultsFileError(
                f"{store}: exists and is not a som_mc results store; refusing to delete it "
                "(choose another path)"
            )
    if not store.parent.is_dir():
        raise ResultsFileError(f"{store}: folder {store.parent} does not exist")


def check_resumable(path: Path, identity: dict[str, object]) -> np.ndarray:
    """Chunk flags of an existing store, after checking it belongs to the same run."""
    try:
        old = xr.open_zarr(path, zarr_format=2)
    except Exception as exc:
        raise ResultsFileError(
            f"{path}: cannot resume: not a readable Zarr store ({exc})"
        ) from None
    with old:
        stored = json.loads(str(old.attrs.get("run_identity", "{}")))
        differing = [
            f"{key} {stored.get(key)!r} (now {value!r})"
            for key, value in identity.items()
            if stored.get(key) != value
        ]
        if differing:
            raise ResultsFileError(
                f"{path}: cannot resume: the store is from a different run: "
                + "; ".join(differing)
                + ". Use the same case, seed, design, draws and chunk_draws, or "
                "overwrite=True to start over"
            )
        return old[COMPLETE_VAR].values.astype(bool)


def open_store(path: str | Path, *, require_complete: bool = True) -> xr.Dataset:
    """Open a results Zarr store lazily (dask-backed) and validate its schema.

    Parameters
    ----------
    path : str or Path
        The store written by a chunked run (``--out results.zarr``).
    require_complete : bool, default True
        Refuse a store whose run was interrupted (resume it with ``resume=True``).

    Returns
    -------
    xarray.Dataset
        Lazily loaded results; the same schema as :func:`som_mc.load_results`.
    """
    path = Path(path)
    if not path.exists():
        raise ResultsFileError(f"{path}: store not found")
    require_scale("a Zarr store", distributed=False)
    try:
        ds = xr.open_zarr(path, zarr_format=2)
    except Exception as exc:
        raise ResultsFileError(f"{path}: cannot read as a Zarr store ({exc})") from None
    validate_results(ds, source=str(path))
    if COMPLETE_VAR not in ds:
        raise ResultsFileError(f"{path}: variable {COMPLETE_VAR!r} missing (not a som_mc store?)")
    if require_complete:
        missing = int((ds[COMPLETE_VAR].values == 0).sum())
        if missing:
            raise ResultsFileError(
                f"{path}: the run is incomplete ({missing} of {ds.sizes['chunk']} chunks "
                "missing); finish it with resume=True"
            )
    return ds
