"""Warnings about a case that is valid but probably not what its author meant.

- **The Danish thousands separator.** TOML reads ``amount = 42.500`` as 42,5 kr.; a Danish
  author writing 42.500 means 42.500 kr. A money amount or price (a cost's ``amount``, a
  consequence's ``price``, the profile of a consequence in kroner, including the parameters of
  their distributions) written in the raw text with one to three digits, a point and exactly
  three digits (``42.500``, ``1.250``) gets a warning naming the file and key path.
- **A partial price override.** A consequence that takes an entry from the catalog but writes
  its own ``price`` table for fewer aktører than the catalog's price names drops the others'
  prices (the catalog resolver reports it, :attr:`som_mc.catalog.CatalogUse.warnings`).

Every warning is one line. :func:`report_warnings` writes them to stderr (never through
Python's :mod:`warnings`), or raises the first as a :class:`~som_mc.errors.CaseFileError` with
``strict=True`` (``--strict`` on the command line).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from som_mc.case.schema import Case
from som_mc.catalog import is_money_unit
from som_mc.errors import CaseFileError

__all__ = ["case_warnings", "report_warnings", "thousands_warnings"]

#: A number that reads as a Danish thousands-grouped integer: 1-3 digits, a point, 3 digits.
_GROUPED = re.compile(r"(?<![\w.+-])([+-]?[1-9]\d{0,2}\.\d{3})(?![\w.])")
_MONEY_SECTIONS = ("costs", "consequences")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*$")


def _code_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) with strings and comments blanked out.

    A small scanner for TOML's four string forms and ``#`` comments, so that numbers inside
    descriptions, notes and comments are not read as values.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if ch in "\"'":
            triple = text.startswith(ch * 3, i)
            quote = ch * 3 if triple else ch
            j = i + len(quote)
            while j < n:
                if ch == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if not triple and text[j] == "\n":
                    break
                j += 1
            j = min(n, j + len(quote))
            # keep newlines so that line numbers stay right
            out.append("".join(c if c == "\n" else " " for c in text[i:j]))
            i = j
            continue
        out.append(ch)
        i += 1
    yield from enumerate("".join(out).split("\n"), start=1)


def _money_values(
    data: Mapping[str, Any], section: str, index: int | None
) -> Iterator[tuple[str, Any]]:
    """Yield (key path, value) of every money number inside one table of the case."""

    def walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
        if isinstance(value, Mapping):
            for k, v in value.items():
                yield from walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for j, v in enumerate(value):
                yield from walk(v, f"{path}[{j}]")
        elif isinstance(value, float):
            yield path, value

    items = data.get(section)
    if index is None or not isinstance(items, list) or index >= len(items):
        return
    item = items[index]
    if not isinstance(item, Mapping):
        return
    where = f"{section}[{index}]"
    if section == "costs" and "amount" in item:
        yield from walk(item["amount"], f"{where}.amount")
    if section == "consequences":
        if isinstance(item.get("price"), Mapping):
            yield from walk(item["price"], f"{where}.price")
        unit = item.get("unit")
        if isinstance(unit, str) and is_money_unit(unit) and "profile" in item:
            yield from walk(item["profile"], f"{where}.profile")


def thousands_warnings(text: str, data: Mapping[str, Any]) -> list[str]:
    """Money numbers written like a Danish thousands-grouped integer (``42.500``).

    Parameters
    ----------
    text : str
        The raw TOML text.
    data : Mapping
        The same text parsed (:func:`tomllib.loads`).

    Returns
    -------
    list of str
        One message per key path, e.g. ``costs[0].amount: 42.500 is read as 42,5 …``
        (without the file name).
    """
    found: list[tuple[str, str]] = []  # (section table, literal), in file order
    counters: dict[str, int] = {}
    current: tuple[str, int | None] = ("", None)
    for _, line in _code_lines(text):
        header = _HEADER.match(line)
        if header:
            name = header.group(2).strip().replace('"', "").replace("'", "")
            base = name.split(".", 1)[0]
            if header.group(1) == "[" and base != name and base in counters:
                current = (base, counters[base])  # [consequences.price] of the last item
            elif header.group(1) == "[[":
                counters[name] = counters.get(name, -1) + 1
                current = (name, counters[name])
            else:
                current = (name, None)
            continue
        for match in _GROUPED.finditer(line):
            found.append((f"{current[0]}\0{current[1]}", match.group(1)))
    out: list[str] = []
    seen: set[str] = set()
    for where, literal in found:
        section, _, index = where.partition("\0")
        value = float(literal)
        if section in _MONEY_SECTIONS and index != "None":
            candidates = _money_values(data, section, int(index))
        else:  # top level (``costs = [{ … }]``) or a table we do not track: search all lines
            candidates = (
                pair
                for name in _MONEY_SECTIONS
                for i in range(len(data.get(name) or ()))
                for pair in _money_values(data, name, i)
            )
        for path, v in candidates:
            if v == value and path not in seen:
                seen.add(path)
                whole = literal.replace(".", "")
                shown = f"{value:g}".replace(".", ",")
                out.append(
                    f"{path}: {literal} is read as {shown} kr. (in TOML a point is a decimal "
                    f"point); for {literal} kr. write {int(whole)} or {whole[:-3]}_{whole[-3:]}"
                )
    return out


def case_warnings(
    case: Case, text: str | None = None, data: Mapping[str, Any] | None = None
) -> list[str]:
    """Every warning about a loaded case (without the file name).

    Parameters
    ----------
    case : Case
        The validated case (its catalog uses carry the resolver's warnings).
    text, data : str and Mapping, optional
        The raw TOML text and its parsed form, for the thousands-separator check (a workbook
        has no raw text: its cells hold numbers).
    """
    out = thousands_warnings(text, data) if text is not None and data is not None else []
    for use in case.catalog_uses:
        out.extend(use.warnings)
    return out


def report_warnings(
    messages: Sequence[str],
    *,
    file: str | None,
    strict: bool = False,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Write warnings as one line each, or raise the first one with `strict`.

    Parameters
    ----------
    messages : sequence of str
        Warnings from :func:`case_warnings` (``key path: message``).
    file : str, optional
        The case file, put in front of each line.
    strict : bool
        Raise the first warning as a :class:`CaseFileError` instead.
    warn : callable, optional
        Receives each line ``FILE: KEY: message``; default: ``som-mc: warning: …`` on stderr.

    Raises
    ------
    CaseFileError
        With `strict`, for the first warning.
    """
    for message in messages:
        key, _, rest = message.partition(": ")
        if strict:
            raise CaseFileError(f"{rest} (an error with --strict)", file=file, key=key)
        line = f"{file}: {message}" if file else message
        if warn is None:
            print(f"som-mc: warning: {line}", file=sys.stderr)
        else:
            warn(line)
