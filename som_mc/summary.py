"""Uncertainty summaries of a Monte Carlo run.

Every mean comes with its Monte Carlo standard error (MCSE, ``sd / sqrt(n)``; for LHS and
Sobol designs this iid formula is conservative), every probability with its standard error
``sqrt(p (1 − p) / n)``. The actor dimension of a summary holds the case's actors plus
``"total"`` (I alt).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from som_mc.deterministic import NOT_WITHIN_HORIZON, break_even_index

__all__ = ["DEFAULT_QUANTILES", "TOTAL", "summarize", "with_total"]

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.10, 0.50, 0.90, 0.95)

#: Label of the all-actor total in summaries.
TOTAL = "total"


def with_total(da: xr.DataArray) -> xr.DataArray:
    """Append the sum over actors as actor ``"total"``."""
    total = da.sum("actor").expand_dims(actor=[TOTAL])
    return xr.concat([da, total], dim="actor")


def _stats(values: np.ndarray, quantiles: Sequence[float]) -> dict[str, np.ndarray]:
    """Statistics along axis 0 (draws)."""
    n = values.shape[0]
    mean = values.mean(axis=0)
    sd = values.std(axis=0, ddof=1) if n > 1 else np.zeros_like(mean)
    positive = (values > 0).mean(axis=0)
    return {
        "mean": mean,
        "mcse": sd / np.sqrt(n),
        "sd": sd,
        "quantile": np.quantile(values, quantiles, axis=0),
        "p_positive": positive,
        "p_positive_se": np.sqrt(positive * (1.0 - positive) / n),
    }


def summarize(
    ds: xr.Dataset,
    *,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
) -> xr.Dataset:
    """Summarise a simulation: means with MCSE, quantile bands, P(> 0), break-even.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`som_mc.simulate` or :func:`som_mc.results.load_results`.
    quantiles : sequence of float
        Probabilities of the quantile bands (default P5, P10, P50, P90, P95).

    Returns
    -------
    xarray.Dataset
        Dimensions ``actor`` (actors + ``total``), ``year`` and ``quantile``. Variables, for
        ``net_result`` per year (``yearly_*``), cumulated (``cumulative_*``), over the
        horizon (``horizon_*``), discounted over the horizon (``pv_*``) and per deltager
        (``per_participant_*``): ``*_mean``, ``*_mcse``, ``*_sd``, ``*_quantile``,
        ``*_p_positive`` and ``*_p_positive_se``. Plus ``break_even_probability``
        (P(cumulative ≥ 0 has been reached by year)), ``break_even_never`` and
        ``break_even_median`` (calendar year; -1 when the median draw never breaks even).
    """
    q = [float(p) for p in quantiles]
    if any(not 0.0 <= p <= 1.0 for p in q):
        raise ValueError(f"quantiles must lie in [0, 1]; received {list(quantiles)}")
    net = with_total(ds.net_result)  # (draw, year, actor)
    cum = net.cumsum("year")
    horizon = cum.isel(year=-1)
    pv = with_total(ds.net_result_pv)
    n_part = ds.participants.sum("cohort")
    per_participant = horizon / n_part.where(n_part > 0)
    if bool(per_participant.isnull().any()):
        per_participant = per_participant.fillna(0.0)

    out: dict[str, tuple] = {}
    for prefix, da in (
        ("yearly", net.transpose("draw", "year", "actor")),
        ("cumulative", cum.transpose("draw", "year", "actor")),
        ("horizon", horizon.transpose("draw", "actor")),
        ("pv", pv.transpose("draw", "actor")),
        ("per_participant", per_participant.transpose("draw", "actor")),
    ):
        dims = da.dims[1:]
        for name, values in _stats(da.values, q).items():
            out[f"{prefix}_{name}"] = (
                ("quantile", *dims) if name == "quantile" else dims,
                values,
            )

    # break-even: first year with cumulative >= 0, per draw
    first = break_even_index(np.moveaxis(cum.transpose("draw", "year", "actor").values, 1, 2))
    n_years = ds.sizes["year"]
    reached_by = np.stack(
        [((first >= 0) & (first <= t)).mean(axis=0) for t in range(n_years)]
    )  # (year, actor)
    never = (first == NOT_WITHIN_HORIZON).mean(axis=0)
    years = ds.year.values
    sorted_first = np.where(first == NOT_WITHIN_HORIZON, n_years, first)
    median_index = np.quantile(sorted_first, 0.5, axis=0, method="inverted_cdf").astype(int)
    median_year = np.where(
        median_index < n_years, years[np.minimum(median_index, n_years - 1)], NOT_WITHIN_HORIZON
    )
    out["break_even_probability"] = (("year", "actor"), reached_by)
    out["break_even_never"] = (("actor",), never)
    out["break_even_median"] = (("actor",), median_year)

    summary = xr.Dataset(
        out,
        coords={"actor": net.actor.values, "year": ds.year.values, "quantile": q},
        attrs={
            **{k: ds.attrs[k] for k in ds.attrs},
            "n_draws": int(ds.sizes["draw"]),
        },
    )
    summary["year"].attrs["long_name"] = "År"
    return summary
