"""Provides tiny version parsing and comparison for OS and app versions, with no dependency.

What is understood:

- dotted numbers: ``"5.4.387.0"``, ``"144.0.7559.1"``, ``"14.2.1"``, ``"131"``; a leading one wins,
  as agents report it (``"10.0.22631 (Windows 11 Pro)"``, ``"131 (milestone)"``).
  Trailing zeros do not matter (``"5.4.387.0" == "5.4.387"``); a leading ``v`` is dropped; text
  after the numbers is ignored (``"6.1.0-18-amd64"`` is 6.1.0, ``"1.13.2-beta"`` is 1.13.2), so a
  pre-release compares equal to its release.
- ChromeOS ``"R131-16063.45.2"``: the Chrome milestone (131) is what vendors publish, so it is kept.
- Windows display versions such as ``"23H2"`` or ``"Windows 11 23H2"``: a separate kind, ordered
  among themselves (``"22H2" < "23H2" < "24H2"``).

What is not comparable (``compare`` raises ``NotComparable``, ``at_least`` answers ``None``):

- a display version against a dotted one: ``"23H2"`` says nothing about the build number without
  knowing whether it is Windows 10 or 11, so profiles state Windows minimums as builds
  (``"10.0.22631"``) and agents should report ``platform.version()``-style builds.
- ChromeOS platform versions (``"16063.45.2"``) against Chrome milestones (``"131"``): both are
  dotted, so nothing here tells them apart (readiness treats a ChromeOS major ≥ 1000 as a
  platform version); agents should report the milestone.
- text with no number at all (``"unknown"``): ``parse_version`` raises ``VersionError``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

_CHROMEOS = re.compile(r"^R(\d+)-")
_LEADING_DISPLAY = re.compile(r"^(\d{2})H([12])(?![\dA-Za-z])", re.IGNORECASE)
_LEADING = re.compile(r"^\d+(?:\.\d+)*")
_DOTTED = re.compile(r"\d+(?:\.\d+)+")
_DISPLAY = re.compile(r"(?<![\dA-Za-z])(\d{2})H([12])(?![\dA-Za-z])", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
# Versions are a few dozen characters. Only this much of a text is read: the searches below are
# quadratic on long digit runs, and int() refuses numbers of thousands of digits.
MAX_VERSION_TEXT = 128


class VersionError(ValueError):
    """A version string with nothing to compare in it."""


class NotComparable(VersionError):
    """Two versions of different kinds (a Windows display version against a dotted build)."""


@dataclass(frozen=True)
class Version:
    """A parsed version; equality and hashing ignore trailing zeros (5.4.387.0 == 5.4.387)."""

    text: str = field(compare=False)
    kind: Literal["dotted", "display"]
    parts: tuple[int, ...] = field(compare=False)
    key: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        key = self.parts
        while len(key) > 1 and key[-1] == 0:
            key = key[:-1]
        object.__setattr__(self, "key", key)

    def __str__(self) -> str:
        return self.text

    def startswith(self, prefix: Version) -> bool:
        """True when ``prefix`` names this version's line: ``131`` covers ``131.0.6778.191``."""
        if self.kind != prefix.kind:
            raise NotComparable(f"{self.text!r} and {prefix.text!r} are different kinds")
        # Raw parts, not the key: an excluded "5.4.0" must not swallow 5.4.1.
        head = self.parts[: len(prefix.parts)]
        return head + (0,) * (len(prefix.parts) - len(head)) == prefix.parts


@functools.lru_cache(maxsize=4096)
def parse_version(text: str) -> Version:
    """Parse a version string; raises VersionError when it holds no number.

    Cached: the hub judges every report against the same few minimum versions, and a fleet
    reports a handful of distinct app and OS versions.
    """
    raw = text.strip()[:MAX_VERSION_TEXT]
    body = raw[1:] if raw[:1] in ("v", "V") and raw[1:2].isdigit() else raw
    if m := _CHROMEOS.match(body):
        return Version(raw, "dotted", (int(m[1]),))
    if m := _LEADING_DISPLAY.match(body):
        return Version(raw, "display", (int(m[1]), int(m[2])))
    # A leading number wins: agents report "131 (milestone)", "10.0.22631 (Windows 11 Pro)".
    if m := _LEADING.match(body):
        return Version(raw, "dotted", tuple(int(p) for p in m[0].split(".")))
    # Otherwise a dotted number before a display version: "Windows 11 23H2 (10.0.22631)" is
    # best judged by its build.
    if m := _DOTTED.search(body):
        return Version(raw, "dotted", tuple(int(p) for p in m[0].split(".")))
    if m := _DISPLAY.search(body):
        return Version(raw, "display", (int(m[1]), int(m[2])))
    if m := _NUMBER.search(body):
        return Version(raw, "dotted", (int(m[0]),))
    raise VersionError(f"no version number in {text!r}")


def _as_version(value: str | Version) -> Version:
    return value if isinstance(value, Version) else parse_version(value)


def compare(a: str | Version, b: str | Version) -> int:
    """-1, 0 or 1 as ``a`` is older than, equal to or newer than ``b``."""
    va, vb = _as_version(a), _as_version(b)
    if va.kind != vb.kind:
        raise NotComparable(f"{va.text!r} ({va.kind}) and {vb.text!r} ({vb.kind}) do not compare")
    width = max(len(va.key), len(vb.key))
    pa = va.key + (0,) * (width - len(va.key))
    pb = vb.key + (0,) * (width - len(vb.key))
    return (pa > pb) - (pa < pb)


def at_least(version: str | Version, minimum: str | Version) -> bool | None:
    """Whether ``version`` ≥ ``minimum``; None when either is unparseable or they do not compare."""
    try:
        return compare(version, minimum) >= 0
    except VersionError:
        return None


def matches(version: str | Version, prefix: str | Version) -> bool | None:
    """Whether ``version`` lies on the ``prefix`` line (an excluded ``"131"``); None if unknown."""
    try:
        return _as_version(version).startswith(_as_version(prefix))
    except VersionError:
        return None
