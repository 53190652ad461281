"""Provides the testing-platform profile: a vendor's readiness numbers as strictly checked data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Generic, TypeVar

import msgspec
from testday_agent.protocol import AppRule, Checks, Endpoint, OsFamily

from testday.core.strict_toml import ConfigError, convert, load_toml
from testday.core.versions import VersionError, compare, parse_version

OS_FAMILIES: tuple[OsFamily, ...] = ("windows", "macos", "linux", "chromeos")
DEFAULT_VERSION_PATTERN = r"(\d+(?:\.\d+)+)"
_PROFILE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# An unknown key in a per-OS table is an OS family we do not know, not a spelling slip.
_FAMILY_HINT = f"unknown OS family (known: {', '.join(OS_FAMILIES)})"
_HINTS = {"os": _FAMILY_HINT, "detect": _FAMILY_HINT, "paths": _FAMILY_HINT}


class ProfileError(ConfigError):
    """A profile file that does not decode or does not make sense."""


# Subclasses say frozen=True again: msgspec inherits it, type checkers see it only where written.
class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Frozen, and an unknown key is an error: a typo must not silently become a default."""


_Entry = TypeVar("_Entry")


class _PerOs(_Strict, Generic[_Entry], frozen=True):
    """One optional entry per OS family; a family we do not know is an unknown field."""

    def items(self) -> list[tuple[OsFamily, _Entry]]:
        return [(f, getattr(self, f)) for f in OS_FAMILIES if getattr(self, f) is not None]

    def get(self, family: str | None) -> _Entry | None:
        return getattr(self, family) if family in OS_FAMILIES else None


class Battery(_Strict, frozen=True):
    warn_percent: int = 25
    critical_percent: int = 10
    floor_percent: int = 10  # charge it must still have when the test ends


class Clock(_Strict, frozen=True):
    warn_skew_s: float = 60.0
    not_ready_skew_s: float = 300.0


class DiskPaths(_PerOs[str], frozen=True):
    windows: str | None = None
    macos: str | None = None
    linux: str | None = None
    chromeos: str | None = None


class Disk(_Strict, frozen=True):
    min_free_mb: float = 500.0
    paths: DiskPaths = msgspec.field(default_factory=DiskPaths)  # where responses are saved


class Memory(_Strict, frozen=True):
    min_available_mb: float = 256.0


class EndpointSpec(_Strict, frozen=True):
    name: str
    host: str
    port: int = 443
    required: bool = True  # an optional endpoint that fails is a warning, not "not ready"


class Network(_Strict, frozen=True):
    hosts: tuple[str, ...] = ()
    endpoints: tuple[EndpointSpec, ...] = ()
    connect_timeout_s: float = 2.0
    slow_connect_ms: float = 500.0


class OsRule(_Strict, frozen=True):
    min_version: str | None = None  # below: the vendor's app refuses or is unsupported → not ready
    warn_below: str | None = None  # below: works but outside the vendor's support → warning
    excluded: tuple[str, ...] = ()  # version lines known bad ("131" covers 131.x) → not ready


class OsRules(_PerOs[OsRule], frozen=True):
    windows: OsRule | None = None
    macos: OsRule | None = None
    linux: OsRule | None = None
    chromeos: OsRule | None = None


class Detection(_Strict, frozen=True):
    """How the agent finds an app on one OS family (see testday_agent.protocol.AppRule)."""

    paths: tuple[str, ...] = ()
    bundle: str | None = None
    version_file: str | None = None
    version_command: tuple[str, ...] = ()
    version_pattern: str = DEFAULT_VERSION_PATTERN
    process_names: tuple[str, ...] = ()
    min_version: str | None = None  # overrides the app's min_version on this OS


class DetectionRules(_PerOs[Detection], frozen=True):
    windows: Detection | None = None
    macos: Detection | None = None
    linux: Detection | None = None
    chromeos: Detection | None = None


class App(_Strict, frozen=True):
    name: str
    min_version: str | None = None
    chromeos_app_id: str | None = None  # kiosk app id, for Google Admin; agents do not use it
    detect: DetectionRules = msgspec.field(default_factory=DetectionRules)

    def min_version_for(self, family: str | None) -> str | None:
        rule = self.detect.get(family)
        return rule.min_version if rule is not None and rule.min_version else self.min_version


class SessionRules(_Strict, frozen=True):
    """Vendor timing rules, as data for session tooling (readiness does not use them)."""

    staff_idle_logout_min: int | None = None
    student_idle_pause_min: int | None = None
    pause_blocks_review_min: int | None = None
    logins_per_minute: int | None = None
    proxy_timeout_extra_min: int | None = None  # proxies must time out this much after the session


class Profile(_Strict, frozen=True):
    id: str
    name: str
    vendor: str
    typical_test_minutes: int = 60
    bandwidth_kbps_per_student: float | None = None
    initial_load_mb: float | None = None
    sources: tuple[str, ...] = ()
    battery: Battery = msgspec.field(default_factory=Battery)
    clock: Clock = msgspec.field(default_factory=Clock)
    disk: Disk = msgspec.field(default_factory=Disk)
    memory: Memory = msgspec.field(default_factory=Memory)
    network: Network = msgspec.field(default_factory=Network)
    os: OsRules = msgspec.field(default_factory=OsRules)
    apps: tuple[App, ...] = ()
    session: SessionRules = msgspec.field(default_factory=SessionRules)

    def checks(self, disk_path_os: str | None = None) -> Checks:
        """What the hub sends agents: every OS's rules (each agent keeps its own)."""
        rules = [
            AppRule(
                name=app.name,
                os_family=family,
                paths=list(d.paths),
                bundle=d.bundle,
                version_file=d.version_file,
                version_command=list(d.version_command),
                version_pattern=d.version_pattern,
                process_names=list(d.process_names),
            )
            for app in self.apps
            for family, d in app.detect.items()
        ]
        # Endpoint hosts are resolved too, so a DNS failure is told apart from a refused connect.
        endpoint_hosts = [e.host for e in self.network.endpoints]
        hosts = list(dict.fromkeys([*self.network.hosts, *endpoint_hosts]))
        return Checks(
            profile=self.id,
            apps=rules,
            hosts=hosts,
            endpoints=[Endpoint(e.name, e.host, e.port) for e in self.network.endpoints],
            connect_timeout_s=self.network.connect_timeout_s,
            disk_path=self.disk.paths.get(disk_path_os),
        )


def parse_profile(text: str, source: str) -> Profile:
    """Decode and check one profile; raises ProfileError naming ``source`` and the field."""
    data = load_toml(text, source, ProfileError)
    profile = convert(data, source, Profile, ProfileError, unknown_hints=_HINTS)
    problem = _first_problem(profile)
    if problem is not None:
        raise ProfileError(source, *problem)
    return profile


# --- semantic checks ------------------------------------------------------------------------------


def _version_problem(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_version(value)
    except VersionError as exc:
        return str(exc)
    return None


def _first_problem(p: Profile) -> tuple[str, str] | None:
    """The first (field, problem) that makes no sense, or None."""
    return next(_problems(p), None)


def _problems(p: Profile) -> Iterator[tuple[str, str]]:
    if not _PROFILE_ID.match(p.id):
        yield "id", f"{p.id!r} must be lowercase letters, digits and dashes"
    if p.typical_test_minutes <= 0:
        yield "typical_test_minutes", "must be more than 0"
    if p.bandwidth_kbps_per_student is not None and p.bandwidth_kbps_per_student <= 0:
        yield "bandwidth_kbps_per_student", "must be more than 0"
    b = p.battery
    if not 0 <= b.critical_percent < b.warn_percent <= 100:
        yield (
            "battery.critical_percent",
            f"must be ≥ 0 and below warn_percent ({b.critical_percent} vs {b.warn_percent}), "
            "and warn_percent ≤ 100",
        )
    if not 0 <= b.floor_percent <= 100:
        yield "battery.floor_percent", f"{b.floor_percent} is not between 0 and 100"
    if not 0 < p.clock.warn_skew_s <= p.clock.not_ready_skew_s:
        yield "clock.warn_skew_s", "must be more than 0 and at most not_ready_skew_s"
    n = p.network
    if n.connect_timeout_s <= 0:
        yield "network.connect_timeout_s", "must be more than 0"
    if not 0 < n.slow_connect_ms < n.connect_timeout_s * 1000:
        yield "network.slow_connect_ms", "must be more than 0 and below the connect timeout"
    seen: set[str] = set()
    for i, e in enumerate(n.endpoints):
        if not 1 <= e.port <= 65535:
            yield f"network.endpoints[{i}].port", f"{e.port} is not a port (1–65535)"
        if not e.host.strip():
            yield f"network.endpoints[{i}].host", "is empty"
        if e.name in seen:
            yield f"network.endpoints[{i}].name", f"duplicate endpoint name {e.name!r}"
        seen.add(e.name)
    for family, rule in p.os.items():
        for key in ("min_version", "warn_below"):
            if problem := _version_problem(getattr(rule, key)):
                yield f"os.{family}.{key}", problem
        for j, v in enumerate(rule.excluded):
            if problem := _version_problem(v):
                yield f"os.{family}.excluded[{j}]", problem
        if rule.min_version and rule.warn_below:
            try:
                if compare(rule.warn_below, rule.min_version) < 0:
                    yield f"os.{family}.warn_below", "is below min_version"
            except VersionError as exc:
                yield f"os.{family}.warn_below", str(exc)
    names: set[str] = set()
    for i, app in enumerate(p.apps):
        if app.name in names:
            yield f"apps[{i}].name", f"duplicate app name {app.name!r}"
        names.add(app.name)
        if problem := _version_problem(app.min_version):
            yield f"apps[{i}].min_version", problem
        for family, d in app.detect.items():
            at = f"apps[{i}].detect.{family}"
            if problem := _version_problem(d.min_version):
                yield f"{at}.min_version", problem
            try:
                re.compile(d.version_pattern)
            except re.error as exc:
                yield f"{at}.version_pattern", f"not a valid regular expression: {exc}"
