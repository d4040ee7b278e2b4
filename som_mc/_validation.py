"""Validation helpers shared by the case format and the catalog (pydantic v2).

Strict models that reject unknown keys with a did-you-mean hint, the scalar type (a number or a
distribution table), and the rendering of a pydantic error as a key path and a one-line message.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

from som_mc.distributions import Distribution, Fixed, from_toml
from som_mc.errors import DistributionError

__all__ = [
    "MAX_COUNT",
    "MAX_MAGNITUDE",
    "MAX_QUOTE",
    "Scalar",
    "Strict",
    "check_text",
    "describe",
    "finite",
    "format_pydantic_error",
    "key_path",
]

#: Largest magnitude any input may take (kroner, units, factors; also the 1e-9 tail
#: quantiles of a distribution): products of a few such numbers stay far from overflow.
MAX_MAGNITUDE = 1e12

#: Largest count: participants per intake year, a binomial ``n``, a Poisson mean.
MAX_COUNT = 1e7

#: Characters of a received text quoted in a message (the rest is elided).
MAX_QUOTE = 200

#: Control characters no text may hold (tab, newline and carriage return are allowed):
#: they break netCDF (NUL), spreadsheets (vertical tab, form feed) and terminals.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(text: str) -> str:
    """Return `text`, or raise ValueError naming the first control character it holds."""
    found = _CONTROL.search(text)
    if found:
        raise ValueError(
            f"text {describe(text)} holds the control character U+{ord(found.group()):04X} at "
            f"position {found.start()}; remove it (only tab and line breaks are allowed)"
        )
    return text


def _quote(text: str) -> str:
    if len(text) > MAX_QUOTE:
        return repr(text[:MAX_QUOTE]) + f"… ({len(text):_} characters)"
    return repr(text)

def describe(value: Any) -> str:
    """Short, user-facing rendering of a received value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, Mapping):
        items = list(value.items())
        text = ", ".join(f"{k} = {describe(v)}" for k, v in items[:12])
        more = f", … ({len(items)} keys)" if len(items) > 12 else ""
        return "a table {" + text[: 4 * MAX_QUOTE] + more + "}"
    if isinstance(value, list):
        return "a list of " + str(len(value)) + " items"
    text = repr(value)
    return text if len(text) <= MAX_QUOTE else text[:MAX_QUOTE] + "…"


#: An example distribution table quoted in messages (passed as a value, so that pydantic's
#: message template does not show doubled braces).
_EXAMPLE = '{ dist = "pert", low = 0.15, mode = 0.25, high = 0.40 }'


def parse_scalar(value: Any) -> Distribution:
    """Turn a TOML scalar (number or distribution table) into a distribution."""
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Mapping):
        raise PydanticCustomError(
            "scalar_type",
            "expected a number or a distribution table such as {example}; received {received}",
            {"received": describe(value), "example": _EXAMPLE},
        )
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise PydanticCustomError(
                "scalar_finite",
                "expected a finite number; received {received} (NaN and inf are not allowed)",
                {"received": repr(value)},
            )
        return Fixed(value=float(value))
    try:
        return from_toml(value)
    except DistributionError as exc:
        raise PydanticCustomError(
            "distribution", "{message}", {"message": exc.message, "param": exc.param or ""}
        ) from None
    except (OverflowError, ZeroDivisionError, ValueError, TypeError) as exc:
        raise PydanticCustomError(
            "distribution",
            "{message}",
            {
                "message": f"the parameters {describe(value)} overflow the arithmetic ({exc}); "
                f"every input must stay within ±{MAX_MAGNITUDE:g}",
                "param": "",
            },
        ) from None


#: A scalar input: a plain number (fixed) or a distribution table.
Scalar = Annotated[Distribution, PlainValidator(parse_scalar)]


def finite(value: float) -> float:
    if not math.isfinite(value):
        raise PydanticCustomError(
            "finite", "expected a finite number; received {received}", {"received": repr(value)}
        )
    return value


class Strict(BaseModel):
    """Base model: strict types, unknown keys rejected with a hint."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        arbitrary_types_allowed=True,
        # validators are built on first use, once per model actually validated (faster
        # start-up for commands that read a case)
        defer_build=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            allowed = list(cls.model_fields)
            for key in data:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), allowed, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key {key}{hint}; allowed keys here: {allowed}",
                        {
                            "key": repr(key),
                            "hint": hint,
                            "allowed": ", ".join(allowed),
                            "unknown": str(key),
                        },
                    )
        return data


def key_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def lookup(data: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


PYDANTIC_HINTS = {
    "missing": "required key is missing; add it (see cases/README.md)",
    "int_type": "expected a whole number",
    "float_type": "expected a number",
    "string_type": "expected a text string in quotes",
    "bool_type": "expected true or false",
    "list_type": "expected a list [...]",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "literal_error": "expected one of {expected}",
    "too_short": "expected at least {min_length} item(s)",
    "too_long": "expected at most {max_length} item(s)",
    "string_too_short": "expected a non-empty text",
    "greater_than": "expected a number > {gt}",
    "greater_than_equal": "expected a number >= {ge}",
    "less_than": "expected a number < {lt}",
    "less_than_equal": "expected a number <= {le}",
    "finite_number": "expected a finite number (NaN and inf are not allowed)",
}


def format_pydantic_error(err: Any, raw: Any) -> tuple[str, str]:
    """Return (key path, message) for one pydantic error dict."""
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    ctx = err.get("ctx") or {}
    etype = err["type"]
    if ctx.get("unknown"):
        loc = [*loc, ctx["unknown"]]
    if ctx.get("param") not in (None, ""):  # an index 0 is a key path part too
        loc = [*loc, ctx["param"]]
    path = key_path(loc)
    if etype in ("unknown_key", "timing"):
        return path, err["msg"]
    hint = PYDANTIC_HINTS.get(etype)
    if hint is not None:
        try:
            msg = hint.format(**ctx)
        except (KeyError, IndexError):
            msg = hint
    else:
        msg = err["msg"]
    if (
        etype != "missing"
        and etype not in ("scalar_type", "scalar_finite", "distribution", "evidence")
        and "received" not in msg
    ):
        received = lookup(raw, err["loc"]) if "input" not in err else err["input"]
        msg = f"{msg}; received {describe(received)}"
    return path, msg
