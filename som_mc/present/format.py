"""Danish number formatting for tables, reports and plots."""

from __future__ import annotations

import math

__all__ = ["format_kr", "format_number", "format_pct"]


def format_number(value: float, decimals: int = 0) -> str:
    """Format with Danish separators: ``1234567.5`` -> ``"1.234.567,5"``.

    Parameters
    ----------
    value : float
        The number.
    decimals : int, default 0
        Digits after the decimal comma.

    Returns
    -------
    str
        The formatted number; ``"–"`` for NaN.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if text.startswith("-") and text.strip("-0,.") == "":
        text = text[1:]  # no "-0"
    return text


def format_kr(value: float, decimals: int = 0) -> str:
    """Format an amount in kroner: ``-1234567`` -> ``"-1.234.567 kr."``."""
    return f"{format_number(value, decimals)} kr."


def format_pct(value: float, decimals: int = 0) -> str:
    """Format a share as a Danish percentage: ``0.253`` -> ``"25 %"``."""
    return f"{format_number(100 * value, decimals)} %"
