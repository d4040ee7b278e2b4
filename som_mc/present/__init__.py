"""Presentation: Danish tables and JSON, figures, the beslutningsnotat, output files.

Nothing here computes a statistic; everything reads summaries, comparisons and sensitivity
results made below and renders them (:mod:`som_mc.present.tables`,
:mod:`som_mc.present.comparison`, :mod:`som_mc.present.plotting`,
:mod:`som_mc.present.report`, :mod:`som_mc.present.sensitivity_files`).
"""
