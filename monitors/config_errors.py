"""Config validation errors as one line for people: which field, and what it wants."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from monitors.probes import KINDS

_KINDS = tuple(KINDS)


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for index, item in enumerate(loc):
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in _KINDS and index >= 2 and loc[index - 2] == "checks":
            continue  # pydantic adds the union tag after checks[i]; it is noise to a user
        elif str(item).startswith("function-"):
            continue
        else:
            parts.append(f".{item}")
    return "".join(parts).lstrip(".")


_PATTERN_HINTS = {  # a regex is no help to a user; say what the field wants instead
    r"^[A-Z]{3}$": "use a 3-letter ISO 4217 code such as 'USD' or 'EUR'",
    r"^[a-z0-9][a-z0-9_-]{0,39}$": "use 1-40 lower-case letters, digits, '-' or '_', "
    "starting with a letter or digit",
}
_NESTED = re.compile(r"^([a-z_]+(\[\d+\])*)(\.[a-z_]+(\[\d+\])*)*: ")
_KIND_LIST = f"use one of {', '.join(KINDS)}"


def _message(error: Any) -> str:
    kind, message = error["type"], error["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "union_tag_invalid":
        return f"unknown check kind {error['input'].get('kind')!r}; {_KIND_LIST}"
    if kind == "union_tag_not_found":
        return f"missing 'kind'; {_KIND_LIST}"
    if kind == "string_pattern_mismatch":
        message = _PATTERN_HINTS.get(error["ctx"]["pattern"], message)
    value = error.get("input")
    secret = error["loc"][:1] == ("alerts",)  # alert URLs carry passwords: never echo them
    scalar = isinstance(value, str | int | float | bool)
    if kind != "missing" and scalar and not secret and repr(value) not in message:
        message += f" (got {value!r:.60})"
    return message


def describe_error(exc: ValidationError) -> str:
    """The first validation error as 'field.path: what is wrong'."""
    error = exc.errors(include_url=False)[0]
    where = _location(tuple(error["loc"]))
    message = _message(error)
    nested = _NESTED.match(message)
    if nested and ("[" in nested.group(0) or "." in nested.group(0)):
        # a model-level check names the field inside the model: "checks[1].id: duplicate ..."
        path, message = message.split(": ", 1)
        where = f"{where}.{path}" if where else path
    return f"{where}: {message}" if where else message
