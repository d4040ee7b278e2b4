"""Exception hierarchy of som_mc.

Every error a user can cause derives from :class:`SomMcError` and carries a message that
says what was received and what is allowed. The CLI turns these into one line on stderr and
a non-zero exit status; anything else reaching the CLI is a bug.
"""

from __future__ import annotations

__all__ = [
    "CaseFileError",
    "CatalogError",
    "DistributionError",
    "OutputError",
    "ResultsFileError",
    "SomMcError",
]


class SomMcError(Exception):
    """Base class of all errors som_mc raises on bad user input."""


class DistributionError(SomMcError, ValueError):
    """Invalid distribution parameters.

    Parameters
    ----------
    message : str
        Human-readable description: what was received, what is allowed.
    param : str or None
        Name of the offending parameter (e.g. ``"low"``), so that callers can extend a key
        path such as ``success_rate`` to ``success_rate.low``.
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class CaseFileError(SomMcError, ValueError):
    """Invalid case file.

    Parameters
    ----------
    message : str
        What was received and what is allowed.
    file : str or None
        Path of the case file, when known.
    key : str or None
        Key path inside the file, e.g. ``consequences[2].price.kommune``.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.message = message
        self.file = file
        self.key = key
        super().__init__(self._render())

    _placeholder: str | None = "<case>"

    def _render(self) -> str:
        parts = [p for p in (self.file or self._placeholder, self.key) if p]
        return ": ".join([*parts, self.message])


class CatalogError(CaseFileError):
    """Invalid distribution catalog (a file in ``distributions/`` or the folder itself).

    Rendered like :class:`CaseFileError`: ``file: key.path: message``.

    Parameters
    ----------
    message : str
        What was received and what is allowed.
    file : str or None
        Path of the catalog file, when known.
    key : str or None
        Key path inside the file, e.g. ``prices.herberg_doegn.price_year``.
    """

    _placeholder = None  # folder-level problems name the folder in the message


class ResultsFileError(SomMcError, ValueError):
    """A results file that does not follow som_mc's schema."""


class OutputError(SomMcError, ValueError):
    """An output that cannot be written as asked (exists, folder missing, not writable)."""
