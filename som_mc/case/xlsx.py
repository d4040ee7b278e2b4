"""Investeringscases as Excel workbooks: a template to fill in, read back as a case file.

A kommune that does not write TOML fills in a workbook instead. :func:`write_workbook`
writes one (empty, or holding a case), :func:`read_workbook` reads it back into the raw case
mapping that :func:`som_mc.case.parse_case` validates, :func:`load_case_file` loads either
format and :func:`convert` converts between them. The round trip is exact in values:
``parse_case(read_workbook(x))`` has the same :func:`~som_mc.case.case_hash` as the TOML
the workbook was written from (TOML comments are not carried).

Layout (sheet and column names are Danish; rows whose first filled cell starts with ``#``
are comments, e.g. the template's example rows):

- *Vejledning*: how to fill in the workbook (Danish).
- *Indsats*: one row per top-level key (name, målgruppe, prisår, …, succesrate, kilde);
  columns ``felt``, ``nøgle``, ``værdi``, then the distribution columns (below),
  ``katalog``, ``forklaring`` and ``eksempel`` (the last two are not read).
- *Deltagere*: ``forløbets længde (år)`` above the table, then one row per optag (intake
  year) with the distribution columns.
- *Udfald*: like *Indsats*, for ``[outcome]`` (noise, drop-off).
- *Omkostninger*: one row per cost line (``navn``, ``betegnelse``, ``aktør``, ``type``,
  ``sparet``, ``engangsår``, ``betalingsår``, ``betalingsprofil``, the distribution columns of
  the amount, ``katalog``, ``kilde``).
- *Konsekvenser*: one block of rows per konsekvens. Its first row holds ``navn``,
  ``betegnelse``, ``enhed``, ``gælder for``, ``katalog``, ``priskatalog``, ``kilde`` and, in the
  value columns ``skalafaktor``, ``år 0``, ``år 1``, … and ``pris <aktør>``, plain numbers;
  the rows below it, named in column ``parameter`` (``fordeling``, ``lav``, ``typisk``, …),
  turn a value column into a distribution.
- *Korrelationer*: ``input 1``, ``input 2``, ``rangkorrelation``.
- *Scenarier*: one row per change of an input (``[[scenarios]]``): ``scenarie`` (the name,
  repeated on each of the scenario's rows), ``beskrivelse``, ``ændring`` (``override``,
  ``skalering`` or ``stress``), ``input`` (an input name), ``faktor`` (skalering),
  ``under``/``over`` (stress: below/above) and the distribution columns (override).
- *Evidens*: ``kilde (hele evidensen)`` above the table, then one row per observation
  (``[evidence]``): ``observation`` (``succesrate``, ``deltagere``, ``omkostning``), ``optag``
  (empty for a succesrate pooled over cohorts: numbers, not lists), ``omkostning``, ``år nr.``
  (empty for one realised amount, 1, 2, … for a yearly line's list), ``succeser``,
  ``forsøg``, ``antal``, ``beløb``, ``kilde``.
- *Lister* (hidden): the lists behind the drop-downs; not read.

An uncertain value is a plain number in ``værdi`` or a family in ``fordeling`` with its
parameters in Danish columns: ``lav`` (low), ``typisk`` (mode), ``høj`` (high), ``middel``
(mean), ``sd``, ``median``, ``p95``, ``mu``, ``sigma``, ``alfa`` (alpha), ``beta``, ``form``
(shape), ``skala`` (scale), ``n``, ``p``, ``værdier`` (values, separated by ``;``) and
quantiles ``p10``, ``p50``, ``p90`` (any ``pNN`` header is read as a quantile). A
``mixture`` or ``binomial_posterior`` (distributions of distributions) is one cell,
``fordeling som tekst``, holding the inline TOML table ``{ dist = "mixture", … }`` (any
distribution may be written so); it is stored and read as text, never as a formula.
Columns are found by their header, so their order does not matter and blank columns are
ignored; columns whose header starts with ``note``, ``bemærkning`` or ``kommentar`` are free.

Numbers stored as text are accepted: ``1234``, ``1234.5``, ``1234,5``, ``-0,23``, ``26 %``,
``1.234,5`` and ``1,234.5`` (both separators: unambiguous), ``1 234 567``, ``12.345.678``.
A text that could be read two ways, such as ``1.234`` or ``1,234`` (a thousand with a
thousands separator, or one point two three four), is refused with a hint; type the number
into the cell as a number instead. A merged cell holds its value in its top-left cell; in the
row-per-line sheets a cell merged downwards counts for every row it covers. Formulas are
read through the value the spreadsheet program last computed.

Limitations: TOML comments are not carried; the workbook has no per-value source (``kilde``
is the line's ``source``); lists in one cell (``aktører``, ``betalingsår``,
``betalingsprofil``, ``værdier``) cannot hold names with ``,`` or ``;``; a computed float
that needs 17 significant digits is stored as text so that it stays exact; the drop-down of
aktører lists the actors known when the workbook was written (other names give a warning,
not an error). Whitespace-only cells count as blank.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import json
import math
import os
import re
import tempfile
import tomllib
import typing
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import tomli_w
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from som_mc._io import read_capped
from som_mc.case._evidence import Evidence, RateEvidence
from som_mc.case.lint import case_warnings, report_warnings
from som_mc.case.load import load_case, parse_case
from som_mc.case.schema import (
    Case,
    Consequence,
    Correlation,
    CostLine,
    Outcome,
    Participants,
    Scenario,
)
from som_mc.distributions import FAMILIES, KINDS
from som_mc.errors import CaseFileError, SomMcError

if TYPE_CHECKING:
    from som_mc.catalog import Catalog

__all__ = ["convert", "load_case_file", "read_workbook", "write_workbook"]

# Values of the format's string options and defaults, taken from the schema itself.
_HORIZON_MODES: Final = typing.get_args(Case.model_fields["horizon_mode"].annotation)
_KINDS: Final = typing.get_args(CostLine.model_fields["kind"].annotation)
_APPLIES_TO: Final = typing.get_args(Consequence.model_fields["applies_to"].annotation)
_DEFAULT_ACTORS: Final[list[str]] = list(
    Case.model_fields["actors"].get_default(call_default_factory=True)
)
_CATALOG_PREFIX: Final = "catalog:"

# Distribution parameters: TOML key -> Danish column header (and row label in Konsekvenser).
_PARAMS: Final[dict[str, str]] = {
    "value": "værdi",
    "low": "lav",
    "mode": "typisk",
    "high": "høj",
    "mean": "middel",
    "sd": "sd",
    "median": "median",
    "p95": "p95",
    "mu": "mu",
    "sigma": "sigma",
    "alpha": "alfa",
    "beta": "beta",
    "shape": "form",
    "scale": "skala",
    "n": "n",
    "p": "p",
    "values": "værdier",
    "p10": "p10",
    "p50": "p50",
    "p90": "p90",
}
_PARAM_KEYS: Final[dict[str, str]] = {
    **{key: key for key in _PARAMS},  # the TOML names are accepted as headers too
    **{header: key for key, header in _PARAMS.items()},
}
_PARAM_HELP: Final[dict[str, str]] = {
    "value": "et fast tal (uden fordeling), eller værdien for fordeling 'fixed'",
    "low": "laveste værdi (uniform, triangular, pert, discrete_uniform; grænse for "
    "truncnormal og beta)",
    "mode": "mest sandsynlige værdi (triangular, pert)",
    "high": "højeste værdi",
    "mean": "middelværdi (normal, truncnormal, lognormal, beta, gamma, poisson)",
    "sd": "standardafvigelse (normal, truncnormal, lognormal, beta, gamma)",
    "median": "median (lognormal, sammen med p95)",
    "p95": "95 %-fraktil (lognormal, sammen med median)",
    "mu": "middelværdi af log-værdien (lognormal, sammen med sigma)",
    "sigma": "standardafvigelse af log-værdien (lognormal, sammen med mu)",
    "alpha": "alfa-parameter (beta, sammen med beta)",
    "beta": "beta-parameter (beta, sammen med alfa)",
    "shape": "formparameter (gamma; pert: valgfri, standard 4)",
    "scale": "skalaparameter (gamma, sammen med form)",
    "n": "antal forsøg (binomial)",
    "p": "sandsynlighed (binomial)",
    "values": "værdier adskilt af semikolon, fx 0,21; 0,26; 0,30 (empirical)",
    "p10": "10 %-fraktil: en eksperts vurdering (kontinuerte fordelinger; tilpasses), "
    "andre fraktiler: tilføj en kolonne p5, p25, p97_5 …",
    "p50": "50 %-fraktil (medianen) som en eksperts vurdering (tilpasses)",
    "p90": "90 %-fraktil som en eksperts vurdering (tilpasses)",
}
#: Internal key of the cell holding a whole distribution as an inline TOML table.
_TEXT: Final = "text"
_TEXT_HEADER: Final = "fordeling som tekst"
_TEXT_EXAMPLE: Final = (
    '{ dist = "mixture", weights = [0.5, 0.5], components = [{ dist = "beta", p10 = 0.2, '
    'p50 = 0.3, p90 = 0.42 }, { dist = "pert", low = 0.15, mode = 0.35, high = 0.55 }] }'
)
_GROUP: Final[tuple[str, ...]] = (
    "value",
    "dist",
    *[k for k in _PARAMS if k != "value"],
    _TEXT,
)
_DIST_HEADER: Final = "fordeling"
#: Distributions written only as text (their parameters are distributions themselves).
_TEXT_KINDS: Final = tuple(k for k in KINDS if k not in FAMILIES)
_QUANTILE_RE: Final = re.compile(r"p\d+(?:_\d+)?")


def _label(k: str) -> str:
    """Danish header (or Konsekvenser row label) of a cell-group key."""
    if k == "dist":
        return _DIST_HEADER
    if k == _TEXT:
        return _TEXT_HEADER
    return _PARAMS.get(k, k)


def _param_key(head: str) -> str | None:
    """TOML key of a normalised parameter header (``lav`` -> ``low``, ``p25`` -> ``p25``)."""
    if head in _PARAM_KEYS:
        return _PARAM_KEYS[head]
    if head == _TEXT_HEADER:
        return _TEXT
    if _QUANTILE_RE.fullmatch(head):
        return head
    return None


_Kind = Literal[
    "text", "int", "float", "bool", "choice", "textlist", "intlist", "floatlist", "scalar"
]


@dataclasses.dataclass(frozen=True)
class _Field:
    """One value of a sheet: TOML key, Danish header or label, how it is parsed."""

    key: str
    header: str
    kind: _Kind
    help: str = ""
    example: str = ""
    choices: str = ""  # name of a list on the Lister sheet (drop-down)
    catalog: bool = False  # a scalar that may be a catalog reference


_INDSATS: Final[tuple[_Field, ...]] = (
    _Field(
        "name", "navn", "text", "Navn på investeringscasen (vises i resultaterne).", "Mentorforløb"
    ),
    _Field(
        "label",
        "kort navn",
        "text",
        "Kort navn på casen i et beslutningsnotat, der sammenligner alternativer (højst 40 "
        "tegn; valgfri, standard navn).",
        "Mentor",
    ),
    _Field("description", "beskrivelse", "text", "Fri tekst (valgfri)."),
    _Field("target_group", "målgruppe", "text", "SØM-målgruppen.", "Borgere i hjemløshed"),
    _Field("price_year", "prisår", "int", "Året, hvis priser alle beløb er i.", "2024"),
    _Field(
        "start_year", "startår", "int", "Kalenderåret for modelår 0 (indsatsens første år).", "2025"
    ),
    _Field("horizon_years", "tidshorisont (år)", "int", "Antal modelår (SØM: op til 10).", "10"),
    _Field(
        "horizon_mode",
        "horisont",
        "choice",
        "calendar: alle kohorter skæres af ved sidste modelår (SØM); per_cohort: hver kohorte "
        "følges hele profilen (valgfri, standard calendar).",
        "calendar",
        choices="horizon_mode",
    ),
    _Field(
        "discount_rate",
        "diskonteringsrente",
        "float",
        "Real årlig rente, fx 0,035 (valgfri, standard 0).",
        "0",
    ),
    _Field(
        "actors",
        "aktører",
        "textlist",
        "Aktørerne adskilt af komma (valgfri, standard kommune, region, stat).",
        "kommune, region, stat",
    ),
    _Field(
        "success_rate",
        "succesrate",
        "scalar",
        "Andel med succes pga. indsatsen, mellem 0 og 1: et tal i 'værdi', en fordeling "
        "eller en katalogreference.",
        "pert: lav 0,10, typisk 0,20, høj 0,30",
        catalog=True,
    ),
    _Field("source", "kilde", "text", "Hvor casen kommer fra (valgfri)."),
)

_UDFALD: Final[tuple[_Field, ...]] = (
    _Field(
        "noise",
        "tilfældigt antal succeser",
        "bool",
        "ja: Monte Carlo trækker antal succeser binomialt (valgfri, standard nej).",
        "nej",
        choices="bool",
    ),
    _Field(
        "dropoff_rate",
        "frafald pr. år",
        "scalar",
        "Årlig sandsynlighed for at miste effekten, mellem 0 og 1 (valgfri, standard 0; "
        "lad den være 0 med SØM's konsekvensestimater).",
        "0",
    ),
)

_COURSE: Final = _Field(
    "course_years",
    "forløbets længde (år)",
    "float",
    "Længden af ét forløb i år (valgfri, standard 1); 1,5 år giver effekt året efter optaget.",
)
_COHORT_HEADER: Final = "optag (modelår)"

_COSTS: Final[tuple[_Field, ...]] = (
    _Field("name", "navn", "text", "Entydigt navn på omkostningsposten.", "opstart"),
    _Field("label", "betegnelse", "text", "Læsbar betegnelse (valgfri).", "Opstart og uddannelse"),
    _Field("actor", "aktør", "choice", "Hvem betaler.", "kommune", choices="actors"),
    _Field(
        "kind",
        "type",
        "choice",
        "one_off: engangsbeløb; yearly: hvert år i betalingsår; per_participant: pr. deltager.",
        "one_off",
        choices="kind",
    ),
    _Field(
        "saved", "sparet", "bool", "ja: sparede omkostninger, trækkes fra.", "nej", choices="bool"
    ),
    _Field("year", "engangsår", "int", "Modelår for et engangsbeløb (one_off; standard 0).", "0"),
    _Field(
        "years",
        "betalingsår",
        "intlist",
        "Modelår for et årligt beløb, fx 0; 1; 2 (yearly; standard optagsårene).",
        "0; 1; 2",
    ),
    _Field(
        "schedule",
        "betalingsprofil",
        "floatlist",
        "Andele af ét forløbs pris pr. år siden optag, fx 0,6; 0,4 (per_participant; standard 1).",
        "0,6; 0,4",
    ),
    _Field("amount", "beløb", "scalar", "Beløb i kr.", catalog=False),
    _Field("uses", "katalog", "text", "Katalogpost, fx catalog:hjemloeshed/cti_bostoette."),
    _Field("source", "kilde", "text", "Hvor beløbet kommer fra."),
)

_CONS_META: Final[tuple[_Field, ...]] = (
    _Field("name", "navn", "text", "Entydigt navn på konsekvensen.", "kontanthjaelp"),
    _Field("label", "betegnelse", "text", "Læsbar betegnelse (valgfri).", "Kontanthjælp"),
    _Field("unit", "enhed", "text", "Enheden for ændringen, fx uger, døgn, kontakter.", "uger"),
    _Field(
        "applies_to",
        "gælder for",
        "choice",
        "successes: de succesfulde fra effektåret (standard); participants: alle deltagere "
        "under forløbet.",
        "successes",
        choices="applies_to",
    ),
    _Field("uses", "katalog", "text", "Katalogpost, fx catalog:hjemloeshed/herberg."),
    _Field("price", "priskatalog", "text", "Katalogpris, fx catalog:prices/herberg_doegn."),
    _Field("source", "kilde", "text", "Hvor profil og priser kommer fra."),
)
_PARAMETER_HEADER: Final = "parameter"
_SCALE_HEADER: Final = "skalafaktor"
_YEAR_RE: Final = re.compile(r"år\s*(\d{1,3})")
_PRICE_RE: Final = re.compile(r"pris\s+(\S.*)")

_CORR: Final[tuple[_Field, ...]] = (
    _Field("inputs.0", "input 1", "text", "Inputnavn, fx success_rate.", "success_rate"),
    _Field("inputs.1", "input 2", "text", "Inputnavn, fx consequences.herberg.scale."),
    _Field("rank", "rangkorrelation", "float", "Spearman-rangkorrelation mellem -1 og 1.", "0,5"),
)


# Scenarier: one row per change of an input (a scenario without changes: one row).
_SCEN_NAME: Final = _Field(
    "name",
    "scenarie",
    "text",
    "Scenariets navn; samme navn på hver række i scenariet.",
    "Lav succesrate",
)
_SCEN_DESC: Final = _Field(
    "description",
    "beskrivelse",
    "text",
    "Én linje under tabellen (valgfri; skriv den i scenariets første række).",
    "Succesraten 15 % i stedet for 33 %",
)
_SCEN_KIND: Final = _Field(
    "kind",
    "ændring",
    "choice",
    "override: inputtet erstattes af et tal (værdi) eller en "
    "fordeling; skalering: inputtet ganges med 'faktor' (1,25 = +25 %); stress: inputtet "
    "trækkes fra en hale af sin fordeling ('under' og/eller 'over').",
    "override",
    choices="scenario_kind",
)
_SCEN_INPUT: Final = _Field(
    "input",
    "input",
    "text",
    "Inputnavnet, vælg fra listen: success_rate, participants[0], "
    "costs.<navn>.amount, consequences.<navn>.scale, … (se Vejledning).",
    "success_rate",
    choices="inputs",
)
_SCEN_FACTOR: Final = _Field(
    "factor", "faktor", "float", "skalering: faktoren, > 0 (1,25 = +25 %, 0,8 = -20 %).", "1,25"
)
_SCEN_BELOW: Final = _Field(
    "below",
    "under",
    "float",
    "stress: behold de laveste P, fx 0,10 = laveste 10 % (below).",
    "0,10",
)
_SCEN_ABOVE: Final = _Field(
    "above",
    "over",
    "float",
    "stress: behold delen over P-fraktilen, fx 0,90 = højeste 10 % (above).",
    "0,90",
)
_SCEN_FIELDS: Final = (
    _SCEN_NAME,
    _SCEN_DESC,
    _SCEN_KIND,
    _SCEN_INPUT,
    _SCEN_FACTOR,
    _SCEN_BELOW,
    _SCEN_ABOVE,
)
#: ``ændring`` values: the Danish word written, the words read, the scenario's TOML key.
_SCEN_KINDS: Final[dict[str, str]] = {
    "override": "overrides",
    "skalering": "scale",
    "stress": "stress",
}
_SCEN_KIND_WORDS: Final[dict[str, str]] = {
    **{k: k for k in _SCEN_KINDS},
    "overrides": "override",
    "erstat": "override",
    "scale": "skalering",
    "skaler": "skalering",
}

# Evidens: the source above the table, then one row per observation.
_EV_SOURCE: Final = _Field(
    "source", "kilde (hele evidensen)", "text", "Hvor observationerne kommer fra (valgfri)."
)
_EV_KIND: Final = _Field(
    "kind",
    "observation",
    "choice",
    "succesrate: observerede succeser ud af forsøg; "
    "deltagere: realiseret optag pr. optagsår; omkostning: realiseret beløb for en "
    "omkostningspost.",
    "succesrate",
    choices="evidence_kind",
)
_EV_COHORT: Final = _Field(
    "cohort",
    "optag",
    "int",
    "succesrate: tom = alle optag under ét, eller optag 0, 1, … "
    "(én række pr. optag, i rækkefølge); deltagere: optag 0, 1, … i rækkefølge.",
    "0",
)
_EV_LINE: Final = _Field(
    "line",
    "omkostning",
    "text",
    "omkostning: omkostningspostens navn (fra fanen Omkostninger).",
    "opstart",
    choices="cost_lines",
)
_EV_YEAR: Final = _Field(
    "year",
    "år nr.",
    "int",
    "omkostning: tom for en one_off-post (ét beløb); for en "
    "yearly-post 1, 2, … for postens første, andet, … betalingsår (i rækkefølge).",
    "1",
)
_EV_SUCC: Final = _Field("successes", "succeser", "int", "succesrate: antal succeser.", "6")
_EV_TRIALS: Final = _Field(
    "trials", "forsøg", "int", "succesrate: antal forsøg (afsluttede forløb).", "20"
)
_EV_COUNT: Final = _Field("participants", "antal", "int", "deltagere: realiseret optag.", "58")
_EV_AMOUNT: Final = _Field(
    "amount", "beløb", "float", "omkostning: realiseret beløb i kr.", "235000"
)
_EV_ROW_SOURCE: Final = _Field(
    "source", "kilde", "text", "succesrate: hvor observationerne kommer fra (valgfri)."
)
_EV_FIELDS: Final = (
    _EV_KIND,
    _EV_COHORT,
    _EV_LINE,
    _EV_YEAR,
    _EV_SUCC,
    _EV_TRIALS,
    _EV_COUNT,
    _EV_AMOUNT,
    _EV_ROW_SOURCE,
)
_EV_KINDS: Final = ("succesrate", "deltagere", "omkostning")
#: The columns each observation may fill (beside 'observation').
_EV_USES: Final[dict[str, tuple[str, ...]]] = {
    "succesrate": ("cohort", "successes", "trials", "source"),
    "deltagere": ("cohort", "participants"),
    "omkostning": ("line", "year", "amount"),
}


@dataclasses.dataclass(frozen=True)
class _Section:
    """One top-level table of a case and the sheet that holds it.

    Adding a part of the case format to the workbook is one entry here plus a writer method
    ``_Writer.<method>(ws)`` and a reader method ``_Reader.<method>(sheet)`` (returning the
    table or list, empty when the sheet holds nothing), and a paragraph in the Vejledning.
    """

    key: str  #: the case's top-level key
    sheet: str  #: the sheet's title
    method: str  #: name of the writer and reader methods
    fill_down: bool = True  #: merged cells count for every row they cover


#: The sheets after *Indsats* (which holds the top-level keys), in workbook order.
_SECTIONS: Final[tuple[_Section, ...]] = (
    _Section("participants", "Deltagere", "participants"),
    _Section("outcome", "Udfald", "outcome", fill_down=False),
    _Section("costs", "Omkostninger", "costs"),
    _Section("consequences", "Konsekvenser", "consequences", fill_down=False),
    _Section("correlations", "Korrelationer", "correlations"),
    _Section("scenarios", "Scenarier", "scenarios"),
    _Section("evidence", "Evidens", "evidence", fill_down=False),
)
_SHEETS: Final = {
    "indsats": "Indsats",
    **{sec.sheet.lower(): sec.sheet for sec in _SECTIONS},
}
_SECTION_SHEET: Final = {sec.key: sec.sheet for sec in _SECTIONS}
_GUIDE: Final = "Vejledning"
_LISTS: Final = "Lister"
_TOP_KEYS: Final = (*(f.key for f in _INDSATS), *_SECTION_SHEET)


def _format_keys(where: str) -> set[str]:
    """Keys the case format knows at `where` (``""``, ``costs[0]``, ``outcome`` …)."""
    model: type[Any] = {
        "": Case,
        "participants": Participants,
        "outcome": Outcome,
        "costs": CostLine,
        "consequences": Consequence,
        "correlations": Correlation,
        "scenarios": Scenario,
        "evidence": Evidence,
        "evidence.success_rate": RateEvidence,
    }[where.split("[", 1)[0]]
    return set(model.model_fields)


_FREE_PREFIXES: Final = ("note", "bemærk", "kommentar")

_HEAD_FONT: Final = Font(bold=True)
_HEAD_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_EXAMPLE_FONT: Final = Font(italic=True, color="808080")
_KR_FORMAT: Final = "#,##0"
_DECIMAL_FORMAT: Final = "#,##0.0#########"
_YEAR_FORMAT: Final = "0"
_SPARE_ROWS: Final = 200  # rows below the data that still get drop-downs


# ---------------------------------------------------------------------------------------------
# Numbers written as text
# ---------------------------------------------------------------------------------------------

_SIGN = r"[+-]?"
_EXP = r"(?:[eE][+-]?\d+)?"
_INT_RE: Final = re.compile(_SIGN + r"\d+")
_POINT_RE: Final = re.compile(_SIGN + r"(?:\d+\.?\d*|\.\d+)" + _EXP)
_COMMA_RE: Final = re.compile(_SIGN + r"(?:\d+,?\d*|,\d+)" + _EXP)
_DA_GROUPED_RE: Final = re.compile(_SIGN + r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_EN_GROUPED_RE: Final = re.compile(_SIGN + r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_AMBIGUOUS_RE: Final = re.compile(_SIGN + r"[1-9]\d{0,2}[.,]\d{3}")
_SPACE_GROUP_RE: Final = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?:\D|$))")


class _NotANumberError(ValueError):
    """A text that is not a number (the caller words the message)."""


def _text_number(text: str) -> int | float:
    """Parse a number stored as text; see the module docstring for what is accepted.

    Raises
    ------
    _NotANumberError
        When `text` is not a number; its message is set when the text is ambiguous.
    """
    s = text.strip().replace("\u2212", "-")
    percent = s.endswith("%")
    if percent:
        s = s[:-1].rstrip()
    s = _SPACE_GROUP_RE.sub("", s)
    value: int | float
    if _INT_RE.fullmatch(s):
        value = int(s)
    elif _AMBIGUOUS_RE.fullmatch(s):
        raise _NotANumberError(
            f"the text {text!r} can be read two ways ({s.replace(',', '').replace('.', '')} "
            "with a thousands separator, or a decimal number); type it into the cell as a "
            "number, or write it without thousands separators"
        )
    elif _POINT_RE.fullmatch(s):
        value = float(s)
    elif _COMMA_RE.fullmatch(s):
        value = float(s.replace(",", "."))
    elif _DA_GROUPED_RE.fullmatch(s):
        value = _grouped(s.replace(".", "").replace(",", "."))
    elif _EN_GROUPED_RE.fullmatch(s):
        value = _grouped(s.replace(",", ""))
    else:
        raise _NotANumberError("")
    if isinstance(value, float) and not math.isfinite(value):
        raise _NotANumberError("")
    return value / 100 if percent else value


def _grouped(s: str) -> int | float:
    return int(s) if _INT_RE.fullmatch(s) else float(s)


def _number_text(x: int | float) -> str:
    """Write a number into a text list so that :func:`_text_number` reads it back exactly."""
    if isinstance(x, int):
        return str(x)
    s = repr(float(x)).replace(".", ",")
    if _AMBIGUOUS_RE.fullmatch(s):
        s += "0"
    return s


_BARE_KEY_RE: Final = re.compile(r"[A-Za-z0-9_-]+")


def _inline(value: Any) -> str:
    """Write a value as TOML (an inline table for a mapping); tomllib reads it back exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = [
            f"{k if _BARE_KEY_RE.fullmatch(str(k)) else json.dumps(str(k), ensure_ascii=False)}"
            f" = {_inline(v)}"
            for k, v in value.items()
        ]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


# ---------------------------------------------------------------------------------------------
# Errors and locations
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Loc:
    """Where a value lives: ``Sheet!F7`` and what it is (``konsekvens 'x', pris kommune``)."""

    ref: str
    what: str

    @property
    def key(self) -> str:
        return f"{self.ref} ({self.what})" if self.what else self.ref


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return f"a date or time ({value}); format the cell as a number or as text"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value)) if abs(value) < 1e16 else repr(value)
    return repr(value)


def _safe_replace_target(path: Path) -> None:
    """Refuse a destination that is a symlink or a folder."""
    if path.is_symlink():
        raise CaseFileError(
            "is a symbolic link; som_mc never writes through a link, give the real path",
            file=str(path),
        )
    if path.is_dir():
        raise CaseFileError("is a folder; give a file name", file=str(path))


def _check_destination(path: Path, overwrite: bool) -> None:
    _safe_replace_target(path)
    if path.exists() and not overwrite:
        raise CaseFileError("already exists; pass overwrite=True to replace it", file=str(path))
    if not path.parent.is_dir():
        raise CaseFileError(
            f"the folder {str(path.parent)!r} does not exist; create it first", file=str(path)
        )


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file next to `path`, then rename it into place."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        _safe_replace_target(path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


class _Writer:
    """Builds the workbook from a raw case mapping."""

    def __init__(self, data: Mapping[str, Any] | None, file: str | None) -> None:
        self.template = data is None
        self.data: Mapping[str, Any] = {} if data is None else data
        self.file = file
        self.wb = Workbook()
        self.widths: dict[tuple[str, int], int] = {}
        self._inputs: list[str] | None = None
        raw_actors = self.data.get("actors")
        self.actors: list[str] = (
            [a for a in raw_actors if isinstance(a, str)]
            if isinstance(raw_actors, list)
            else list(_DEFAULT_ACTORS)
        )

    # -- helpers --------------------------------------------------------------------------

    def fail(self, message: str, key: str) -> CaseFileError:
        return CaseFileError(f"cannot be written to a workbook: {message}", file=self.file, key=key)

    def put(self, ws: Worksheet, row: int, col: int, value: Any, *, fmt: str | None = None) -> Cell:
        cell: Cell = ws.cell(row=row, column=col)
        if value is None:
            return cell
        if isinstance(value, float) and float(f"{value:.16g}") != value:
            # openpyxl writes numbers with 16 significant digits; a 17th is kept as text
            # (read back exactly by _text_number). Only computed values need it.
            value = repr(value)
        if isinstance(value, str):
            try:
                cell.value = value
            except IllegalCharacterError:
                raise self.fail(
                    f"the text {value!r} holds a control character Excel cannot store",
                    f"{ws.title}!{cell.coordinate}",
                ) from None
            cell.data_type = "s"  # user text is text, never a formula
            if value[:1] in ("=", "+", "-", "@"):
                cell.quotePrefix = True
            if "\n" in value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            width = max((len(line) for line in value.splitlines()), default=0)
        else:
            cell.value = value
            if fmt is None:
                integral = isinstance(value, int) or float(value).is_integer()
                fmt = _KR_FORMAT if integral else _DECIMAL_FORMAT
            cell.number_format = fmt
            width = len(f"{value:,}") + 1
        key = (ws.title, col)
        self.widths[key] = max(self.widths.get(key, 0), min(width, 60))
        return cell

    def header(
        self, ws: Worksheet, row: int, headers: Sequence[str], helps: Mapping[str, str]
    ) -> None:
        for col, text in enumerate(headers, start=1):
            cell = self.put(ws, row, col, text)
            cell.font = _HEAD_FONT
            cell.fill = _HEAD_FILL
            help_text = helps.get(text)
            if help_text:
                cell.comment = Comment(help_text, "som_mc", width=300, height=110)

    def validation(self, ws: Worksheet, list_name: str, cells: Sequence[str]) -> None:
        if not cells:
            return
        column = _LIST_COLUMNS[list_name]
        n = len(self.lists()[list_name])
        dv = DataValidation(
            type="list",
            formula1=f"{_LISTS}!${column}$2:${column}${n + 1}",
            allow_blank=True,
            errorStyle="warning",
            error="Værdien står ikke på listen; se fanen Vejledning.",
            errorTitle="Ukendt værdi",
        )
        ws.add_data_validation(dv)
        for ref in cells:
            dv.add(ref)

    def lists(self) -> dict[str, list[str]]:
        return {
            "dist": list(KINDS),
            "actors": self.actors,
            "kind": list(_KINDS),
            "bool": ["ja", "nej"],
            "horizon_mode": list(_HORIZON_MODES),
            "applies_to": list(_APPLIES_TO),
            "scenario_kind": list(_SCEN_KINDS),
            "inputs": self.input_names(),
            "evidence_kind": list(_EV_KINDS),
            "cost_lines": self.cost_lines(),
        }

    def input_names(self) -> list[str]:
        """Return the case's input names (drop-down of Scenarier) and those its scenarios use."""
        if self._inputs is not None:
            return self._inputs
        names: list[str] = []
        if not self.template:
            from som_mc.case.inputs import case_inputs

            try:
                names = [spec.name for spec in case_inputs(parse_case(dict(self.data)))]
            except (SomMcError, ValueError, TypeError, KeyError):
                names = []  # an invalid case still gets its workbook; the list stays short
        if not names:
            names = ["success_rate", "participants[0]", "dropoff_rate"]
        for sc in self.data.get("scenarios") or []:
            if isinstance(sc, Mapping):
                for part in _SCEN_KINDS.values():
                    table = sc.get(part)
                    if isinstance(table, Mapping):
                        names += [n for n in table if isinstance(n, str) and n not in names]
        self._inputs = names
        return names

    def cost_lines(self) -> list[str]:
        names: list[str] = []
        for item in self.data.get("costs") or []:
            if isinstance(item, Mapping):
                name = item.get("name")
                if isinstance(name, str) and name not in names:
                    names.append(name)
        evidence = self.data.get("evidence")
        if isinstance(evidence, Mapping) and isinstance(evidence.get("costs"), Mapping):
            names += [n for n in evidence["costs"] if isinstance(n, str) and n not in names]
        return names or ["opstart"]

    def text_of(self, f: _Field, value: Any, key: str) -> Any:
        """Return the cell value of a non-scalar field."""
        if value is None:
            return None
        if f.kind in ("text", "choice"):
            if not isinstance(value, str):
                raise self.fail(f"expected text; received {_describe(value)}", key)
            return value
        if f.kind == "bool":
            if not isinstance(value, bool):
                raise self.fail(f"expected true or false; received {_describe(value)}", key)
            return "ja" if value else "nej"
        if f.kind in ("int", "float"):
            if not _is_number(value):
                raise self.fail(f"expected a number; received {_describe(value)}", key)
            return value
        if not isinstance(value, list):
            raise self.fail(f"expected a list; received {_describe(value)}", key)
        if f.kind == "textlist":
            bad = [v for v in value if not isinstance(v, str) or "," in v or ";" in v]
            if bad:
                raise self.fail(
                    f"expected names without ',' or ';'; received {_describe(bad[0])}", key
                )
            return ", ".join(value)
        if not all(_is_number(v) for v in value):
            raise self.fail(f"expected a list of numbers; received {value!r}", key)
        return "; ".join(_number_text(v) for v in value)

    def group(self, value: Any, key: str, *, catalog: bool) -> dict[str, Any]:
        """Cells of an uncertain value, by TOML key (``value``, ``dist``, params, ``uses``)."""
        if value is None:
            return {}
        if _is_number(value):
            return {"value": value}
        if not isinstance(value, Mapping):
            raise self.fail(
                f"expected a number or a distribution table; received {_describe(value)}", key
            )
        if value.get("dist") in _TEXT_KINDS or any(
            k not in _PARAMS and isinstance(k, str) and _QUANTILE_RE.fullmatch(k) for k in value
        ):
            out = {"uses": value["uses"]} if catalog and isinstance(value.get("uses"), str) else {}
            table = {k: v for k, v in value.items() if k != "uses" or not catalog}
            try:
                text = _inline(table)
            except TypeError:
                raise self.fail(
                    f"expected a distribution table; received {_describe(value)}", key
                ) from None
            if isinstance(table.get("dist"), str):
                out["dist"] = table["dist"]
            return {**out, _TEXT: text}
        out = {}
        for k, v in value.items():
            if k == "uses" and catalog:
                if not isinstance(v, str):
                    raise self.fail(f"expected a catalog reference; received {_describe(v)}", key)
                out["uses"] = v
            elif k == "dist":
                if not isinstance(v, str):
                    raise self.fail(
                        f"expected a family name; received {_describe(v)}", f"{key}.dist"
                    )
                out["dist"] = v
            elif k == "values" and isinstance(v, list) and all(_is_number(x) for x in v):
                out["values"] = "; ".join(_number_text(x) for x in v)
            elif k in _PARAMS and _is_number(v):
                out[k] = v
            elif k in _PARAMS:
                raise self.fail(f"expected a number; received {_describe(v)}", f"{key}.{k}")
            else:
                close = difflib.get_close_matches(str(k), list(_PARAMS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.fail(f"unknown distribution parameter {k!r}{hint}", f"{key}.{k}")
        return out

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(f"expected a table; received {_describe(value)}", key)
        return value

    def items(self, key: str) -> list[Mapping[str, Any]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(f"expected a list of tables; received {_describe(value)}", key)
        return value

    def unknown(self, table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
        for k in table:
            if k not in allowed and k in _format_keys(where):
                raise self.fail(
                    f"{k!r} is part of the case format but has no sheet yet; keep this case "
                    "as TOML (converting would drop it)",
                    f"{where}{'.' if where else ''}{k}",
                )
            if k not in allowed:
                close = difflib.get_close_matches(str(k), list(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.fail(f"unknown key {k!r}{hint}", f"{where}{'.' if where else ''}{k}")

    # -- sheets ---------------------------------------------------------------------------

    def build(self) -> Workbook:
        if not isinstance(self.data, Mapping):
            raise self.fail(f"expected a table; received {_describe(self.data)}", "")
        self.unknown(self.data, _TOP_KEYS, "")
        guide = self.wb.active
        assert guide is not None
        guide.title = _GUIDE
        self.guide(guide)
        self.key_value(self.wb.create_sheet(_SHEETS["indsats"]), _INDSATS, self.data, "")
        for sec in _SECTIONS:
            getattr(self, sec.method)(self.wb.create_sheet(sec.sheet))
        self.list_sheet(self.wb.create_sheet(_LISTS))
        for (title, col), width in self.widths.items():
            ws = self.wb[title]
            ws.column_dimensions[get_column_letter(col)].width = max(width + 2, 6)
        self.wb[_GUIDE].column_dimensions["A"].width = 110
        return self.wb

    def guide(self, ws: Worksheet) -> None:
        paragraphs: list[str] = []
        for block in _GUIDE_TEXT.strip().split("\n\n"):
            lines = block.splitlines()
            if all(line.startswith("- ") for line in lines):
                paragraphs += lines
            else:
                paragraphs.append(" ".join(lines))
        for row, text in enumerate(paragraphs, start=1):
            cell = self.put(ws, row, 1, text.lstrip("# ") if text.startswith("#") else text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if text.startswith("#"):
                cell.font = Font(bold=True, size=14 if text.startswith("# ") else 12)

    def group_headers(self, *, catalog: bool) -> list[str]:
        heads = [_label(k) for k in _GROUP]
        return [*heads, "katalog"] if catalog else heads

    def write_group(
        self, ws: Worksheet, row: int, first_col: int, cells: Mapping[str, Any], fmt: str | None
    ) -> int:
        """Write a horizontal cell group at `first_col`; returns the fordeling column."""
        for i, k in enumerate(_GROUP):
            v = cells.get(k)
            cell = self.put(ws, row, first_col + i, v, fmt=fmt if _is_number(v) else None)
            if k == _TEXT and v is not None:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if "uses" in cells:
            self.put(ws, row, first_col + len(_GROUP), cells["uses"])
        return first_col + 1

    def key_value(
        self, ws: Worksheet, fields: Sequence[_Field], table: Mapping[str, Any], prefix: str
    ) -> None:
        group = self.group_headers(catalog=True)
        headers = ["felt", "nøgle", *group, "forklaring", "eksempel"]
        self.header(ws, 1, headers, {**_HEAD_HELP, **_param_help()})
        ws.freeze_panes = "C2"
        col_of = {h: i for i, h in enumerate(headers, start=1)}
        dist_cells: list[str] = []
        for row, f in enumerate(fields, start=2):
            key = prefix + f.key
            self.put(ws, row, 1, f.header).font = _HEAD_FONT
            self.put(ws, row, 2, key)
            value = table.get(f.key)
            if f.kind == "scalar":
                cells = self.group(value, key, catalog=f.catalog)
                self.write_group(ws, row, col_of["værdi"], cells, None)
                dist_cells.append(f"{get_column_letter(col_of[_DIST_HEADER])}{row}")
            else:
                fmt = _YEAR_FORMAT if f.kind == "int" else None
                self.put(ws, row, col_of["værdi"], self.text_of(f, value, key), fmt=fmt)
                if f.choices:
                    cell = f"{get_column_letter(col_of['værdi'])}{row}"
                    self.validation(ws, f.choices, [cell])
            self.put(ws, row, col_of["forklaring"], f.help)
            self.put(ws, row, col_of["eksempel"], f.example).font = _EXAMPLE_FONT
        self.validation(ws, "dist", dist_cells)
        for h in ("forklaring",):
            self.widths[(ws.title, col_of[h])] = 70
            for row in range(2, len(fields) + 2):
                ws.cell(row=row, column=col_of[h]).alignment = Alignment(wrap_text=True)

    def outcome(self, ws: Worksheet) -> None:
        outcome = self.table(self.data.get("outcome"), "outcome")
        self.unknown(outcome, [f.key for f in _UDFALD], "outcome")
        self.key_value(ws, _UDFALD, outcome, "outcome.")

    def participants(self, ws: Worksheet) -> None:
        table = self.table(self.data.get("participants"), "participants")
        self.unknown(table, ["per_year", "course_years"], "participants")
        self.put(ws, 1, 1, _COURSE.header).font = _HEAD_FONT
        course = self.text_of(_COURSE, table.get("course_years"), "participants.course_years")
        self.put(ws, 1, 2, course, fmt=None)
        self.put(ws, 1, 3, _COURSE.help).font = _EXAMPLE_FONT
        headers = [_COHORT_HEADER, *self.group_headers(catalog=False)]
        self.header(ws, 3, headers, {**_HEAD_HELP, **_param_help()})
        ws.freeze_panes = "B4"
        per_year = table.get("per_year")
        if per_year is not None and not isinstance(per_year, list):
            raise self.fail(
                f"expected a list; received {_describe(per_year)}", "participants.per_year"
            )
        row = 4
        if self.template:
            self.put(ws, row, 1, "# 0 (eksempel)").font = _EXAMPLE_FONT
            self.write_group(
                ws, row, 2, {"dist": "discrete_uniform", "low": 32, "high": 40}, _KR_FORMAT
            )
            row += 1
        for c, value in enumerate(per_year or []):
            self.put(ws, row, 1, c, fmt=_YEAR_FORMAT)
            cells = self.group(value, f"participants.per_year[{c}]", catalog=False)
            self.write_group(ws, row, 2, cells, None)
            row += 1
        self.validation(ws, "dist", [f"C4:C{row + _SPARE_ROWS}"])

    def costs(self, ws: Worksheet) -> None:
        heads = [f.header for f in _COSTS if f.kind != "scalar"]
        amount_at = heads.index("katalog")
        headers = [*heads[:amount_at], *self.group_headers(catalog=False), *heads[amount_at:]]
        self.header(ws, 1, headers, {**_HEAD_HELP, **_param_help()})
        ws.freeze_panes = "B2"
        col_of = {h: i for i, h in enumerate(headers, start=1)}
        rows = list(self.items("costs"))
        row = 2
        if self.template:
            example = {
                "name": "# opstart (eksempel)",
                "actor": "kommune",
                "kind": "one_off",
                "year": 0,
                "amount": {"dist": "triangular", "low": 200000, "mode": 250000, "high": 400000},
                "source": "illustrativt",
            }
            rows.insert(0, example)
        for i, item in enumerate(rows):
            key = f"costs[{i - self.template}]"
            self.unknown(item, [f.key for f in _COSTS], key)
            for f in _COSTS:
                value = item.get(f.key)
                if f.kind == "scalar":
                    cells = self.group(value, f"{key}.amount", catalog=False)
                    self.write_group(ws, row, col_of["værdi"], cells, None)
                else:
                    fmt = _YEAR_FORMAT if f.kind == "int" else None
                    cell = self.put(
                        ws, row, col_of[f.header], self.text_of(f, value, f"{key}.{f.key}"), fmt=fmt
                    )
                    if self.template and i == 0:
                        cell.font = _EXAMPLE_FONT
            row += 1
        last = row + _SPARE_ROWS
        for header, list_name in (
            ("aktør", "actors"),
            ("type", "kind"),
            ("sparet", "bool"),
            (_DIST_HEADER, "dist"),
        ):
            letter = get_column_letter(col_of[header])
            self.validation(ws, list_name, [f"{letter}2:{letter}{last}"])

    def consequences(self, ws: Worksheet) -> None:
        items = list(self.items("consequences"))
        if self.template:
            items.insert(
                0,
                {
                    "name": "# kontanthjaelp (eksempel)",
                    "unit": "uger",
                    "profile": [-8, -10, -10],
                    "scale": {"dist": "normal", "mean": 1.0, "sd": 0.51},
                    "price": {"kommune": 2300, "stat": 700},
                    "source": "illustrativt",
                },
            )
        orders = [
            [a for a in item["price"] if isinstance(a, str)]
            for item in items
            if isinstance(item.get("price"), Mapping)
        ]
        actors = _merge_orders(orders, self.actors)
        for i, item in enumerate(items):
            price = item.get("price")
            if isinstance(price, Mapping):
                order = [a for a in price if isinstance(a, str)]
                if order != sorted(order, key=actors.index):
                    raise self.fail(
                        f"the prices name the aktører in the order {', '.join(order)}, another "
                        "konsekvens in another order; the sheet has one column per aktør, so "
                        "write every price table in the same aktør order (the case hash "
                        "depends on it)",
                        f"consequences[{i - self.template}].price",
                    )
        n_years = 0
        for i, item in enumerate(items):
            profile = item.get("profile")
            if isinstance(profile, list):
                n_years = max(n_years, len(profile))
            elif profile is not None:
                raise self.fail(
                    f"expected a list; received {_describe(profile)}",
                    f"consequences[{i - self.template}].profile",
                )
        horizon = self.data.get("horizon_years")
        if isinstance(horizon, int) and not isinstance(horizon, bool) and 0 < horizon <= 100:
            n_years = max(n_years, horizon)
        n_years = max(n_years, 10 if self.template or not items else 1)
        meta = [f.header for f in _CONS_META]
        values = [
            _SCALE_HEADER,
            *[f"år {t}" for t in range(n_years)],
            *[f"pris {a}" for a in actors],
        ]
        headers = [*meta, _PARAMETER_HEADER, *values]
        self.header(ws, 1, headers, {**_HEAD_HELP, **_cons_help()})
        first_value = len(meta) + 2
        ws.freeze_panes = ws.cell(row=2, column=first_value).coordinate
        col_of = {h: i for i, h in enumerate(headers, start=1)}
        row = 2
        dist_cells: list[str] = []
        allowed = [f.key for f in _CONS_META if f.key != "price"] + ["profile", "scale", "price"]
        for i, item in enumerate(items):
            key = f"consequences[{i - self.template}]"
            self.unknown(item, allowed, key)
            columns: dict[str, dict[str, Any]] = {}
            columns[_SCALE_HEADER] = self.group(item.get("scale"), f"{key}.scale", catalog=False)
            for t, v in enumerate(item.get("profile") or []):
                columns[f"år {t}"] = self.group(v, f"{key}.profile[{t}]", catalog=False)
            price = item.get("price")
            if isinstance(price, Mapping):
                for actor, v in price.items():
                    columns[f"pris {actor}"] = self.group(v, f"{key}.price.{actor}", catalog=False)
            for f in _CONS_META:
                value = item.get(f.key)
                if f.key == "price" and isinstance(value, Mapping):
                    continue
                cell = self.put(ws, row, col_of[f.header], self.text_of(f, value, f"{key}.{f.key}"))
                if self.template and i == 0:
                    cell.font = _EXAMPLE_FONT
            self.put(ws, row, col_of[_PARAMETER_HEADER], _PARAMS["value"])
            params = [k for k in _GROUP[1:] if any(k in c for c in columns.values())]
            for col_name, cells in columns.items():
                if "value" in cells:
                    self.put(ws, row, col_of[col_name], cells["value"])
            for j, k in enumerate(params, start=1):
                self.put(ws, row + j, col_of[_PARAMETER_HEADER], _label(k))
                for col_name, cells in columns.items():
                    self.put(ws, row + j, col_of[col_name], cells.get(k))
                if k == "dist":
                    dist_cells.append(
                        f"{get_column_letter(first_value)}{row + j}:"
                        f"{get_column_letter(len(headers))}{row + j}"
                    )
            row += 1 + len(params)
        self.validation(ws, "dist", dist_cells)
        letter = get_column_letter(col_of["gælder for"])
        self.validation(ws, "applies_to", [f"{letter}2:{letter}{row + _SPARE_ROWS}"])

    def correlations(self, ws: Worksheet) -> None:
        headers = [f.header for f in _CORR]
        self.header(ws, 1, headers, _HEAD_HELP)
        ws.freeze_panes = "A2"
        items = list(self.items("correlations"))
        if self.template:
            items.insert(
                0,
                {
                    "inputs": ["# success_rate (eksempel)", "consequences.herberg.scale"],
                    "rank": 0.5,
                },
            )
        for i, item in enumerate(items):
            key = f"correlations[{i - self.template}]"
            self.unknown(item, ["inputs", "rank"], key)
            inputs = item.get("inputs")
            if inputs is not None and (
                not isinstance(inputs, list)
                or len(inputs) != 2
                or not all(isinstance(v, str) for v in inputs)
            ):
                raise self.fail(
                    f"expected two input names; received {_describe(inputs)}", f"{key}.inputs"
                )
            for j in range(2):
                self.put(ws, i + 2, j + 1, None if inputs is None else inputs[j])
            rank = item.get("rank")
            if rank is not None and not _is_number(rank):
                raise self.fail(f"expected a number; received {_describe(rank)}", f"{key}.rank")
            self.put(ws, i + 2, 3, rank, fmt="0.00########")
        dv = DataValidation(
            type="decimal",
            operator="between",
            formula1="-0.9999",
            formula2="0.9999",
            allow_blank=True,
            errorStyle="warning",
            error="En rangkorrelation ligger mellem -1 og 1.",
        )
        ws.add_data_validation(dv)
        dv.add(f"C2:C{len(items) + 2 + _SPARE_ROWS}")

    def scenarios(self, ws: Worksheet) -> None:
        fields = {f.header: f for f in _SCEN_FIELDS}
        group = self.group_headers(catalog=False)
        headers = [*fields, *group]
        self.header(ws, 1, headers, {**{h: f.help for h, f in fields.items()}, **_param_help()})
        ws.freeze_panes = "B2"
        col_of = {h: i for i, h in enumerate(headers, start=1)}
        items = list(self.items("scenarios"))
        if self.template:
            items.insert(
                0,
                {
                    "name": "# Lav succesrate (eksempel)",
                    "description": "Succesraten 15 % i stedet for 33 %",
                    "overrides": {"success_rate": 0.15},
                },
            )
        row = 2
        previous: Any = None
        for i, item in enumerate(items):
            key = f"scenarios[{i - self.template}]"
            self.unknown(item, ["name", "description", *_SCEN_KINDS.values()], key)
            name = self.text_of(_SCEN_NAME, item.get("name"), f"{key}.name")
            if name is not None and name == previous:
                raise self.fail(
                    f"two scenarios in a row named {name!r}; scenario names must be distinct",
                    f"{key}.name",
                )
            previous = name
            desc = self.text_of(_SCEN_DESC, item.get("description"), f"{key}.description")
            changes: list[tuple[str | None, str | None, Any]] = []
            for kind_word, part in _SCEN_KINDS.items():
                table = self.table(item.get(part), f"{key}.{part}")
                for input_key, v in table.items():
                    changes.append((kind_word, str(input_key), v))
            first = row
            for word, input_name, v in changes or [(None, None, None)]:
                self.put(ws, row, col_of["scenarie"], name)
                if word is not None:
                    self.put(ws, row, col_of["ændring"], word)
                    self.put(ws, row, col_of["input"], input_name)
                    where = f"{key}.{_SCEN_KINDS[word]}.{input_name}"
                    if word == "override":
                        cells = self.group(v, where, catalog=False)
                        self.write_group(ws, row, col_of["værdi"], cells, None)
                    elif word == "skalering":
                        if not _is_number(v):
                            raise self.fail(f"expected a factor; received {_describe(v)}", where)
                        self.put(ws, row, col_of["faktor"], v)
                    else:
                        tail = self.table(v, where)
                        self.unknown(tail, ["below", "above"], where)
                        for k, header in (("below", "under"), ("above", "over")):
                            x = tail.get(k)
                            if x is not None and not _is_number(x):
                                raise self.fail(
                                    f"expected a number; received {_describe(x)}",
                                    f"{where}.{k}",
                                )
                            self.put(ws, row, col_of[header], x, fmt="0.00####")
                if self.template and i == 0:
                    for col in range(1, len(headers) + 1):
                        ws.cell(row=row, column=col).font = _EXAMPLE_FONT
                row += 1
            self.put(ws, first, col_of["beskrivelse"], desc)
        last = row + _SPARE_ROWS
        for header, list_name in (
            ("ændring", "scenario_kind"),
            ("input", "inputs"),
            (_DIST_HEADER, "dist"),
        ):
            letter = get_column_letter(col_of[header])
            self.validation(ws, list_name, [f"{letter}2:{letter}{last}"])
        for header in ("under", "over"):
            letter = get_column_letter(col_of[header])
            self.share_validation(ws, f"{letter}2:{letter}{last}")

    def share_validation(self, ws: Worksheet, cells: str) -> None:
        dv = DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2="1",
            allow_blank=True,
            errorStyle="warning",
            error="En andel ligger mellem 0 og 1 (0,10 = 10 %).",
        )
        ws.add_data_validation(dv)
        dv.add(cells)

    def evidence(self, ws: Worksheet) -> None:
        ev = self.table(self.data.get("evidence"), "evidence")
        self.unknown(ev, ["success_rate", "participants", "costs", "source"], "evidence")
        self.put(ws, 1, 1, _EV_SOURCE.header).font = _HEAD_FONT
        self.put(ws, 1, 2, self.text_of(_EV_SOURCE, ev.get("source"), "evidence.source"))
        self.put(ws, 1, 3, _EV_SOURCE.help).font = _EXAMPLE_FONT
        headers = [f.header for f in _EV_FIELDS]
        self.header(ws, 3, headers, {f.header: f.help for f in _EV_FIELDS})
        ws.freeze_panes = "B4"
        col_of = {f.key: i for i, f in enumerate(_EV_FIELDS, start=1)}
        rows: list[dict[str, Any]] = []
        if self.template:
            rows.append(
                {"kind": "# succesrate (eksempel)", "successes": 6, "trials": 20, "cohort": 0}
            )
        rate = self.table(ev.get("success_rate"), "evidence.success_rate")
        if "success_rate" in ev:
            self.unknown(rate, ["successes", "trials", "source"], "evidence.success_rate")
            s, n = rate.get("successes"), rate.get("trials")
            lists = [x for x in (s, n) if isinstance(x, list)]
            if lists and (
                (len(lists) == 1 and None not in (s, n)) or len({len(x) for x in lists}) > 1
            ):
                raise self.fail(
                    "successes and trials must both be numbers or both lists of the same "
                    f"length (one per cohort); received successes = {s!r}, trials = {n!r}",
                    "evidence.success_rate",
                )
            source = self.text_of(
                _EV_ROW_SOURCE, rate.get("source"), "evidence.success_rate.source"
            )
            if lists:
                for c in range(len(lists[0])):
                    rows.append(
                        {
                            "kind": "succesrate",
                            "cohort": c,
                            "successes": s[c] if isinstance(s, list) else None,
                            "trials": n[c] if isinstance(n, list) else None,
                            "source": source if c == 0 else None,
                        }
                    )
                if not lists[0]:
                    raise self.fail(
                        "expected one entry per cohort; received []", "evidence.success_rate"
                    )
            else:
                rows.append(
                    {
                        "kind": "succesrate",
                        "successes": s,
                        "trials": n,
                        "source": source,
                        "_key": "evidence.success_rate",
                    }
                )
        participants = ev.get("participants")
        if participants is not None:
            if not isinstance(participants, list) or not participants:
                raise self.fail(
                    f"expected a list of numbers; received {_describe(participants)}",
                    "evidence.participants",
                )
            for c, x in enumerate(participants):
                rows.append(
                    {
                        "kind": "deltagere",
                        "cohort": c,
                        "participants": x,
                        "_key": f"evidence.participants[{c}]",
                    }
                )
        for name, amount in self.table(ev.get("costs"), "evidence.costs").items():
            if isinstance(amount, list):
                if not amount:
                    raise self.fail(
                        "expected at least one amount; received []", f"evidence.costs.{name}"
                    )
                for nr, x in enumerate(amount, start=1):
                    rows.append(
                        {
                            "kind": "omkostning",
                            "line": name,
                            "year": nr,
                            "amount": x,
                            "_key": f"evidence.costs.{name}[{nr - 1}]",
                        }
                    )
            else:
                rows.append(
                    {
                        "kind": "omkostning",
                        "line": name,
                        "amount": amount,
                        "_key": f"evidence.costs.{name}",
                    }
                )
        for r, item in enumerate(rows, start=4):
            row_key = item.pop("_key", "evidence")
            for k, v in item.items():
                f = next(f for f in _EV_FIELDS if f.key == k)
                if f.kind in ("int", "float") and v is not None and not _is_number(v):
                    raise self.fail(f"expected a number; received {_describe(v)}", row_key)
                fmt = _YEAR_FORMAT if k in ("cohort", "year") else None
                cell = self.put(ws, r, col_of[k], v, fmt=fmt)
                if self.template and r == 4:
                    cell.font = _EXAMPLE_FONT
        last = 4 + len(rows) + _SPARE_ROWS
        for key, list_name in (("kind", "evidence_kind"), ("line", "cost_lines")):
            letter = get_column_letter(col_of[key])
            self.validation(ws, list_name, [f"{letter}4:{letter}{last}"])
        for key in ("cohort", "year", "successes", "trials", "participants"):
            letter = get_column_letter(col_of[key])
            dv = DataValidation(
                type="whole",
                operator="greaterThanOrEqual",
                formula1="0",
                allow_blank=True,
                errorStyle="warning",
                error="Et helt tal, 0 eller større.",
            )
            ws.add_data_validation(dv)
            dv.add(f"{letter}4:{letter}{last}")

    def list_sheet(self, ws: Worksheet) -> None:
        for name, values in self.lists().items():
            col = _column_index(_LIST_COLUMNS[name])
            self.put(ws, 1, col, name).font = _HEAD_FONT
            for row, v in enumerate(values, start=2):
                self.put(ws, row, col, v)
        ws.sheet_state = "hidden"


_LIST_COLUMNS: Final = {
    "dist": "A",
    "actors": "B",
    "kind": "C",
    "bool": "D",
    "horizon_mode": "E",
    "applies_to": "F",
    "scenario_kind": "G",
    "inputs": "H",
    "evidence_kind": "I",
    "cost_lines": "J",
}


def _merge_orders(orders: Sequence[Sequence[str]], preferred: Sequence[str]) -> list[str]:
    """Order the price columns so that every consequence's prices read back in its order.

    The case hash depends on the order of a price table's keys, and the reader returns them
    in column order: a topological merge of the consequences' orders, ties (and actors no
    price names) in `preferred` order. Conflicting orders (one consequence names stat before
    kommune, another kommune before stat) cannot all be kept; the first one seen wins.
    """
    names = list(dict.fromkeys([*preferred, *(a for order in orders for a in order)]))
    after: dict[str, set[str]] = {a: set() for a in names}  # a -> names that must precede a
    for order in orders:
        for i, a in enumerate(order):
            for b in order[:i]:
                if a not in after[b]:  # keep the first-seen direction of a conflict
                    after[a].add(b)
    out: list[str] = []
    while len(out) < len(names):
        ready = [a for a in names if a not in out and after[a] <= set(out)]
        out.append(ready[0] if ready else next(a for a in names if a not in out))
    return out


def _column_index(letter: str) -> int:
    return ord(letter) - ord("A") + 1


def _param_help() -> dict[str, str]:
    return {
        **{_PARAMS[k]: f"{k}: {text}" for k, text in _PARAM_HELP.items()},
        _TEXT_HEADER: "Hele fordelingen som TOML-tekst (punktum som decimaltegn), til "
        "fordelinger af fordelinger: mixture (flere eksperter vægtet sammen) og "
        "binomial_posterior, fx " + _TEXT_EXAMPLE + ". Lad de andre parameterkolonner stå tomme.",
    }


def _cons_help() -> dict[str, str]:
    return {
        _PARAMETER_HEADER: "Rækkens rolle: værdi (første række: tal) eller fordeling, lav, "
        "typisk, høj, … (rækkerne under: fordelingens parametre pr. kolonne).",
        _SCALE_HEADER: "Usikkerhedsfaktor på hele profilen (valgfri, standard 1).",
        **{f.header: f.help for f in _CONS_META},
    }


_HEAD_HELP: Final[dict[str, str]] = {
    "felt": "Hvad feltet er.",
    "nøgle": "Nøglen i TOML-casefilen (må ikke ændres).",
    _DIST_HEADER: "Fordelingsfamilie, vælg fra listen; tom = et fast tal i 'værdi'.",
    "katalog": "Reference til distributionskataloget, fx catalog:boern_angst/cool_kids (valgfri).",
    "forklaring": "Læses ikke.",
    "eksempel": "Læses ikke.",
    _COHORT_HEADER: "Optagsår 0, 1, 2, … (én række pr. optag, i rækkefølge).",
    **{f.header: f.help for f in (*_COSTS, *_CORR) if f.help},
}


def write_workbook(
    path: str | os.PathLike[str], data: Mapping[str, Any] | None = None, *, overwrite: bool = False
) -> None:
    """Write a case workbook to fill in, or holding a case.

    Parameters
    ----------
    path : str or PathLike
        The ``.xlsx`` file to write. Written atomically (a temporary file in the same folder,
        then renamed); never through a symbolic link.
    data : Mapping, optional
        A raw case mapping, as :mod:`tomllib` reads a case file (catalog references are kept
        as references). ``None`` writes the empty template, with one example row per sheet
        (a comment row, starting with ``#``, that is not read).
    overwrite : bool, default False
        Replace `path` if it exists.

    Raises
    ------
    CaseFileError
        If `path` exists and `overwrite` is false, is a symbolic link or a folder, or if
        `data` holds something the workbook cannot represent (an unknown key, a value of the
        wrong type), naming its key path.

    Examples
    --------
    >>> write_workbook("ny_case.xlsx")  # doctest: +SKIP
    """
    target = Path(path)
    _check_destination(target, overwrite)
    wb = _Writer(data, None).build()
    _atomic_write(target, lambda tmp: wb.save(tmp))


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _norm(text: Any) -> str:
    """Normalised header or label: lower case, no parenthesised notes, single spaces."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    s = re.sub(r"\([^)]*\)", " ", text.lower())
    return " ".join(s.split())


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_free(header: str) -> bool:
    return header.startswith(_FREE_PREFIXES)


class _Sheet:
    """One worksheet with cached-value lookup, merged cells and error locations."""

    def __init__(
        self, reader: _Reader, ws: Worksheet, cached: Worksheet, *, fill_down: bool
    ) -> None:
        self.reader = reader
        self.ws = ws
        self.cached = cached
        self.title = ws.title
        self.origin: dict[tuple[int, int], tuple[int, int]] = {}
        self.free_columns: set[int] = set()
        if fill_down:
            for rng in ws.merged_cells.ranges:
                for r in range(rng.min_row + 1, rng.max_row + 1):
                    self.origin[(r, rng.min_col)] = (rng.min_row, rng.min_col)

    @property
    def max_row(self) -> int:
        return self.ws.max_row

    @property
    def max_col(self) -> int:
        return self.ws.max_column

    def ref(self, row: int, col: int) -> str:
        return f"{self.title}!{get_column_letter(col)}{row}"

    def loc(self, row: int, col: int, what: str) -> _Loc:
        return _Loc(self.ref(row, col), what)

    def value(self, row: int, col: int) -> Any:
        """Return the cell's value; formulas give their cached result, blanks None."""
        r, c = self.origin.get((row, col), (row, col))
        cell = self.ws._cells.get((r, c))  # no cell is created by looking
        if cell is None or isinstance(cell, MergedCell):
            return None
        value = cell.value
        if cell.data_type == "f":
            value = self.cached.cell(row=r, column=c).value
            if value is None:
                raise self.reader.error(
                    self.loc(row, col, ""),
                    f"a formula ({cell.value}) without a computed value; open and save the "
                    "workbook in Excel or LibreOffice, or type the value",
                )
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def row_values(self, row: int) -> list[Any]:
        return [self.value(row, c) for c in range(1, self.max_col + 1)]

    def is_comment(self, row: int) -> bool:
        for v in self.row_values(row):
            if not _is_blank(v):
                return isinstance(v, str) and v.lstrip().startswith("#")
        return False

    def is_empty(self, row: int) -> bool:
        return all(_is_blank(v) for v in self.row_values(row))

    def find_header(
        self, anchor: str, known: Callable[[str], bool], scan: int = 12
    ) -> tuple[int, dict[str, int]]:
        """Locate the header row (the first row with `anchor`) and map header -> column."""
        for row in range(1, min(self.max_row, scan) + 1):
            heads = [_norm(v) for v in self.row_values(row)]
            if anchor in heads:
                return row, self.columns(row, heads, known)
        raise self.reader.error(
            _Loc(self.title, ""),
            f"no header row with a column {anchor!r} in the first {scan} rows; start from "
            "the template (som-mc template NY.xlsx) and keep its header row",
        )

    def columns(self, row: int, heads: list[str], known: Callable[[str], bool]) -> dict[str, int]:
        out: dict[str, int] = {}
        for col, head in enumerate(heads, start=1):
            if head and _is_free(head):
                self.free_columns.add(col)
            if not head or _is_free(head):
                continue
            if not known(head):
                raise self.reader.error(
                    self.loc(row, col, ""),
                    f"unknown column {head!r}{self.reader.hint(head)}; name extra columns "
                    "'note …' to keep them",
                )
            if head in out:
                raise self.reader.error(
                    self.loc(row, col, ""),
                    f"column {head!r} appears twice (also {get_column_letter(out[head])}{row})",
                )
            out[head] = col
        return out

    def stray(self, row: int, columns: Mapping[str, int], what: str) -> None:
        """Refuse values in columns without a header."""
        used = set(columns.values()) | self.free_columns
        for col in range(1, self.max_col + 1):
            if col not in used and not _is_blank(self.value(row, col)):
                raise self.reader.error(
                    self.loc(row, col, what),
                    f"a value in a column without a header; received "
                    f"{_describe(self.value(row, col))}; delete it or give the column a header "
                    "'note …'",
                )


class _Reader:
    """Reads a workbook into a raw case mapping, remembering where each key came from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)
        self.locations: dict[str, _Loc] = {}
        self._known_headers: list[str] = []

    def error(self, loc: _Loc, message: str) -> CaseFileError:
        return CaseFileError(message, file=self.file, key=loc.key)

    def hint(self, word: str) -> str:
        close = difflib.get_close_matches(word, self._known_headers, n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

    def note(self, key: str, loc: _Loc) -> None:
        self.locations.setdefault(key, loc)

    # -- parsing one cell -----------------------------------------------------------------

    def number(self, value: Any, loc: _Loc, expected: str = "a number") -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.error(loc, f"expected {expected}; received {_describe(value)}")
        if isinstance(value, str):
            try:
                return _text_number(value)
            except _NotANumberError as exc:
                raise self.error(
                    loc, str(exc) or f"expected {expected}; received {_describe(value)}"
                ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(loc, f"expected a finite number; received {value!r}")
        return value

    def integer(self, value: Any, loc: _Loc) -> int:
        x = self.number(value, loc, "a whole number")
        if isinstance(x, float):
            if not x.is_integer():
                raise self.error(loc, f"expected a whole number; received {_describe(value)}")
            return int(x)
        return x

    def items_of(self, value: Any, loc: _Loc, seps: str) -> list[Any]:
        if not isinstance(value, str):
            return [value]
        parts = re.split(f"[{seps}]", value)
        out = [p.strip() for p in parts if p.strip()]
        if not out:
            raise self.error(
                loc, f"expected a list separated by {' or '.join(seps)}; received {value!r}"
            )
        return out

    def field(self, f: _Field, value: Any, loc: _Loc) -> Any:
        """Parse a non-scalar field's cell (not blank)."""
        kind = f.kind
        if kind == "text":
            if isinstance(value, str):
                return value
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            if isinstance(value, float):
                return str(int(value)) if value.is_integer() else repr(value)
            raise self.error(loc, f"expected text; received {_describe(value)}")
        if kind == "choice":
            if not isinstance(value, str):
                raise self.error(
                    loc, f"expected one of the list's values; received {_describe(value)}"
                )
            return value.strip().lower() if f.choices != "actors" else value.strip()
        if kind == "bool":
            if isinstance(value, bool):
                return value
            word = value.strip().lower() if isinstance(value, str) else None
            if word in ("ja", "true", "sand"):
                return True
            if word in ("nej", "false", "falsk"):
                return False
            raise self.error(loc, f"expected ja or nej; received {_describe(value)}")
        if kind == "int":
            return self.integer(value, loc)
        if kind == "float":
            return float(self.number(value, loc))
        if kind == "textlist":
            if not isinstance(value, str):
                raise self.error(
                    loc, f"expected names separated by commas; received {_describe(value)}"
                )
            return [p.strip() for p in self.items_of(value, loc, ",;")]
        if kind == "intlist":
            return [self.integer(v, loc) for v in self.items_of(value, loc, ";,")]
        assert kind == "floatlist"
        try:
            return [float(self.number(v, loc)) for v in self.items_of(value, loc, ";")]
        except CaseFileError as exc:
            raise self.error(
                loc, f"{exc.message} (separate the numbers with ';', e.g. 0,6; 0,4)"
            ) from None

    def scalar(self, cells: Mapping[str, tuple[Any, _Loc]], where: _Loc, key: str) -> Any:
        """Build a scalar from its cell group (TOML key -> (value, location)); None if empty."""
        filled = {k: v for k, v in cells.items() if not _is_blank(v[0])}
        if _TEXT in filled:
            self.note(key, filled[_TEXT][1])
        if "dist" in filled:
            self.note(key, filled["dist"][1])
        for k, (_, loc) in cells.items():
            self.note(f"{key}.{k}" if k != "value" else key, loc)
        uses = filled.pop("uses", None)
        dist = filled.pop("dist", None)
        text = filled.pop(_TEXT, None)
        if text is not None:
            return self.text_scalar(text, dist, uses, filled)
        if "value" in filled and dist is not None and _norm(dist[0]) != "fixed":
            raise self.error(
                filled["value"][1],
                f"a number in 'værdi' and the fordeling {dist[0]!r}; 'værdi' holds a fixed "
                "number (or the value of fordeling 'fixed'): clear one of them",
            )
        if "value" in filled and uses is None:
            value, loc = filled.pop("value")
            if filled:
                extra = next(iter(filled.values()))[1]
                raise self.error(
                    extra,
                    "a parameter without a fordeling; choose a fordeling or leave only 'værdi'",
                )
            x = self.number(value, loc, "a number or a distribution")
            return {"dist": "fixed", "value": x} if dist is not None else x
        if dist is None:
            if filled:
                first = next(iter(filled.values()))[1]
                if uses is not None:
                    raise self.error(
                        first,
                        "a value next to a catalog reference; give either the reference in "
                        "'katalog' or the value, not both",
                    )
                raise self.error(
                    first, "a parameter without a fordeling; choose a fordeling for it"
                )
            if uses is None:
                return None
            return {"uses": self.reference(uses[0], uses[1])}
        family = dist[0]
        if not isinstance(family, str):
            raise self.error(
                dist[1], f"expected a family from the list; received {_describe(family)}"
            )
        name = family.strip().lower()
        if name in _TEXT_KINDS:
            raise self.error(
                dist[1],
                f"a {name} is written as text: put the whole distribution in the column "
                f"'{_TEXT_HEADER}', e.g. {_TEXT_EXAMPLE}",
            )
        if name not in FAMILIES:
            close = difflib.get_close_matches(name, list(KINDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.error(
                dist[1],
                f"unknown fordeling {family!r}{hint}; choose one of {', '.join(KINDS)}",
            )
        out: dict[str, Any] = {}
        if uses is not None:
            out["uses"] = self.reference(uses[0], uses[1])
        out["dist"] = name
        for k, (value, loc) in filled.items():
            if k == "values":
                out[k] = [float(self.number(v, loc)) for v in self.items_of(value, loc, ";")]
            else:
                out[k] = self.number(value, loc)
        return out

    def text_scalar(
        self,
        text: tuple[Any, _Loc],
        dist: tuple[Any, _Loc] | None,
        uses: tuple[Any, _Loc] | None,
        others: Mapping[str, tuple[Any, _Loc]],
    ) -> dict[str, Any]:
        """Read a distribution written as an inline TOML table in 'fordeling som tekst'."""
        if others:
            k, (_, loc) = next(iter(others.items()))
            raise self.error(
                loc,
                f"a distribution in '{_TEXT_HEADER}' and a value in '{_label(k)}'; give the "
                "distribution either as text or in the columns: clear one of them",
            )
        table = self.inline_table(text[0], text[1])
        if dist is not None:
            name = dist[0].strip().lower() if isinstance(dist[0], str) else dist[0]
            if "dist" not in table:
                table = {"dist": name, **table}
            elif table["dist"] != name:
                raise self.error(
                    dist[1],
                    f"fordeling {dist[0]!r} but the text in '{_TEXT_HEADER}' says dist = "
                    f"{table['dist']!r}; clear 'fordeling' or make them agree",
                )
        if uses is not None:
            return {"uses": self.reference(uses[0], uses[1]), **table}
        return table

    def inline_table(self, value: Any, loc: _Loc) -> dict[str, Any]:
        """Parse an inline TOML table ``{ dist = "…", … }`` (the braces may be left out)."""
        if not isinstance(value, str):
            raise self.error(
                loc,
                f"expected a distribution as text, e.g. {_TEXT_EXAMPLE}; received "
                f"{_describe(value)}",
            )
        body = " ".join(value.strip().splitlines())
        if not body.startswith("{"):
            body = "{ " + body + " }"
        try:
            table = tomllib.loads(f"x = {body}")["x"]
        except tomllib.TOMLDecodeError as exc:
            detail = str(exc).split(" (at ", 1)[0]
            raise self.error(
                loc,
                f"expected a distribution as an inline TOML table, e.g. {_TEXT_EXAMPLE} "
                f"(decimal point, not comma); received {value!r} ({detail})",
            ) from None
        assert isinstance(table, dict)
        return table

    def reference(self, value: Any, loc: _Loc) -> str:
        if not isinstance(value, str):
            raise self.error(
                loc,
                f"expected a catalog reference such as 'catalog:hjemloeshed/herberg'; "
                f"received {_describe(value)}",
            )
        text = value.strip()
        return text if text.startswith(_CATALOG_PREFIX) else _CATALOG_PREFIX + text

    # -- sheets ---------------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        try:
            wb = load_workbook(self.path, data_only=False)
            cached = load_workbook(self.path, data_only=True)
        except FileNotFoundError:
            raise CaseFileError("file not found; check the path", file=self.file) from None
        except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            detail = f" ({exc})" if str(exc) else ""
            raise CaseFileError(
                f"cannot read the workbook{detail}; save it as an Excel workbook (.xlsx)",
                file=self.file,
            ) from None
        by_name = {_norm(ws.title): ws for ws in wb.worksheets}

        def sheet(key: str, *, fill_down: bool = False) -> _Sheet | None:
            ws = by_name.get(key)
            if ws is None:
                return None
            return _Sheet(self, ws, cached[ws.title], fill_down=fill_down)

        indsats = sheet("indsats")
        if indsats is None:
            raise CaseFileError(
                f"no sheet 'Indsats' (sheets: {', '.join(wb.sheetnames)}); start from the "
                "template (som-mc template NY.xlsx)",
                file=self.file,
            )
        data = self.key_value(indsats, _INDSATS, "")
        for sec in _SECTIONS:
            ws = sheet(_norm(sec.sheet), fill_down=sec.fill_down)
            if ws is not None:
                value = getattr(self, sec.method)(ws)
                if value:
                    data[sec.key] = value
        return data

    def outcome(self, sh: _Sheet) -> dict[str, Any]:
        return self.key_value(sh, _UDFALD, "outcome.")

    def group_known(self, head: str) -> bool:
        return head == _DIST_HEADER or _param_key(head) is not None

    def group_cells(
        self, sh: _Sheet, row: int, columns: Mapping[str, int], what: str, *, catalog: bool
    ) -> dict[str, tuple[Any, _Loc]]:
        cells: dict[str, tuple[Any, _Loc]] = {}
        for head, col in columns.items():
            if head == _DIST_HEADER:
                k = "dist"
            elif head == "katalog" and catalog:
                k = "uses"
            elif _param_key(head) is not None:
                k = _param_key(head)  # type: ignore[assignment]
            else:
                continue
            label = (
                head if k in ("dist", "uses", _TEXT) or _PARAMS.get(k, k) == k else f"{head} = {k}"
            )
            cells[k] = (
                sh.value(row, col),
                sh.loc(row, col, f"{what}, {label}" if k != "value" else what),
            )
        return cells

    def key_value(self, sh: _Sheet, fields: Sequence[_Field], prefix: str) -> dict[str, Any]:
        by_key = {prefix + f.key: f for f in fields}
        by_label = {_norm(f.header): f for f in fields}
        self._known_headers = ["felt", "nøgle", "værdi", _DIST_HEADER, *_PARAMS.values(), "katalog"]

        def known(head: str) -> bool:
            return head in (
                "felt",
                "nøgle",
                "katalog",
                "forklaring",
                "eksempel",
            ) or self.group_known(head)

        header_row, columns = sh.find_header("nøgle", known)
        for col in ("forklaring", "eksempel"):
            if col in columns:
                sh.free_columns = {*sh.free_columns, columns.pop(col)}
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for row in range(header_row + 1, sh.max_row + 1):
            if sh.is_empty(row) or sh.is_comment(row):
                continue
            key_cell = sh.value(row, columns["nøgle"])
            label_cell = sh.value(row, columns["felt"]) if "felt" in columns else None
            f: _Field | None = None
            if isinstance(key_cell, str):
                f = by_key.get(key_cell.strip())
                if f is None:
                    close = difflib.get_close_matches(key_cell.strip(), list(by_key), n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise self.error(
                        sh.loc(row, columns["nøgle"], ""),
                        f"unknown key {key_cell!r}{hint}; keys on this sheet: {', '.join(by_key)}",
                    )
            elif key_cell is None and label_cell is not None:
                f = by_label.get(_norm(label_cell))
            if f is None:
                raise self.error(
                    sh.loc(row, columns["nøgle"], ""),
                    f"a row without a known key; received {_describe(key_cell)}; write one of "
                    f"{', '.join(by_key)} in column 'nøgle'",
                )
            if f.key in seen:
                raise self.error(
                    sh.loc(row, columns["nøgle"], f.header),
                    f"key {prefix + f.key!r} appears twice (also row {seen[f.key]})",
                )
            seen[f.key] = row
            sh.stray(row, columns, f.header)
            key = prefix + f.key
            if f.kind == "scalar":
                cells = self.group_cells(sh, row, columns, f.header, catalog=f.catalog)
                value = self.scalar(cells, sh.loc(row, columns.get("værdi", 1), f.header), key)
                if (
                    "katalog" in columns
                    and not f.catalog
                    and not _is_blank(sh.value(row, columns["katalog"]))
                ):
                    raise self.error(
                        sh.loc(row, columns["katalog"], f.header),
                        "this value cannot come from the catalog; leave 'katalog' empty",
                    )
            else:
                vcol = columns.get("værdi")
                if vcol is None:
                    raise self.error(_Loc(sh.title, ""), "no column 'værdi'")
                loc = sh.loc(row, vcol, f.header)
                self.note(key, loc)
                for head, c in columns.items():
                    if head not in ("felt", "nøgle", "værdi") and not _is_blank(sh.value(row, c)):
                        raise self.error(
                            sh.loc(row, c, f.header),
                            f"{f.header} is a single value; write it in column 'værdi' "
                            f"(received {_describe(sh.value(row, c))} in column {head!r})",
                        )
                raw = sh.value(row, vcol)
                value = None if raw is None else self.field(f, raw, loc)
            if value is not None:
                out[f.key] = value
        return {f.key: out[f.key] for f in fields if f.key in out}

    def participants(self, sh: _Sheet) -> dict[str, Any]:
        self._known_headers = [_COHORT_HEADER, "værdi", _DIST_HEADER, *_PARAMS.values()]

        def known(head: str) -> bool:
            return head == _norm(_COHORT_HEADER) or self.group_known(head)

        header_row, columns = sh.find_header(_norm(_COHORT_HEADER), known)
        out: dict[str, Any] = {}
        course_label = _norm(_COURSE.header)
        for row in range(1, header_row):
            values = sh.row_values(row)
            for col, v in enumerate(values, start=1):
                if _norm(v) in (course_label, "course_years"):
                    loc = sh.loc(row, col + 1, _COURSE.header)
                    self.note("participants.course_years", loc)
                    raw = sh.value(row, col + 1)
                    if raw is not None:
                        out["course_years"] = self.field(_COURSE, raw, loc)
                    break
        self.note("participants", _Loc(sh.title, "deltagere"))
        per_year: list[Any] = []
        cohort_col = columns[_norm(_COHORT_HEADER)]
        for row in range(header_row + 1, sh.max_row + 1):
            if sh.is_empty(row) or sh.is_comment(row):
                continue
            c = len(per_year)
            what = f"optag {c}"
            sh.stray(row, columns, what)
            given = sh.value(row, cohort_col)
            if given is not None:
                loc = sh.loc(row, cohort_col, what)
                if self.integer(given, loc) != c:
                    raise self.error(
                        loc,
                        f"expected optag {c} here; received {_describe(given)} (one row per "
                        "intake year 0, 1, 2, … in order, without gaps)",
                    )
            cells = self.group_cells(sh, row, columns, what, catalog=False)
            key = f"participants.per_year[{c}]"
            if c == 0:
                self.note(
                    "participants.per_year",
                    cells["value"][1] if "value" in cells else sh.loc(row, cohort_col, what),
                )
            value = self.scalar(cells, sh.loc(row, cohort_col, what), key)
            if value is None:
                raise self.error(
                    sh.loc(row, columns.get("værdi", cohort_col), what),
                    "expected a number of deltagere or a distribution; the row is empty",
                )
            per_year.append(value)
        if per_year:
            out = {"per_year": per_year, **out}
        return out

    def costs(self, sh: _Sheet) -> list[dict[str, Any]]:
        fields = [f for f in _COSTS if f.kind != "scalar"]
        by_head = {_norm(f.header): f for f in fields}
        self._known_headers = [*by_head, "værdi", _DIST_HEADER, *_PARAMS.values()]

        def known(head: str) -> bool:
            return head in by_head or self.group_known(head)

        header_row, columns = sh.find_header("navn", known)
        out: list[dict[str, Any]] = []
        for row in range(header_row + 1, sh.max_row + 1):
            if sh.is_empty(row) or sh.is_comment(row):
                continue
            i = len(out)
            key = f"costs[{i}]"
            name = sh.value(row, columns["navn"])
            uses = sh.value(row, columns["katalog"]) if "katalog" in columns else None
            ident = name if name is not None else uses
            what = f"omkostning {ident!r}" if ident is not None else f"omkostning i række {row}"
            sh.stray(row, columns, what)
            self.note(key, sh.loc(row, columns["navn"], what))
            item: dict[str, Any] = {}
            for head, col in columns.items():
                f = by_head.get(head)
                if f is None:
                    continue
                loc = sh.loc(row, col, f"{what}, {f.header}")
                self.note(f"{key}.{f.key}", loc)
                raw = sh.value(row, col)
                if raw is None:
                    continue
                item[f.key] = (
                    self.reference(raw, loc) if f.key == "uses" else self.field(f, raw, loc)
                )
            cells = self.group_cells(sh, row, columns, f"{what}, beløb", catalog=False)
            amount = self.scalar(
                cells, sh.loc(row, columns.get("værdi", 1), f"{what}, beløb"), f"{key}.amount"
            )
            if amount is not None:
                item["amount"] = amount
            order = ["uses", *[f.key for f in _COSTS if f.key != "uses"]]
            out.append({k: item[k] for k in order if k in item})
        return out

    def consequences(self, sh: _Sheet) -> list[dict[str, Any]]:
        meta = {_norm(f.header): f for f in _CONS_META}
        self._known_headers = [*meta, _PARAMETER_HEADER, _SCALE_HEADER, "år 0", "pris kommune"]

        def known(head: str) -> bool:
            return (
                head in meta
                or head in (_PARAMETER_HEADER, _SCALE_HEADER)
                or bool(_YEAR_RE.fullmatch(head) or _PRICE_RE.fullmatch(head))
            )

        header_row, columns = sh.find_header(_PARAMETER_HEADER, known)
        value_cols: dict[str, int] = {}  # "scale" | "profile[t]" | "price.<actor>" -> column
        names: dict[str, str] = {}  # the same -> Danish header
        for head, col in columns.items():
            if head == _SCALE_HEADER:
                value_cols["scale"], names["scale"] = col, _SCALE_HEADER
            elif m := _YEAR_RE.fullmatch(head):
                value_cols[f"profile[{int(m.group(1))}]"], names[f"profile[{int(m.group(1))}]"] = (
                    col,
                    head,
                )
            elif m := _PRICE_RE.fullmatch(head):
                actor = sh.value(header_row, col).strip()[len("pris") :].strip()
                actor = re.sub(r"\s*\([^)]*\)\s*$", "", actor)
                value_cols[f"price.{actor}"], names[f"price.{actor}"] = col, f"pris {actor}"
        param_col = columns[_PARAMETER_HEADER]
        meta_cols = {meta[h].key: c for h, c in columns.items() if h in meta}
        # Split into blocks: a block starts at a row whose 'parameter' is blank or 'værdi'.
        blocks: list[tuple[int, list[tuple[int, str]]]] = []
        comment = False
        for row in range(header_row + 1, sh.max_row + 1):
            if sh.is_empty(row):
                continue
            raw_param = sh.value(row, param_col)
            label = _norm(raw_param)
            if label in ("", _PARAMS["value"], "value"):
                comment = sh.is_comment(row)
                if not comment:
                    blocks.append((row, []))
                continue
            if comment or sh.is_comment(row):
                continue
            if label != _DIST_HEADER and _param_key(label) is None:
                raise self.error(
                    sh.loc(row, param_col, ""),
                    f"unknown parameter {raw_param!r}"
                    f"{_hint(label, [_DIST_HEADER, *_PARAMS.values(), _TEXT_HEADER])}; "
                    "write værdi, fordeling or a parameter (lav, typisk, høj, middel, sd, …)",
                )
            if not blocks:
                raise self.error(
                    sh.loc(row, param_col, ""),
                    f"a '{raw_param}' row before any konsekvens; a konsekvens starts with a "
                    "row whose parameter is 'værdi'",
                )
            param_key = "dist" if label == _DIST_HEADER else _param_key(label)
            assert param_key is not None
            blocks[-1][1].append((row, param_key))
        out: list[dict[str, Any]] = []
        for i, (first, rows) in enumerate(blocks):
            out.append(
                self.consequence(sh, i, first, rows, meta_cols, value_cols, names, param_col)
            )
        return out

    def consequence(
        self,
        sh: _Sheet,
        i: int,
        first: int,
        rows: list[tuple[int, str]],
        meta_cols: Mapping[str, int],
        value_cols: Mapping[str, int],
        names: Mapping[str, str],
        param_col: int,
    ) -> dict[str, Any]:
        key = f"consequences[{i}]"
        name = sh.value(first, meta_cols["name"]) if "name" in meta_cols else None
        uses = sh.value(first, meta_cols["uses"]) if "uses" in meta_cols else None
        ident = name if name is not None else uses
        what = f"konsekvens {ident!r}" if ident is not None else f"konsekvens i række {first}"
        used = {*meta_cols.values(), *value_cols.values(), param_col}
        sh.stray(first, {str(c): c for c in used}, what)
        self.note(key, sh.loc(first, meta_cols.get("name", param_col), what))
        item: dict[str, Any] = {}
        fields = {f.key: f for f in _CONS_META}
        for k, col in meta_cols.items():
            f = fields[k]
            loc = sh.loc(first, col, f"{what}, {f.header}")
            self.note(f"{key}.{k}", loc)
            raw = sh.value(first, col)
            if raw is not None:
                item[k] = (
                    self.reference(raw, loc) if k in ("uses", "price") else self.field(f, raw, loc)
                )
        seen: dict[str, int] = {}
        for row, param in rows:
            if param in seen:
                raise self.error(
                    sh.loc(row, param_col, what),
                    f"parameter row {sh.value(row, param_col)!r} appears twice in this "
                    f"konsekvens (also row {seen[param]})",
                )
            seen[param] = row
            for k, col in meta_cols.items():
                if not _is_blank(sh.value(row, col)):
                    raise self.error(
                        sh.loc(row, col, what),
                        f"{fields[k].header} belongs in the konsekvens' first row (parameter "
                        "'værdi'); a row named in 'parameter' holds only distribution "
                        "parameters",
                    )
            sh.stray(row, {str(c): c for c in used}, what)
        groups: dict[str, Any] = {}
        for vkey, col in value_cols.items():
            label = names[vkey]
            cells: dict[str, tuple[Any, _Loc]] = {
                "value": (sh.value(first, col), sh.loc(first, col, f"{what}, {label}"))
            }
            for row, param in rows:
                plabel = _label(param)
                if plabel != param and param not in ("dist", _TEXT):
                    plabel = f"{plabel} = {param}"
                cells[param] = (sh.value(row, col), sh.loc(row, col, f"{what}, {label}, {plabel}"))
            value = self.scalar(cells, cells["value"][1], f"{key}.{vkey}")
            if value is not None:
                groups[vkey] = value
        years = sorted(
            (int(k[len("profile[") : -1]), k) for k in value_cols if k.startswith("profile[")
        )
        given = [t for t, k in years if k in groups]
        if given:
            self.note(f"{key}.profile", sh.loc(first, value_cols[years[0][1]], f"{what}, profil"))
            missing = [t for t in range(max(given) + 1) if f"profile[{t}]" not in groups]
            if missing:
                t = missing[0]
                pcol = value_cols.get(f"profile[{t}]")
                loc = (
                    sh.loc(first, pcol, f"{what}, år {t}")
                    if pcol
                    else sh.loc(first, param_col, what)
                )
                raise self.error(
                    loc,
                    f"the profile has a gap at år {t}; fill every year from år 0 on (0 for no "
                    "change)",
                )
            item["profile"] = [groups[f"profile[{t}]"] for t in range(max(given) + 1)]
        if "scale" in groups:
            item["scale"] = groups["scale"]
        prices = {k[len("price.") :]: v for k, v in groups.items() if k.startswith("price.")}
        price_cols = [c for k, c in value_cols.items() if k.startswith("price.")]
        if price_cols:
            if "price" not in item:  # no priskatalog reference: point at the prices
                self.locations[f"{key}.price"] = sh.loc(first, min(price_cols), f"{what}, priser")
        if prices:
            if "price" in item:
                raise self.error(
                    sh.loc(first, meta_cols["price"], f"{what}, priskatalog"),
                    "a priskatalog reference and prices per aktør; give one of them",
                )
            item["price"] = prices
        order = [
            "uses",
            "name",
            "label",
            "unit",
            "profile",
            "scale",
            "applies_to",
            "price",
            "source",
        ]
        return {k: item[k] for k in order if k in item}

    def correlations(self, sh: _Sheet) -> list[dict[str, Any]]:
        by_head = {_norm(f.header): f for f in _CORR}
        self._known_headers = list(by_head)
        header_row, columns = sh.find_header("input 1", lambda h: h in by_head)
        out: list[dict[str, Any]] = []
        for row in range(header_row + 1, sh.max_row + 1):
            if sh.is_empty(row) or sh.is_comment(row):
                continue
            i = len(out)
            key = f"correlations[{i}]"
            what = f"korrelation {i + 1}"
            sh.stray(row, columns, what)
            self.note(key, sh.loc(row, columns.get("input 1", 1), what))
            inputs: list[Any] = []
            item: dict[str, Any] = {}
            for j, head in enumerate(("input 1", "input 2")):
                col = columns.get(head)
                if col is None:
                    raise self.error(_Loc(sh.title, ""), f"no column {head!r}")
                loc = sh.loc(row, col, f"{what}, {head}")
                self.note(f"{key}.inputs[{j}]", loc)
                raw = sh.value(row, col)
                if raw is not None:
                    inputs.append(self.field(_CORR[j], raw, loc).strip())
            self.note(f"{key}.inputs", sh.loc(row, columns["input 1"], what))
            if inputs:
                item["inputs"] = inputs
            col = columns.get("rangkorrelation")
            if col is not None:
                loc = sh.loc(row, col, f"{what}, rangkorrelation")
                self.note(f"{key}.rank", loc)
                raw = sh.value(row, col)
                if raw is not None:
                    item["rank"] = self.field(_CORR[2], raw, loc)
            out.append(item)
        return out

    def scenarios(self, sh: _Sheet) -> list[dict[str, Any]]:
        fields = {_norm(f.header): f for f in _SCEN_FIELDS}
        self._known_headers = [*fields, "værdi", _DIST_HEADER, *_PARAMS.values(), _TEXT_HEADER]

        def known(head: str) -> bool:
            return head in fields or self.group_known(head)

        header_row, columns = sh.find_header("scenarie", known)
        group_cols = {h: c for h, c in columns.items() if h not in fields}
        out: list[dict[str, Any]] = []
        seen: dict[tuple[int, str, str], int] = {}
        for row in range(header_row + 1, sh.max_row + 1):
            if sh.is_empty(row) or sh.is_comment(row):
                continue
            cell: dict[str, tuple[Any, _Loc]] = {}
            raw_name = sh.value(row, columns["scenarie"])
            name = (
                None
                if raw_name is None
                else self.field(_SCEN_NAME, raw_name, sh.loc(row, columns["scenarie"], "scenarie"))
            )
            if name is None and not out:
                raise self.error(
                    sh.loc(row, columns["scenarie"], "scenarie"),
                    "a row without a scenario name; write the scenario's name in 'scenarie'",
                )
            if name is not None and (not out or out[-1]["name"] != name):
                i = len(out)
                out.append({"name": name})
                self.note(f"scenarios[{i}]", sh.loc(row, columns["scenarie"], f"scenarie {name!r}"))
                self.note(
                    f"scenarios[{i}].name", sh.loc(row, columns["scenarie"], f"scenarie {name!r}")
                )
            i = len(out) - 1
            item = out[i]
            what = f"scenarie {item['name']!r}"
            key = f"scenarios[{i}]"
            sh.stray(row, columns, what)
            for head, f in fields.items():
                col = columns.get(head)
                if col is not None:
                    cell[f.key] = (sh.value(row, col), sh.loc(row, col, f"{what}, {f.header}"))
            desc = cell.get("description", (None, None))
            if desc[0] is not None:
                assert desc[1] is not None
                text = self.field(_SCEN_DESC, desc[0], desc[1])
                if "description" in item and item["description"] != text:
                    raise self.error(
                        desc[1],
                        f"a second beskrivelse for {what}; received {text!r}, already "
                        f"{item['description']!r} (write it once, in the scenario's first row)",
                    )
                item["description"] = text
                self.note(f"{key}.description", desc[1])
            kind_raw, kind_loc = cell.get("kind", (None, sh.loc(row, 1, what)))
            input_raw, input_loc = cell.get("input", (None, sh.loc(row, 1, what)))
            given = {
                k: v
                for k, v in cell.items()
                if k in ("factor", "below", "above") and v[0] is not None
            }
            group = self.group_cells(sh, row, group_cols, what, catalog=False)
            group_given = [v for v in group.values() if not _is_blank(v[0])]
            if kind_raw is None:
                if input_raw is not None or given or group_given:
                    loc = (
                        input_loc
                        if input_raw is not None
                        else (next(iter(given.values()))[1] if given else group_given[0][1])
                    )
                    raise self.error(
                        kind_loc if "kind" in cell else loc,
                        f"a change without 'ændring'; choose {', '.join(_SCEN_KINDS)}",
                    )
                continue
            word = _SCEN_KIND_WORDS.get(_norm(kind_raw)) if isinstance(kind_raw, str) else None
            if word is None:
                raise self.error(
                    kind_loc,
                    f"expected one of {', '.join(_SCEN_KINDS)}; received {_describe(kind_raw)}"
                    f"{_hint(_norm(kind_raw), list(_SCEN_KIND_WORDS))}",
                )
            if input_raw is None:
                raise self.error(
                    input_loc, f"expected an input name (e.g. success_rate) for the {word}"
                )
            input_name = self.field(_SCEN_INPUT, input_raw, input_loc)
            part = _SCEN_KINDS[word]
            where = f"{key}.{part}.{input_name}"
            what_in = f"{what}, {word} {input_name}"
            if (i, part, input_name) in seen:
                raise self.error(
                    input_loc,
                    f"{word} of {input_name!r} appears twice in {what} (also row "
                    f"{seen[(i, part, input_name)]})",
                )
            seen[(i, part, input_name)] = row
            allowed = {"override": (), "skalering": ("factor",), "stress": ("below", "above")}[word]
            for k, (_, loc) in given.items():
                if k not in allowed:
                    raise self.error(
                        loc,
                        f"'{loc.what.rsplit(', ', 1)[-1]}' does not apply to ændring {word!r}; "
                        + {
                            "override": "write the new value in 'værdi' or a fordeling",
                            "skalering": "write the factor in 'faktor'",
                            "stress": "write the tail in 'under' and/or 'over'",
                        }[word],
                    )
            if word != "override" and group_given:
                raise self.error(
                    group_given[0][1],
                    f"a value or distribution does not apply to ændring {word!r}; "
                    + (
                        "write the factor in 'faktor'"
                        if word == "skalering"
                        else "write the tail in 'under' and/or 'over'"
                    ),
                )
            table = item.setdefault(part, {})
            if word == "override":
                self.note(where, _Loc(input_loc.ref, what_in))
                for k, (v, loc) in group.items():
                    group[k] = (v, _Loc(loc.ref, f"{what_in}{loc.what[len(what) :]}"))
                value = self.scalar(group, input_loc, where)
                if value is None:
                    raise self.error(
                        input_loc,
                        f"an override of {input_name!r} without a value; write a number in "
                        "'værdi' or a fordeling",
                    )
                table[input_name] = value
            elif word == "skalering":
                fcol = columns.get("faktor")
                loc = sh.loc(row, fcol, f"{what_in}, faktor") if fcol else input_loc
                self.note(where, loc)
                if "factor" not in given:
                    raise self.error(loc, f"a skalering of {input_name!r} without a 'faktor'")
                table[input_name] = float(self.number(given["factor"][0], loc))
            else:
                self.note(where, _Loc(input_loc.ref, what_in))
                tail: dict[str, float] = {}
                for k, head in (("below", "under"), ("above", "over")):
                    col = columns.get(head)
                    if col is None:
                        continue
                    loc = sh.loc(row, col, f"{what_in}, {head}")
                    self.note(f"{where}.{k}", loc)
                    if k in given:
                        tail[k] = float(self.number(given[k][0], loc))
                table[input_name] = tail
        return [
            {k: item[k] for k in ("name", "description", *_SCEN_KINDS.values()) if k in item}
            for item in out
        ]

    def evidence(self, sh: _Sheet) -> dict[str, Any]:
        fields = {_norm(f.header): f for f in _EV_FIELDS}
        self._known_headers = list(fields)
        header_row, columns = sh.find_header("observation", lambda h: h in fields)
        out: dict[str, Any] = {}
        self.note("evidence", _Loc(sh.title, "evidens"))
        source_label = _norm(_EV_SOURCE.header)
        for row in range(1, header_row):
            for col, v in enumerate(sh.row_values(row), start=1):
                if _norm(v) in (source_label, "kilde", "source"):
                    loc = sh.loc(row, col + 1, _EV_SOURCE.header)
                    self.note("evidence.source", loc)
                    raw = sh.value(row, col + 1)
                    if raw is not None:
                        out["source"] = self.field(_EV_SOURCE, raw, loc)
                    break
        col_of = {fields[h].key: c for h, c in columns.items()}
        rate_rows: list[dict[str, Any]] = []
        participants: list[int] = []
        costs: dict[str, Any] = {}
        cost_rows: dict[str, int] = {}
        for row in range(header_row + 1, sh.max_row + 1):
            if sh.is_empty(row) or sh.is_comment(row):
                continue
            sh.stray(row, columns, "evidens")
            kcol = col_of["kind"]
            raw_kind = sh.value(row, kcol)
            kind = _norm(raw_kind) if isinstance(raw_kind, str) else None
            if kind not in _EV_KINDS:
                raise self.error(
                    sh.loc(row, kcol, "observation"),
                    f"expected one of {', '.join(_EV_KINDS)}; received {_describe(raw_kind)}"
                    f"{_hint(kind or '', list(_EV_KINDS))}",
                )
            what = f"evidens, {kind}"
            cells: dict[str, tuple[Any, _Loc]] = {}
            for f in _EV_FIELDS[1:]:
                fcol = col_of.get(f.key)
                if fcol is None:
                    continue
                loc = sh.loc(row, fcol, f"{what}, {f.header}")
                raw = sh.value(row, fcol)
                if raw is None:
                    cells[f.key] = (None, loc)
                    continue
                if f.key not in _EV_USES[kind]:
                    raise self.error(
                        loc,
                        f"'{f.header}' does not apply to an observation of {kind}; it uses "
                        + ", ".join(repr(g.header) for g in _EV_FIELDS if g.key in _EV_USES[kind]),
                    )
                cells[f.key] = (self.field(f, raw, loc), loc)
            if kind == "succesrate":
                rate_rows.append({k: v for k, v in cells.items() if k in _EV_USES[kind]})
            elif kind == "deltagere":
                c = len(participants)
                value, loc = cells.get("participants", (None, sh.loc(row, kcol, what)))
                cohort, cloc = cells.get("cohort", (None, loc))
                if cohort is not None and cohort != c:
                    raise self.error(
                        cloc,
                        f"expected optag {c} here; received {cohort} (one row per intake year "
                        "0, 1, 2, … in order, without gaps)",
                    )
                if value is None:
                    raise self.error(loc, "expected the realised intake (antal); the cell is empty")
                key = f"evidence.participants[{c}]"
                self.note("evidence.participants", loc)
                self.note(key, loc)
                participants.append(value)
            else:
                line, lloc = cells.get("line", (None, sh.loc(row, kcol, what)))
                amount, aloc = cells.get("amount", (None, lloc))
                year, yloc = cells.get("year", (None, lloc))
                if line is None:
                    raise self.error(lloc, "expected the cost line's name (omkostning)")
                line = str(line).strip()
                key = f"evidence.costs.{line}"
                self.note(key, lloc)
                if amount is None:
                    raise self.error(aloc, f"expected the realised amount of {line!r} (beløb)")
                if year is None:
                    if line in costs:
                        raise self.error(
                            lloc, f"cost line {line!r} appears twice (also row {cost_rows[line]})"
                        )
                    costs[line] = amount
                else:
                    have = costs.setdefault(line, [])
                    if not isinstance(have, list):
                        raise self.error(
                            yloc,
                            f"cost line {line!r} has one amount (row {cost_rows[line]}, 'år nr.' "
                            "empty) and amounts per year; give one of them",
                        )
                    if year != len(have) + 1:
                        raise self.error(
                            yloc,
                            f"expected år nr. {len(have) + 1} here; received {year} (the line's "
                            "first, second, … betalingsår in order, without gaps)",
                        )
                    self.note(f"{key}[{len(have)}]", aloc)
                    have.append(amount)
                cost_rows.setdefault(line, row)
        if rate_rows:
            out["success_rate"] = self.evidence_rate(sh, rate_rows)
        if participants:
            out["participants"] = participants
        if costs:
            out["costs"] = costs
        order = ("success_rate", "participants", "costs", "source")
        return {k: out[k] for k in order if k in out}

    def evidence_rate(self, sh: _Sheet, rows: list[dict[str, Any]]) -> dict[str, Any]:
        first = rows[0]
        pooled = first.get("cohort", (None,))[0] is None
        rate: dict[str, Any] = {}
        any_loc = next(iter(first.values()))[1] if first else _Loc(sh.title, "succesrate")
        self.note("evidence.success_rate", any_loc)
        for k in ("successes", "trials"):
            if k in first:
                self.note(f"evidence.success_rate.{k}", first[k][1])
        if "source" in first:
            self.note("evidence.success_rate.source", first["source"][1])
        if pooled and len(rows) > 1:
            loc = rows[1].get("successes", (None, any_loc))[1]
            raise self.error(
                loc,
                "a second succesrate row; give one row for all cohorts together ('optag' "
                "empty) or one row per optag 0, 1, … ('optag' filled)",
            )
        sources = [r["source"] for r in rows if r.get("source", (None,))[0] is not None]
        for value, loc in sources:
            if rate.setdefault("source", value) != value:
                raise self.error(loc, "a second, different kilde for the succesrate; write it once")
        if pooled:
            for k in ("successes", "trials"):
                if first.get(k, (None,))[0] is not None:
                    rate[k] = first[k][0]
        else:
            for c, r in enumerate(rows):
                cohort, cloc = r.get("cohort", (None, any_loc))
                if cohort != c:
                    raise self.error(
                        cloc,
                        f"expected optag {c} here; received {_describe(cohort)} (one row per "
                        "optag 0, 1, … in order, or a single row with 'optag' empty)",
                    )
                for k in ("successes", "trials"):
                    value, loc = r.get(k, (None, cloc))
                    self.note(f"evidence.success_rate.{k}[{c}]", loc)
                    if value is None:
                        raise self.error(
                            loc,
                            f"expected the number of {'succeser' if k == 'successes' else 'forsøg'}"
                            f" for optag {c}; the cell is empty",
                        )
                    rate.setdefault(k, []).append(value)
        return {k: rate[k] for k in ("successes", "trials", "source") if k in rate}


def _hint(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, _Loc]]:
    reader = _Reader(Path(path))
    data = reader.read()
    return data, reader.locations


def read_workbook(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a case workbook into the raw case mapping (as :mod:`tomllib` reads a TOML case).

    Nothing is validated beyond each cell's type: pass the result to
    :func:`som_mc.case.parse_case`, or use :func:`load_case_file`, whose validation errors
    name the workbook's sheet and cell.

    Parameters
    ----------
    path : str or PathLike
        The ``.xlsx`` file, e.g. written by :func:`write_workbook` and filled in with Excel,
        LibreOffice or Google Sheets.

    Returns
    -------
    dict
        The case mapping; blank cells are absent keys (defaults, or catalog values), catalog
        references are kept as references.

    Raises
    ------
    CaseFileError
        On the first cell that cannot be read, with ``key`` naming sheet, cell and value,
        e.g. ``Konsekvenser!F7 (konsekvens 'kontanthjaelp', pris kommune)``.
    """
    return _read(path)[0]


def _locate(key: str, locations: Mapping[str, _Loc]) -> str:
    """Translate a case key path into the workbook cell it came from (longest prefix)."""
    probe = key
    while probe:
        loc = locations.get(probe)
        if loc is not None:
            return loc.key if probe == key else f"{loc.ref} ({loc.what}; {key})"
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    section = key.split(".", 1)[0].split("[", 1)[0]
    sheet = _SECTION_SHEET.get(section, _SHEETS["indsats"])
    return f"{sheet} ({key})"


def load_case_file(
    path: str | os.PathLike[str],
    catalog: Catalog | str | Path | None = None,
    *,
    strict: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Case:
    """Load and validate a case from a TOML case file or a case workbook.

    Parameters
    ----------
    path : str or PathLike
        A ``.toml`` case file (:func:`som_mc.case.load_case`) or an ``.xlsx`` workbook
        (:func:`read_workbook`, then the same validation as a TOML file).
    catalog : Catalog, str or Path, optional
        The distribution catalog for ``catalog:`` references (see
        :func:`som_mc.case.parse_case`).
    strict : bool
        Treat warnings as errors (:mod:`som_mc.case.lint`; ``--strict``).
    warn : callable, optional
        Receives each warning line (default: one line on stderr).

    Returns
    -------
    Case
        The validated case.

    Raises
    ------
    CaseFileError
        If the file cannot be read or the case is invalid (with `strict`, also for the
        first warning). For a workbook the key names the
        sheet and cell, e.g. ``Omkostninger!K3 (omkostning 'opstart', beløb, lav = low)``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".toml":
        return load_case(p, catalog=catalog, strict=strict, warn=warn)
    if suffix != ".xlsx":
        raise CaseFileError(
            f"unknown file type {p.suffix or '(none)'!r}; expected a .toml case file or an "
            ".xlsx workbook",
            file=str(p),
        )
    data, locations = _read(p)
    try:
        case = parse_case(data, file=str(p), catalog=catalog)
    except CaseFileError as exc:
        if exc.file != str(p) or exc.key is None:
            raise
        raise CaseFileError(exc.message, file=exc.file, key=_locate(exc.key, locations)) from None
    messages = [  # the key path of each warning becomes its sheet and cell
        f"{_locate(key, locations)}: {rest}"
        for key, _, rest in (m.partition(": ") for m in case_warnings(case))
    ]
    report_warnings(messages, file=str(p), strict=strict, warn=warn)
    return case


def convert(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, overwrite: bool = False
) -> None:
    """Convert a case between TOML and Excel, either way.

    The case is carried value for value (catalog references stay references), so both
    files give the same :func:`~som_mc.case.case_hash`; TOML comments are not carried. The
    source is not validated (run :func:`load_case_file` for that).

    Parameters
    ----------
    src : str or PathLike
        A ``.toml`` case file or an ``.xlsx`` workbook.
    dst : str or PathLike
        The file to write, of the other type. Written atomically, never through a symbolic
        link.
    overwrite : bool, default False
        Replace `dst` if it exists.

    Raises
    ------
    CaseFileError
        If the suffixes are not ``.toml`` and ``.xlsx`` (one of each), `src` cannot be read,
        or `dst` exists and `overwrite` is false (or is a symbolic link).
    """
    s, d = Path(src), Path(dst)
    kinds = (s.suffix.lower(), d.suffix.lower())
    if kinds not in ((".toml", ".xlsx"), (".xlsx", ".toml")):
        raise CaseFileError(
            f"cannot convert {s.suffix or '(none)'} to {d.suffix or '(none)'}; convert a .toml "
            "case file to an .xlsx workbook or back",
            file=str(d),
        )
    _check_destination(d, overwrite)
    if kinds[0] == ".toml":
        data = _read_toml(s)
        wb = _Writer(data, str(s)).build()
        _atomic_write(d, lambda tmp: wb.save(tmp))
    else:
        text = tomli_w.dumps(read_workbook(s), multiline_strings=True)

        def write_toml(tmp: Path) -> None:
            tmp.write_text(text, encoding="utf-8")

        _atomic_write(d, write_toml)


def _read_toml(path: Path) -> dict[str, Any]:
    file = str(path)
    try:
        text = read_capped(path).decode("utf-8").removeprefix("\ufeff")
    except FileNotFoundError:
        raise CaseFileError("file not found; check the path", file=file) from None
    except OSError as exc:
        raise CaseFileError(f"cannot read the file ({exc.strerror})", file=file) from None
    except ValueError as exc:  # larger than the input cap (e.g. /dev/zero)
        raise CaseFileError(str(exc), file=file) from None
    except UnicodeDecodeError as exc:
        raise CaseFileError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=file
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseFileError(f"malformed TOML: {exc}", file=file) from None
    except RecursionError:
        raise CaseFileError("arrays or tables nested too deeply to read", file=file) from None


_GUIDE_TEXT: Final = """
# Vejledning: en investeringscase i Excel

Denne projektmappe beskriver én SØM-beregning (en investeringscase): en indsats for en
målgruppe med deltagere, succesrate, omkostninger og konsekvenser. som_mc læser den som en
casefil, med samme indhold som en TOML-casefil (se cases/README.md).

Alle som-mc-kommandoer læser den direkte (som-mc validate min_case.xlsx, som-mc run
min_case.xlsx); som-mc convert min_case.xlsx min_case.toml konverterer den til TOML og tilbage.
En ny, tom skabelon: som-mc template ny.xlsx.

## Fanerne

Indsats: navn, kort navn, målgruppe, prisår, startår, tidshorisont, horisont,
diskonteringsrente, aktører, succesrate og kilde. 'kort navn' (højst 40 tegn, valgfri) er
casens navn i et beslutningsnotat, der sammenligner alternativer. Én række pr. felt; skriv
værdien i kolonnen 'værdi'. Kolonnen 'nøgle' er navnet i casefilen og må ikke ændres.

Deltagere: forløbets længde (år) øverst; derunder én række pr. optag (kohorte): optag 0 er det
første år, optag 1 det næste osv., uden huller.

Udfald: valgfri tilfældig variation i antal succeser og årligt frafald af effekten.

Omkostninger: én række pr. omkostningspost. type = one_off (engangsbeløb i 'engangsår'), yearly
(hvert år i 'betalingsår', fx 0; 1; 2) eller per_participant (pr. deltager, fordelt over årene
efter optag med 'betalingsprofil', fx 0,6; 0,4). sparet = ja trækker beløbet fra (sparede
omkostninger).

Konsekvenser: én blok af rækker pr. konsekvens. Første række (parameter = værdi) har navn,
enhed, gælder for, kilde og tallene: år 0, år 1, … er ændringen pr. succesfuld person pr. år
fra effektåret (negativ når forbruget falder); 'pris <aktør>' er enhedsprisen for hver aktør
(negativ for en indtægt som skat); 'skalafaktor' er en usikkerhedsfaktor på hele profilen.
Tilføj kolonner 'pris <aktør>' for flere aktører og 'år 10', 'år 11', … for længere profiler.

Korrelationer: rangkorrelationer mellem usikre input, angivet ved inputnavn: success_rate,
participants[0], dropoff_rate, costs.<navn>.amount, consequences.<navn>.scale,
consequences.<navn>.profile[<år>] og consequences.<navn>.price.<aktør>.

Scenarier: følsomhedsscenarier (valgfri), som ændrer input ved deres inputnavn (listen i
kolonnen 'input'; navnene er de samme som under Korrelationer). Én række pr. ændring; gentag
scenariets navn i 'scenarie' på hver række i scenariet, og skriv 'beskrivelse' i den første.
'ændring' = override erstatter inputtet med et fast tal i 'værdi' eller en fordeling
(fordeling og parametre); skalering ganger inputtet med 'faktor' (1,25 = +25 %, 0,8 = -20 %);
stress trækker inputtet fra en hale af dets fordeling: 'under' = 0,10 beholder de laveste 10 %,
'over' = 0,90 de højeste 10 %, begge giver skiven imellem. Et scenarie kan have flere rækker
(fx både en override og en skalering). som-mc run CASE --scenarios og som-mc sensitivity CASE
--method scenarios beregner dem.

Evidens: hvad en opfølgning har observeret (valgfri). 'kilde (hele evidensen)' øverst; derunder
én række pr. observation. observation = succesrate: 'succeser' ud af 'forsøg'; lad 'optag' stå
tom for alle optag under ét, eller skriv én række pr. optag 0, 1, … . deltagere: realiseret
optag ('antal') for optag 0, 1, … i rækkefølge; de optag bliver faste tal. omkostning: det
realiserede 'beløb' for en omkostningspost (navnet i 'omkostning'); 'år nr.' tom for en
one_off-post, eller 1, 2, … for en yearly-posts første, andet, … betalingsår. Succesraten
bliver da sin posterior (som-mc update viser før og efter); --prior ser bort fra evidensen.

## Tal og fordelinger

Et usikkert tal skrives enten som et fast tal i 'værdi' eller som en fordeling: vælg familien
i 'fordeling' og udfyld dens parametre.

- fixed: værdi
- uniform: lav, høj
- triangular: lav, typisk, høj
- pert: lav, typisk, høj (valgfri form, standard 4)
- normal: middel, sd
- truncnormal: middel, sd og lav og/eller høj (middel og sd før afskæringen)
- lognormal: mu, sigma, eller middel, sd, eller median, p95
- beta: alfa, beta, eller middel, sd (valgfri lav, høj)
- gamma: form, skala, eller middel, sd
- poisson: middel
- discrete_uniform: lav, høj
- binomial: n, p
- empirical: værdier (adskilt af semikolon)
- fraktiler (en eksperts vurdering): p10, p50, p90; flere med en kolonne p5, p97_5 …
- mixture og binomial_posterior: som tekst i 'fordeling som tekst' (se nedenfor)

Fordelinger af fordelinger skrives som tekst i kolonnen 'fordeling som tekst', i casefilens
form (TOML, punktum som decimaltegn): flere eksperter vægtet sammen, fx { dist = "mixture",
weights = [0.5, 0.5], components = [{ dist = "beta", p10 = 0.2, p50 = 0.3, p90 = 0.42 }, {
dist = "pert", low = 0.15, mode = 0.35, high = 0.55 }] }, eller en posterior, fx { dist =
"binomial_posterior", prior = { dist = "pert", low = 0.1, mode = 0.3, high = 0.5 }, successes =
14, trials = 45 }. 'fordeling' må stå tom eller vise familien; de øvrige parameterkolonner skal
stå tomme. Teksten læses som tekst, aldrig som en formel.

På fanen Konsekvenser står parametrene i rækker: under konsekvensens første række tilføjes
rækker med 'fordeling', 'lav', 'typisk', 'høj' osv. i kolonnen 'parameter', og fordelingen for
fx 'pris kommune' skrives i den kolonne.

En succesrate og et frafald ligger mellem 0 og 1 (skriv 0,26, ikke 26). Beløb er kroner i
prisårets priser.

Skriv tal som tal. Tal gemt som tekst læses også (1234, 1234,5, 1.234,5, 26 %), men en tekst
som "1.234" kan læses på to måder og afvises: skriv den som et tal.

## Kataloget

'katalog' kan henvise til en post i distributionskataloget, fx catalog:hjemloeshed/herberg
(konsekvens), catalog:hjemloeshed/cti_bostoette (omkostning) eller
catalog:boern_angst/cool_kids (succesrate). Felter, der udfyldes ved siden af, erstatter
katalogpostens værdier. 'priskatalog' henviser kun til en pris, fx
catalog:prices/herberg_doegn.

## Kilder

Skriv i 'kilde', hvor tallene kommer fra, helst med en internetadresse. Et usikkert input uden
kilde, eller med en kilde der begynder med 'illustrative', tælles som illustrativt: som-mc
validate og run skriver fx "9 af 10 usikre input bygger på illustrative tal (ingen kilde)", og
rapporten viser listen. Tal fra kataloget har katalogpostens kilde; et felt, du selv udfylder
ved siden af en katalogpost, har rækkens egen kilde.

## Regler

Tomme celler betyder 'ikke angivet' (standardværdien eller katalogets værdi).

Rækker, hvis første udfyldte celle begynder med #, er kommentarer og læses ikke (fx
eksemplerne i skabelonen). Fjern # for at bruge en række.

Kolonnernes rækkefølge er ligegyldig, men overskrifterne skal stå, som de er. Egne kolonner kan
tilføjes med en overskrift, der begynder med 'note'.

Fanerne Vejledning og Lister læses ikke.

Fejl meldes med fane og celle, fx: Konsekvenser!L3 (konsekvens 'kontanthjaelp', pris
kommune): expected a number or a distribution; received 'ca. 2300'.
"""
