"""Provides runbooks: `runbooks/<id>.md` read and checked, with errors naming the file and field.

```markdown
+++
id = "clock-skew"                      # the file name without .md
title = "Device clock is wrong"
reasons = ["clock.skew"]               # codes of testday.core.reasons.REASONS
categories = ["technical/other"]       # incident category or category/subcategory
platforms = ["all"]                    # profile ids, or "all"

[[actions]]                            # optional; only these may ever run on a device
id = "sync-clock-linux"                # unique within the runbook
title = "Turn on network time and resync"
os = "linux"                           # linux | macos | windows
command = "timedatectl set-ntp true && systemctl restart systemd-timesyncd"
timeout_s = 30
confirm = "Resync this machine's clock now?"
+++
One paragraph on what is wrong.

## In the room
1. … three numbered steps a proctor can do …

## For the technician
…
```
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

from testday.core.incident_fields import CATEGORIES
from testday.core.reasons import REASONS
from testday.core.strict_toml import ConfigError, convert, load_toml

__all__ = [
    "ENV_VAR",
    "Runbook",
    "RunbookAction",
    "RunbookError",
    "default_runbooks_dir",
    "load_runbook",
    "load_runbooks",
    "parse_runbook",
    "runbook_ids",
]

ENV_VAR = "TESTDAY_RUNBOOKS"
FENCE = "+++"  # Hugo's TOML front matter fence: tomllib parses it, no YAML dependency
IN_THE_ROOM = "## In the room"
FOR_THE_TECHNICIAN = "## For the technician"
PROCTOR_STEPS = 3  # a proctor with a room to run reads three steps, not a manual
MAX_TIMEOUT_S = 3600.0  # a remote command still running after an hour is stuck, not slow
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_STEP = re.compile(r"^\d+\.\s+\S")
_LINE_AT = re.compile(r"\(at line (\d+)")

OS = Literal["linux", "macos", "windows"]


class RunbookError(ConfigError):
    """A runbook that does not hold: ``"<file>: <field>: <problem>"``."""


# Subclasses say frozen=True again: msgspec inherits it, type checkers see it only where written.
class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class RunbookAction(_Strict, frozen=True):
    """A command a technician may run on a lab machine; nothing undeclared ever runs."""

    id: str
    title: str
    os: OS
    command: str  # exactly as the remote shell receives it
    timeout_s: float
    confirm: str  # the question asked before it runs


class _FrontMatter(_Strict, frozen=True, kw_only=True):
    id: str
    title: str
    platforms: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    actions: tuple[RunbookAction, ...] = ()


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    reasons: tuple[str, ...]
    categories: tuple[str, ...]
    platforms: tuple[str, ...]
    actions: tuple[RunbookAction, ...]
    body: str  # Markdown, front matter removed
    source: str  # the file it came from

    def actions_for(self, os_family: str) -> tuple[RunbookAction, ...]:
        return tuple(a for a in self.actions if a.os == os_family)


def default_runbooks_dir(explicit: Path | str | None = None) -> Path:
    """``--runbooks DIR``, else ``$TESTDAY_RUNBOOKS``, else the checkout's ``runbooks/``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "runbooks"


def _split(text: str, source: str) -> tuple[str, str]:
    """(front matter, body); the front matter starts on the file's second line."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise RunbookError(source, "front matter", f"the file must start with a {FENCE} line")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == FENCE:
            return "".join(lines[1:i]), "".join(lines[i + 1 :]).lstrip("\n")
    raise RunbookError(source, "front matter", f"no closing {FENCE} line")


def _parse_front(front: str, source: str) -> _FrontMatter:
    try:
        data: dict[str, Any] = load_toml(front, source, RunbookError)
    except RunbookError as exc:
        # tomllib counts from the front matter's first line; the technician counts from the file's.
        problem = _LINE_AT.sub(lambda m: f"(at line {int(m[1]) + 1}", exc.problem)
        raise RunbookError(source, exc.field, problem) from None
    try:
        return convert(data, source, _FrontMatter, RunbookError)
    except RunbookError as exc:
        if not exc.field.endswith(".os"):
            raise
        raise RunbookError(source, exc.field, f"{exc.problem} (linux, macos or windows)") from None


def _check_front(fm: _FrontMatter, source: str, stem: str | None) -> None:
    def fail(field: str, problem: str) -> RunbookError:
        return RunbookError(source, field, problem)

    if not _ID.fullmatch(fm.id):
        raise fail("id", f"{fm.id!r} is not an id (lower-case letters, digits, '-')")
    if stem is not None and fm.id != stem:
        raise fail("id", f"{fm.id!r} must equal the file name ({stem!r}, from {stem}.md)")
    if not fm.title.strip():
        raise fail("title", "must not be empty")
    if not fm.reasons and not fm.categories:
        raise fail("reasons", "a runbook must answer at least one reason code or category")
    for i, code in enumerate(fm.reasons):
        if code not in REASONS:
            raise fail(f"reasons[{i}]", f"unknown reason code {code!r} (see testday.core.reasons)")
    for i, category in enumerate(fm.categories):
        top, _, sub = category.partition("/")
        if top not in CATEGORIES or (sub and sub not in CATEGORIES[top]):
            known = ", ".join(CATEGORIES)
            raise fail(
                f"categories[{i}]",
                f"unknown category {category!r} (a category of {known}, or category/subcategory)",
            )
    if not fm.platforms:
        raise fail("platforms", 'list profile ids, or ["all"]')
    for i, platform in enumerate(fm.platforms):
        if (platform == "all" and len(fm.platforms) > 1) or not _ID.fullmatch(platform):
            raise fail(f"platforms[{i}]", f'{platform!r}: give profile ids, or only "all"')
    _check_actions(fm.actions, fail)


def _check_actions(actions: tuple[RunbookAction, ...], fail: Any) -> None:
    seen: set[str] = set()
    for i, action in enumerate(actions):
        at = f"actions[{i}]"
        if not _ID.fullmatch(action.id):
            raise fail(f"{at}.id", f"{action.id!r} is not an id (lower-case letters, digits, '-')")
        if action.id in seen:
            raise fail(f"{at}.id", f"duplicate action id {action.id!r} in this runbook")
        seen.add(action.id)
        for name in ("title", "command", "confirm"):
            if not getattr(action, name).strip():
                raise fail(f"{at}.{name}", "must not be empty")
        if "\n" in action.command:
            raise fail(f"{at}.command", "must be one command line (join steps with &&)")
        if not 0 < action.timeout_s <= MAX_TIMEOUT_S:
            raise fail(
                f"{at}.timeout_s", f"must be more than 0 and at most {MAX_TIMEOUT_S:.0f} seconds"
            )


def _check_body(body: str, source: str) -> None:
    lines = [line.rstrip() for line in body.splitlines()]
    if IN_THE_ROOM not in lines:
        raise RunbookError(source, "body", f"missing the {IN_THE_ROOM!r} section (for the proctor)")
    if FOR_THE_TECHNICIAN not in lines:
        raise RunbookError(source, "body", f"missing the {FOR_THE_TECHNICIAN!r} section")
    start, tech = lines.index(IN_THE_ROOM), lines.index(FOR_THE_TECHNICIAN)
    if tech < start:
        raise RunbookError(source, "body", f"{IN_THE_ROOM!r} must come before the technician's")
    section = []
    for line in lines[start + 1 :]:
        if line.startswith(("# ", "## ")):
            break
        section.append(line)
    steps = sum(1 for line in section if _STEP.match(line))
    if steps != PROCTOR_STEPS:
        raise RunbookError(
            source,
            "body",
            f"{IN_THE_ROOM!r} has {steps} numbered steps; give the proctor {PROCTOR_STEPS}",
        )


def parse_runbook(
    text: str, source: str, stem: str | None = None, known_profiles: Collection[str] | None = None
) -> Runbook:
    """Decode one runbook; ``stem`` is its file name's (the id must equal it, None: no check)."""
    front, body = _split(text, source)
    fm = _parse_front(front, source)
    _check_front(fm, source, stem)
    if known_profiles is not None:
        for i, platform in enumerate(fm.platforms):
            if platform != "all" and platform not in known_profiles:
                listed = ", ".join(sorted(known_profiles))
                raise RunbookError(
                    source, f"platforms[{i}]", f"unknown profile {platform!r} (known: {listed})"
                )
    _check_body(body, source)
    return Runbook(
        fm.id, fm.title, fm.reasons, fm.categories, fm.platforms, fm.actions, body, source
    )


def _read(path: Path, known_profiles: Collection[str] | None) -> Runbook:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunbookError(str(path), "(file)", f"cannot read: {exc}") from None
    return parse_runbook(text, str(path), path.stem, known_profiles)


def runbook_ids(directory: Path | str) -> list[str]:
    """The ids of the runbooks in ``directory`` (file names; README.md is not one)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RunbookError(str(directory), "(directory)", f"not a directory (set {ENV_VAR})")
    return sorted(p.stem for p in directory.glob("*.md") if p.name.casefold() != "readme.md")


def load_runbook(
    directory: Path | str, runbook_id: str, known_profiles: Collection[str] | None = None
) -> Runbook:
    """One runbook by id; KeyError when there is no such file, RunbookError when it is bad."""
    if not _ID.fullmatch(runbook_id):  # never a path: "../x" must not reach the file system
        raise KeyError(runbook_id)
    path = Path(directory) / f"{runbook_id}.md"
    if not path.is_file():
        raise KeyError(runbook_id)
    return _read(path, known_profiles)


def load_runbooks(
    directory: Path | str, known_profiles: Collection[str] | None = None
) -> dict[str, Runbook]:
    """Every runbook in ``directory`` by id; the first bad file raises RunbookError."""
    directory = Path(directory)
    return {rid: _read(directory / f"{rid}.md", known_profiles) for rid in runbook_ids(directory)}
