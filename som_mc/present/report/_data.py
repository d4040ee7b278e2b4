"""The data a memo is rendered from (:class:`ReportData`) and its slots."""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from som_mc.case import Case
from som_mc.present.report._memo import InputProvenance

__all__ = ["Alternative", "ReportData", "ScenarioResult"]


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario for the memo's scenario table (a slot for scenario analyses).

    Attributes
    ----------
    label : str
        Short name of the scenario (shown as given, escaped).
    summary : xarray.Dataset
        :func:`som_mc.summarize` of the scenario's run with quantiles including 0.05 and 0.95
        (e.g. ``REPORT_QUANTILES``); the memo shows per aktør the expected nettoresultat over
        the horizon with its 90 % interval and P(> 0).
    """

    label: str
    summary: xr.Dataset


@dataclass(frozen=True)
class ReportData:
    """The inputs of a memo.

    Attributes
    ----------
    case : Case
        The case (assumptions appendix, sources).
    results : xarray.Dataset
        Every draw (:func:`som_mc.simulate` or :func:`som_mc.results.load_results`).
    summary : xarray.Dataset
        ``summarize(results, quantiles=REPORT_QUANTILES)``.
    tornado : xarray.Dataset or None
        :func:`som_mc.sensitivity.tornado` of the case; None when no input is uncertain.
    case_file : str or None
        Path of the case file, for the reproduce command.
    actor : str
        The aktør the memo leads with (the cost bearer unless chosen).
    label : str
        Short name of the case (its ``label``, else its ``name``; made distinct).
    breakdown : xarray.Dataset or None
        :func:`~som_mc.present.report._memo.actor_breakdown` of the results.
    contributions : xarray.Dataset or None
        :func:`~som_mc.present.report._memo.line_contributions` (the waterfall).
    provenance : tuple of InputProvenance
        Every input's source status.
    variance : xarray.Dataset or None
        ``share(input, actor)``: share of the result's variance per uncertain input.
    switching : xarray.Dataset or None
        :func:`som_mc.sensitivity.switching_values` for ``actor`` and the total (or a
        dataset of the same shape: ``switching_value(input, actor)``, ``direction(input,
        actor)``, coordinate ``label(input)``).
    alternatives : tuple of ReportData
        The other cases of a memo of alternatives (the first case is the basis).
    comparison : xarray.Dataset or None
        The paired comparison of this case (basis) with `alternatives`
        (:func:`~som_mc.present.report._compare.comparison_from_results`).
    scenarios : tuple of ScenarioResult
        Scenario results to show (slot; empty: the table is left out).
    voi : xarray.Dataset or None
        Value of information (slot): ``evppi(input, actor)`` in kroner with coordinate
        ``label(input)``, optionally ``evpi(actor)``; None: left out.
    evidence : tuple of str
        Sentences describing evidence or posteriors the case uses (slot; shown in the
        Forbehold box as given, escaped).
    """

    case: Case
    results: xr.Dataset
    summary: xr.Dataset
    tornado: xr.Dataset | None
    case_file: str | None = None
    actor: str = ""
    label: str = ""
    breakdown: xr.Dataset | None = None
    contributions: xr.Dataset | None = None
    provenance: tuple[InputProvenance, ...] = ()
    variance: xr.Dataset | None = None
    switching: xr.Dataset | None = None
    alternatives: tuple[ReportData, ...] = ()
    comparison: xr.Dataset | None = None
    scenarios: tuple[ScenarioResult, ...] = ()
    voi: xr.Dataset | None = None
    evidence: tuple[str, ...] = ()


#: An alternative of a memo: its case and run, optionally with its case file.
Alternative = tuple[Case, xr.Dataset] | tuple[Case, xr.Dataset, str | None]
