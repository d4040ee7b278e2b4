"""Validation helpers shared by the case format and the catalog (pydantic v2).

Strict models that reject unknown keys with a did-you-mean hint, the scalar type (a number or a
distribution table), and the rendering of a pydantic error as a key path and a one-line message.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

from som_mc.distributions import Distribution, Fixed, from_toml
from som_mc.errors import DistributionError

__all__ = ["Scalar", "Strict", "describe", "finite", "format_pydantic_error", "key_path"]

def describe(value: Any) -> str:
    """Short, user-facing rendering of a received value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table {" + ", ".join(f"{k} = {describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "a list of " + str(len(value)) + " items"
    return repr(value)


def parse_scalar(value: Any) -> Distribution:
    """Turn a TOML scalar (number or distribution table) into a distribution."""
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Mapping):
        raise PydanticCustomError(
            "scalar_type",
            "expected a number or a distribution table such as "
            '{{ dist = "pert", low = 0.15, mode = 0.25, high = 0.40 }}; received {received}',
            {"received": describe(value)},
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
        extra="forbid", strict=True, frozen=True, arbitrary_types_allowed=True
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
    if etype != "missing" and etype not in (
        "scalar_type",
        "scalar_finite",
        "distribution",
        "evidence",  # says what it received itself
    ):
        received = lookup(raw, err["loc"]) if "input" not in err else err["input"]
        msg = f"{msg}; received {describe(received)}"
    return path, msg
