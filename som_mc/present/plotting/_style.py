"""Shared plot style: colour-blind-safe palette and Danish number formatting."""

from __future__ import annotations

import matplotlib
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from som_mc.model import TOTAL
from som_mc.present.format import format_number

__all__ = ["OKABE_ITO", "actor_title", "kr_formatter", "money_axis", "new_axes"]

# Labels come from case files: "Cost $5 and $10" is text, never mathtext (which would render
# it as math or fail on an unbalanced "$"). som_mc's own figures use no mathtext.
matplotlib.rcParams["text.parse_math"] = False

#: Okabe–Ito palette (colour-blind safe), without black.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
)

#: Axis formatter with Danish thousands separators: 1234567 -> "1.234.567".
kr_formatter = FuncFormatter(lambda x, _pos: format_number(x))


def actor_title(actor: str) -> str:
    """Danish title of an actor in plot titles (``"total"`` -> ``"i alt"``)."""
    return "i alt" if actor == TOTAL else actor


def money_axis(axis: Axis) -> None:
    """Danish thousands separators and at most five ticks on a money axis."""
    axis.set_major_formatter(kr_formatter)
    axis.set_major_locator(MaxNLocator(nbins=5))


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 5.0)) -> Axes:
    """Return `ax`, or the axes of a new figure (not attached to pyplot's state)."""
    if ax is not None:
        return ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()
