"""The results schema: one :class:`xarray.Dataset` per Monte Carlo run.

Dimensions have fixed names: ``draw``, ``year``, ``actor``, ``input``, ``cohort`` and, when
kept, ``consequence``. Money is in kroner at the case's price year. Attributes record the
provenance: seed, design, draws, the case's SHA-256, som_mc/numpy/numba/xarray versions.
"""

from __future__ import annotations

import json
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import xarray as xr

from som_mc._version import __version__, dependency_version
from som_mc.case import Case, input_provenance
from som_mc.distributions import Distribution, elicitation_record, point_value
from som_mc.errors import ResultsFileError
from som_mc.model import CaseModel

__all__ = [
    "SCHEMA_VERSION",
    "build_dataset",
    "catalog_entries_json",
    "check_against_case",
    "check_finite",
    "provenance",
    "provenance_attrs",
    "validate_results",
    "xarray_without_dask",
]

SCHEMA_VERSION = 1

_DRAW_VARS = {
    "cost": ("draw", "year", "actor"),
    "consequence_value": ("draw", "year", "actor"),
    "net_result": ("draw", "year", "actor"),
    "net_result_pv": ("draw", "actor"),
    "inputs": ("draw", "input"),
    "successes": ("draw", "cohort"),
    "participants": ("draw", "cohort"),
}
_REQUIRED_ATTRS = (
    "schema_version",
    "seed",
    "design",
    "draws",
    "case_name",
    "case_sha256",
    "som_mc_version",
    "numpy_version",
    "numba_version",
    "price_year",
    "discount_rate",
)


def _elicitation_json(dist: Distribution) -> str:
    record = elicitation_record(dist)
    return "" if record is None else json.dumps(record)


def build_dataset(
    model: CaseModel,
    *,
    x: np.ndarray,
    successes: np.ndarray,
    participants: np.ndarray,
    cost: np.ndarray,
    value: np.ndarray,
    net: np.ndarray,
    pv: np.ndarray,
    value_k: np.ndarray | None,
    attrs: dict[str, Any],
) -> xr.Dataset:
    """Assemble simulation arrays into the results schema."""
    case = model.case
    money = {"units": "DKK", "price_year": case.price_year}
    n_draws = net.shape[0]
    specs = [model.inputs[j] for j in model.uncertain]
    data_vars: dict[str, Any] = {
        "cost": (_DRAW_VARS["cost"], cost, {"long_name": "Omkostninger", **money}),
        "consequence_value": (
            _DRAW_VARS["consequence_value"],
            value,
            {"long_name": "Værdi af konsekvenser (mindreudgifter)", **money},
        ),
        "net_result": (_DRAW_VARS["net_result"], net, {"long_name": "Nettoresultat", **money}),
        "net_result_pv": (
            _DRAW_VARS["net_result_pv"],
            pv,
            {"long_name": "Nettoresultat, nutidsværdi over perioden", **money},
        ),
        "inputs": (
            _DRAW_VARS["inputs"],
            x,
            {"long_name": "Trukne inputværdier", "description": "uncertain inputs per draw"},
        ),
        "successes": (
            _DRAW_VARS["successes"],
            successes,
            {"long_name": "Antal succeser", "units": "personer"},
        ),
        "discount_factor": ("year", model.discount, {"long_name": "Diskonteringsfaktor"}),
        "participants": (
            _DRAW_VARS["participants"],
            participants,
            {"long_name": "Antal deltagere", "units": "personer"},
        ),
    }
    coords: dict[str, Any] = {
        "draw": ("draw", np.arange(n_draws)),
        "year": ("year", model.years, {"long_name": "År"}),
        "model_year": ("year", np.arange(model.n_years)),
        "actor": ("actor", model.actors, {"long_name": "Aktør"}),
        "input": ("input", [s.name for s in specs]),
        "input_label": ("input", [s.label for s in specs]),
        "input_key": ("input", [s.key for s in specs]),
        "input_dist": ("input", [json.dumps(s.dist.to_toml()) for s in specs]),
        # how an input was elicited (judged and achieved quantiles, fitted parameters); ""
        # when it was given by its parameters
        "input_elicitation": ("input", [_elicitation_json(s.dist) for s in specs]),
        "cohort": ("cohort", case.start_year + np.arange(model.n_cohorts)),
    }
    if value_k is not None:
        data_vars["consequence_value_by_consequence"] = (
            ("draw", "consequence", "year", "actor"),
            value_k,
            {"long_name": "Værdi af konsekvens", **money},
        )
        coords["consequence"] = ("consequence", [c.name for c in case.consequences])
    ds = xr.Dataset(
        data_vars,
        coords=coords,
        attrs={**provenance(case), **attrs},
    )
    return ds


def provenance(case: Case, **run: object) -> dict[str, object]:
    """Attributes recording what produced a result: case, run settings and versions.

    Parameters
    ----------
    case : Case
        The case.
    **run
        Run settings to record (seed, design, draws, case_sha256, ...).
    """
    return {**_case_provenance(case), **run}


#: provenance attributes per live case (a case is frozen): id -> (weak reference, attributes)
_CASE_PROVENANCE: dict[int, tuple[weakref.ref[Case], dict[str, object]]] = {}


def _case_provenance(case: Case) -> dict[str, object]:
    """:func:`provenance` without run settings, computed once per case object.

    Building them walks every input's provenance (≈ 2 ms for 69 inputs), and a run asks for
    them once for its attributes and again for its dataset (a Zarr store: for every chunk).
    The entry goes when the case does; :func:`provenance` hands out copies.
    """
    key = id(case)
    hit = _CASE_PROVENANCE.get(key)
    if hit is not None and hit[0]() is case:
        return hit[1]
    value: dict[str, object] = {
        "title": f"som_mc simulation: {case.name}",
        "schema_version": SCHEMA_VERSION,
        "case_name": case.name,
        "price_year": case.price_year,
        "start_year": case.start_year,
        "horizon_years": case.horizon_years,
        "horizon_mode": case.horizon_mode,
        "discount_rate": case.discount_rate,
        "outcome_noise": int(case.outcome.noise),
        "total_participants_mean": float(
            sum(point_value(n, "mean") for n in case.participants.per_year)
        ),
        "catalog_entries": catalog_entries_json(case),
        **provenance_attrs(case),
        "som_mc_version": __version__,
        "numpy_version": np.__version__,
        "numba_version": dependency_version("numba"),
        "xarray_version": xr.__version__,
    }
    _CASE_PROVENANCE[key] = (
        weakref.ref(case, lambda _, key=key: _CASE_PROVENANCE.pop(key, None)),  # type: ignore[misc]
        value,
    )
    return value


def provenance_attrs(case: Case) -> dict[str, object]:
    """Which uncertain inputs rest on illustrative numbers (:func:`som_mc.case.input_provenance`).

    ``n_uncertain_inputs``, ``n_illustrative_inputs``, ``provenance_line`` (the Danish line)
    and ``illustrative_inputs``: a JSON list of the illustrative uncertain inputs, each with
    ``name``, ``key``, ``label``, ``kind``, ``origin``, ``entry`` and ``source``.
    """
    prov = input_provenance(case)
    return {
        "n_uncertain_inputs": prov.n_uncertain,
        "n_illustrative_inputs": prov.n_illustrative,
        "provenance_line": prov.line(),
        "illustrative_inputs": json.dumps(
            [p.as_dict() for p in prov.illustrative], ensure_ascii=False
        ),
    }


def catalog_entries_json(case: Case) -> str:
    """Return the catalog entries a case used as a JSON list (a netCDF attribute).

    Each item has ``entry`` (name), ``kind``, ``used_by`` (key path in the case), ``source``,
    ``price_year``, ``price_factor`` (to the case's price year) and ``file``; ``"[]"`` for a
    case without catalog references.
    """
    return json.dumps([use.as_dict() for use in case.catalog_uses], ensure_ascii=False)


def validate_results(ds: xr.Dataset, *, source: str = "<dataset>") -> xr.Dataset:
    """Check that a dataset follows the results schema.

    Raises
    ------
    ResultsFileError
        Naming the missing or malformed variable or attribute.
    """
    for name, dims in _DRAW_VARS.items():
        if name not in ds:
            raise ResultsFileError(
                f"{source}: not a som_mc results file: variable {name!r} missing"
            )
        if tuple(ds[name].dims) != dims:
            raise ResultsFileError(
                f"{source}: variable {name!r} has dimensions {tuple(ds[name].dims)}, "
                f"expected {dims}"
            )
    for attr in _REQUIRED_ATTRS:
        if attr not in ds.attrs:
            raise ResultsFileError(f"{source}: attribute {attr!r} missing (not a som_mc file?)")
    if int(ds.attrs["schema_version"]) > SCHEMA_VERSION:
        raise ResultsFileError(
            f"{source}: written by a newer som_mc (schema {ds.attrs['schema_version']}); "
            "upgrade som_mc to read it"
        )
    if ds.sizes["draw"] != int(ds.attrs["draws"]):
        raise ResultsFileError(
            f"{source}: {ds.sizes['draw']} draws stored but attribute draws = {ds.attrs['draws']}"
        )
    return ds


#: Variables whose every value must be a finite number.
_FINITE_VARS = ("cost", "consequence_value", "net_result", "net_result_pv", "inputs")


def check_finite(ds: xr.Dataset, *, source: str = "<dataset>") -> xr.Dataset:
    """Refuse results holding NaN or ±inf (an edited file, a Zarr chunk lost on disk).

    Raises
    ------
    ResultsFileError
        Naming the variable and the first draw with a value that is not finite.
    """
    for name in (*_FINITE_VARS, "consequence_value_by_consequence"):
        if name not in ds:
            continue
        values = np.asarray(ds[name].values)
        if values.dtype.kind != "f":
            continue
        bad = ~np.isfinite(values)
        if bad.any():
            where = np.argwhere(bad)[0]
            draw = int(ds["draw"].values[where[0]]) if "draw" in ds[name].dims else None
            at = f" (first at draw {draw})" if draw is not None else ""
            raise ResultsFileError(
                f"{source}: variable {name!r} holds {int(bad.sum()):_} values that are not "
                f"finite numbers (NaN or inf){at}; the file was edited or damaged — run the "
                "case again"
            )
    return ds


def check_against_case(ds: xr.Dataset, case: Case, *, source: str = "<dataset>") -> xr.Dataset:
    """Check that results belong to `case`: hash, years, actors, inputs and arithmetic.

    The case hash alone does not catch a results file whose numbers were edited; this
    checks the data too: the year and actor coordinates, the sampled inputs, that every
    value is finite and that ``net_result = consequence_value - cost`` holds.

    Raises
    ------
    ResultsFileError
        Naming what differs.
    """
    from som_mc.case import case_hash
    from som_mc.model import compile_case

    stored = str(ds.attrs.get("case_sha256", ""))
    if stored != case_hash(case):
        raise ResultsFileError(
            f"{source}: the results were simulated from another case (case SHA-256 "
            f"{stored[:12]}…, this case {case_hash(case)[:12]}…); pass the case file the "
            "results were made from"
        )
    model = compile_case(case)
    want: dict[str, list[Any]] = {
        "year": [int(y) for y in model.years],
        "actor": list(model.actors),
        "input": [model.inputs[j].name for j in model.uncertain],
    }
    for dim, expected in want.items():
        got = [v.item() if hasattr(v, "item") else v for v in ds[dim].values]
        got = [int(v) for v in got] if dim == "year" else [str(v) for v in got]
        if got != expected:
            raise ResultsFileError(
                f"{source}: its {dim} coordinate {_short(got)} does not match the case's "
                f"{_short(expected)}; the file was edited — run the case again"
            )
    check_finite(ds, source=source)
    net = np.asarray(ds["net_result"].values)
    diff = np.asarray(ds["consequence_value"].values) - np.asarray(ds["cost"].values)
    scale = max(float(np.abs(diff).max(initial=0.0)), 1.0)
    if not np.allclose(net, diff, rtol=1e-9, atol=1e-9 * scale):
        raise ResultsFileError(
            f"{source}: net_result is not consequence_value - cost; the file was edited — "
            "run the case again"
        )
    return ds


def _short(values: list[Any]) -> str:
    text = repr(values)
    return text if len(text) <= 120 else text[:120] + "…]"


@contextmanager
def xarray_without_dask() -> Iterator[None]:
    """Within the block, xarray does not import dask to check whether arrays are dask arrays.

    xarray imports ``dask.array`` (≈ 0,5–1 s with its scipy imports) the first time it builds
    a variable, only to check that the NumPy arrays it was given are not dask arrays. While
    dask is not imported no dask array can exist (a local run without a Zarr store,
    ``simulate``, ``summarize`` of such results), so the check is answered "dask absent"
    without importing it. Nothing changes when dask is already
    imported, or when xarray's internals differ from what is expected here.

    Likewise xarray imports ``dask.base`` (≈ 0,25 s) to ask whether an index or array is a
    dask collection (``xarray.namedarray.utils.is_dask_collection``); while dask is not
    imported nothing can be one, so the question is answered without importing it.
    """
    if "dask" in sys.modules:
        yield
        return
    try:
        from xarray.namedarray import pycompat, utils

        original = utils.is_dask_collection
        cache = pycompat._cached_duck_array_modules
        absent = object.__new__(pycompat.DuckArrayModule)
        absent.module = None
        absent.version = pycompat.Version("0.0.0")
        absent.type = ()
        absent.available = False
    except (ImportError, AttributeError, TypeError):
        yield
        return
    if "dask" in cache:
        yield
        return
    cache["dask"] = absent

    def is_dask_collection(x: object) -> bool:
        return "dask" in sys.modules and bool(original(x))

    utils.is_dask_collection = is_dask_collection  # type: ignore[assignment]
    try:
        yield
    finally:
        utils.is_dask_collection = original
        if cache.get("dask") is absent:
            del cache["dask"]
