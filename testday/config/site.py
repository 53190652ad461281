"""Provides the site config (``site.toml``, optional): the school, and which profile each room uses.

```toml
[site]
name = "Lincoln Middle School"
code = "0420"
district = "Springfield Public Schools"
default_profile = "pearson-testnav"

[rooms."112"]
name = "Lab 112"
profile = "drc-insight"

# Irregularity-report deadlines: a state's built-in rules (oregon, texas, washoe) …
[site.deadlines]
state = "texas"
# … or the district's own, which replace them:
[[site.deadlines.rules]]
label = "file"
amount = 10
unit = "working_days"        # hours | days | working_days
until = "reported"           # reported | district_notified
holidays = [2027-04-02]
```
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from testday.core.incident_deadlines import STATE_RULES, DeadlineRule, Unit, Until
from testday.core.strict_toml import ConfigError, convert, join, load_toml

__all__ = ["DEFAULT_PROFILE", "Room", "Site", "SiteError", "SiteInfo", "load_site", "parse_site"]

DEFAULT_PROFILE = "pearson-testnav"


class SiteError(ConfigError):
    """A site file that does not decode, or names a profile that does not exist."""


# Subclasses say frozen=True again: msgspec inherits it, type checkers see it only where written.
class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class RuleEntry(_Strict, frozen=True):
    label: str
    amount: int
    unit: Unit
    until: Until = "reported"
    holidays: list[date] = []


class Deadlines(_Strict, frozen=True):
    state: str = ""  # a key of incident_deadlines.STATE_RULES
    rules: list[RuleEntry] = []  # the district's own; when given, they replace the state's

    def resolved(self) -> tuple[DeadlineRule, ...]:
        if self.rules:
            return tuple(
                DeadlineRule(r.label, r.amount, r.unit, r.until, frozenset(r.holidays))
                for r in self.rules
            )
        return STATE_RULES.get(self.state.casefold(), ())


class SiteInfo(_Strict, frozen=True):
    name: str = ""
    code: str = ""  # the school code irregularity reports ask for
    district: str = ""
    district_code: str = ""
    default_profile: str = DEFAULT_PROFILE
    deadlines: Deadlines = msgspec.field(default_factory=Deadlines)


class Room(_Strict, frozen=True):
    name: str | None = None  # how proctors call it ("Lab 112"); the key is what agents report
    profile: str | None = None  # None: the site's default profile


class _SiteFile(_Strict, frozen=True):
    site: SiteInfo = msgspec.field(default_factory=SiteInfo)


class Site(msgspec.Struct, frozen=True, kw_only=True):
    info: SiteInfo = msgspec.field(default_factory=SiteInfo)
    rooms: dict[str, Room] = {}

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def default_profile(self) -> str:
        return self.info.default_profile

    @property
    def deadline_rules(self) -> tuple[DeadlineRule, ...]:
        """The rules each incident's deadline clock runs by (none: no clock)."""
        return self.info.deadlines.resolved()

    def _room(self, room: str | None) -> Room | None:
        if room is None:
            return None
        key = room.strip()
        found = self.rooms.get(key)
        if found is None:  # "lab a" reported for [rooms."Lab A"]
            found = next((r for k, r in self.rooms.items() if k.casefold() == key.casefold()), None)
        return found

    def profile_for(self, room: str | None) -> str:
        """The profile id in force for ``room`` (unknown rooms and None get the default)."""
        found = self._room(room)
        return found.profile if found and found.profile else self.info.default_profile

    def room_name(self, room: str | None) -> str | None:
        """The room's display name, else the key as reported."""
        found = self._room(room)
        return found.name if found and found.name else room


def _unknown(source: str, field: str, profile: str, known: Collection[str]) -> SiteError:
    listed = ", ".join(sorted(known)) or "none loaded"
    return SiteError(source, field, f"unknown profile {profile!r} (known: {listed})")


def parse_site(text: str, source: str, known_profiles: Collection[str] | None) -> Site:
    """Decode a site file; every profile it names must be in ``known_profiles`` (None: no check)."""
    data: dict[str, Any] = load_toml(text, source, SiteError)
    raw_rooms = data.pop("rooms", {})
    data.pop("sessions", None)  # planned sessions: parsed by config.sessions_file
    data.pop("network", None)  # network devices to watch: parsed by config.network
    info = convert(data, source, _SiteFile, SiteError).site
    if not isinstance(raw_rooms, dict):
        raise SiteError(
            source, "rooms", f'Expected a table of rooms ([rooms."112"]), got {raw_rooms!r}'
        )
    # Room by room, so an error names the room (msgspec would say only "rooms[...]").
    rooms = {
        str(key): convert(raw, source, Room, SiteError, at=join("rooms", str(key)))
        for key, raw in raw_rooms.items()
    }
    state = info.deadlines.state
    if state and state.casefold() not in STATE_RULES:
        known = ", ".join(sorted(STATE_RULES))
        raise SiteError(
            source,
            "site.deadlines.state",
            f"no built-in deadline rules for {state!r} (known: {known}); "
            "give your own as [[site.deadlines.rules]]",
        )
    for i, rule in enumerate(info.deadlines.rules):
        if rule.amount <= 0:
            field = f"site.deadlines.rules[{i}].amount"
            raise SiteError(source, field, f"must be positive, got {rule.amount}")
    if known_profiles is not None:
        if info.default_profile not in known_profiles:
            raise _unknown(source, "site.default_profile", info.default_profile, known_profiles)
        for key, room in rooms.items():
            if room.profile is not None and room.profile not in known_profiles:
                field = join(join("rooms", key), "profile")
                raise _unknown(source, field, room.profile, known_profiles)
    return Site(info=info, rooms=rooms)


def load_site(path: Path | str, known_profiles: Collection[str] | None = None) -> Site:
    """Read ``site.toml``; a missing file means defaults (every room on pearson-testnav)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if known_profiles is not None and DEFAULT_PROFILE not in known_profiles:
            raise _unknown(
                f"{path} (missing)", "site.default_profile", DEFAULT_PROFILE, known_profiles
            ) from None
        return Site()
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteError(str(path), "(file)", f"cannot read: {exc}") from None
    return parse_site(text, str(path), known_profiles)
