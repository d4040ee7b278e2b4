"""The data a memo is rendered from (:class:`ReportData`) and its slots."""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from som_mc.case import Case
from som_mc.case.evidence import EvidenceUpdate
from som_mc.present.report._memo import InputProvenance
from som_mc.sensitivity.voi import VoiResult

__all__ = ["Alternative", "EvidenceInfo", "ReportData"]


@dataclass(frozen=True)
class EvidenceInfo:
    """The evidence (opfølgning) behind a memo's case.

    Attributes
    ----------
    update : EvidenceUpdate or None
        :func:`som_mc.case.evidence.apply_evidence` of the case file (prior → posterior per
        input); None when the evidence was ignored.
    prior : bool
        The case was run as before its evidence (``--prior``).
    source : str
        The ``[evidence]`` table's ``source``.
    """

    update: EvidenceUpdate | None
    prior: bool = False
    source: str = ""


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
    scenarios : xarray.Dataset or None
        :func:`som_mc.sensitivity.scenario_analysis` of the case for ``actor`` and the
        total; None: the table is left out.
    voi : VoiResult or None
        :func:`som_mc.sensitivity.voi.voi_from_draws` of the run for ``actor`` and the
        total; None: left out (see `voi_note`).
    voi_note : str or None
        Why the value of information is left out (``"few_draws"``), or None.
    evidence : EvidenceInfo or None
        The evidence the case was updated with (shown in the Forbehold box).
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
    scenarios: xr.Dataset | None = None
    voi: VoiResult | None = None
    voi_note: str | None = None
    evidence: EvidenceInfo | None = None


#: An alternative of a memo: its case and run, optionally with its case file.
Alternative = tuple[Case, xr.Dataset] | tuple[Case, xr.Dataset, str | None]
