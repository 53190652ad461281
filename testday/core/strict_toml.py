"""Provides strict TOML decoding into msgspec Structs, with errors that name the file and field.

msgspec says ``Expected `int`, got `str` - at `$.battery.warn_percent```; a technician editing a
file wants ``profiles/testnav.toml: battery.warn_percent: Expected int, got str``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")


class ConfigError(ValueError):
    """A config file that does not hold; ``str()`` is ``"<file>: <field>: <problem>"``."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        super().__init__(f"{source}: {field}: {problem}")
        self.source, self.field, self.problem = source, field, problem


def join(path: str, name: str) -> str:
    """``rooms`` + ``112`` → ``rooms.112``; names that are not bare TOML keys get quoted."""
    if not re.fullmatch(r"[A-Za-z0-9_\-\[\]]+", name):
        name = f'"{name}"'
    return f"{path}.{name}" if path else name


def rewrite(message: str, unknown_hints: Mapping[str, str] | None = None) -> tuple[str, str]:
    """A msgspec validation message → (field path, problem).

    ``unknown_hints`` maps a table's name to the problem to give for an unknown key in it (for
    tables whose keys are a fixed set, such as OS families).
    """
    m = _AT.match(message)
    assert m is not None  # the pattern matches any string
    path, problem = (m["path"] or "").lstrip("."), m["msg"]
    if u := _UNKNOWN.match(problem):
        problem = (unknown_hints or {}).get(
            path.rsplit(".", 1)[-1], "unknown field (check the spelling)"
        )
        path = join(path, u["name"])
    elif mi := _MISSING.match(problem):
        path, problem = join(path, mi["name"]), "required field is missing"
    return path or "(top level)", problem.replace("`", "")


def load_toml(text: str, source: str, error: type[ConfigError]) -> dict[str, Any]:
    """Parse TOML text; a syntax error names the file and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(source, "TOML syntax", str(exc)) from None
    except RecursionError:
        # tomllib recurses once per nested array or inline table: a few thousand exhaust it.
        raise error(source, "TOML syntax", "arrays or tables nested too deeply") from None


def convert(
    data: Any,
    source: str,
    type_: type[T],
    error: type[ConfigError],
    at: str = "",
    unknown_hints: Mapping[str, str] | None = None,
) -> T:
    """``msgspec.convert`` with errors rewritten; ``at`` prefixes field paths (a room, …)."""
    try:
        return msgspec.convert(data, type_)
    except RecursionError:
        raise error(source, at or "(top level)", "arrays or tables nested too deeply") from None
    except msgspec.ValidationError as exc:
        field, problem = rewrite(str(exc), unknown_hints)
        if at:
            field = at if field == "(top level)" else f"{at}.{field}"
        raise error(source, field, problem) from None
