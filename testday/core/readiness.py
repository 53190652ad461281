"""Provides the readiness engine: what the hub knows of one device, judged against a profile.

Pure: no I/O, no clock of its own. The hub passes ``now`` and its own receive times, so a device's
wrong clock is reported but never decides presence. Reason codes are catalogued in
``reasons.REASONS``; the checks over a report's facts are in ``readiness_facts``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from typing import Literal

from testday_agent.protocol import Facts

from testday.core.presentation import duration, hhmm
from testday.core.profile import Profile
from testday.core.readiness_facts import check_facts
from testday.core.reasons import (
    REASONS,
    SEVERITY_RANK,
    Reason,
    ReasonSpec,
    Severity,
    Status,
    make_reason,
)

__all__ = ["REASONS", "Observed", "Reason", "ReasonSpec", "Verdict", "evaluate"]


@dataclass(frozen=True)
class Observed:
    """What the hub knows about one device, on the hub's clock."""

    facts: Facts | None
    presence: Literal["online", "late", "offline"]  # from the hub's own receive times
    last_seen: float | None
    clock_skew_s: float | None = None  # agent clock minus hub clock
    battery_samples: tuple[tuple[float, float, bool], ...] = ()  # (hub ts, percent, plugged)
    duplicate_peers: tuple[str, ...] = ()  # other live connections claiming this identity
    must_last_until: float | None = None  # None → now + profile.typical_test_minutes


@dataclass(frozen=True)
class Verdict:
    status: Status
    reasons: tuple[Reason, ...]  # worst first


def evaluate(
    profile: Profile, observed: Observed, now: float, *, tz: tzinfo | None = None
) -> Verdict:
    """Judge one device; ``tz`` sets how times in messages read (None: the host's local time)."""
    reasons = list(_presence(profile, observed, now, tz))
    # An offline device's last facts are stale: its one reason is that it is gone.
    if observed.presence != "offline":
        reasons.extend(_identity(observed))
        reasons.extend(_clock(profile, observed.clock_skew_s))
        if observed.facts is None:
            msg = "Connected but has not sent a report yet — wait a few seconds"
            reasons.append(make_reason("device.unreported", "warning", msg))
        else:
            until = observed.must_last_until or now + profile.typical_test_minutes * 60
            reported_at = observed.last_seen if observed.last_seen is not None else now
            samples = observed.battery_samples
            reasons.extend(
                check_facts(profile, observed.facts, samples, reported_at, until, now, tz)
            )
    reasons.sort(key=lambda r: -SEVERITY_RANK[r.severity])  # stable: equal severities keep order
    status: Status = reasons[0].severity if reasons else "ready"
    return Verdict(status, tuple(reasons))


def _presence(
    profile: Profile, observed: Observed, now: float, tz: tzinfo | None
) -> Iterator[Reason]:
    since = None if observed.last_seen is None else max(0.0, now - observed.last_seen)
    if observed.presence == "offline":
        if observed.last_seen is None:
            msg = "Device has never reported — check the agent is installed and running"
        else:
            msg = f"Device has not reported since {hhmm(observed.last_seen, tz)}"
            b = observed.facts.battery if observed.facts else None
            low = profile.battery.warn_percent
            # A low battery is the likely cause, worth saying; a full one is noise.
            if b and b.present and not b.plugged and b.percent is not None and b.percent <= low:
                msg += f" (its battery was at {b.percent:.0f} %: it may have run out)"
            msg += " — check it is on and connected"
        yield make_reason("device.offline", "offline", msg, since)
    elif observed.presence == "late":
        gap = f" for {duration(since)}" if since is not None else ""
        msg = f"No report{gap} — the device may be frozen or losing its connection"
        yield make_reason("device.late", "warning", msg, since)


def _identity(observed: Observed) -> Iterator[Reason]:
    if observed.duplicate_peers:
        peers = ", ".join(observed.duplicate_peers)
        # Readings may come from either machine, and a roster would point at the wrong one.
        msg = (
            f"Another connection claims to be this device ({peers}) — probably a cloned disk "
            "image; give each device its own identity"
        )
        yield make_reason("identity.duplicate", "not_ready", msg, peers)


def _clock(profile: Profile, skew: float | None) -> Iterator[Reason]:
    if skew is None:
        return
    limits = profile.clock
    severity: Severity
    if abs(skew) >= limits.not_ready_skew_s:
        severity, threshold = "not_ready", limits.not_ready_skew_s
    elif abs(skew) >= limits.warn_skew_s:
        severity, threshold = "warning", limits.warn_skew_s
    else:
        return
    side = "ahead of" if skew > 0 else "behind"
    msg = f"Device clock is {duration(skew)} {side} the hub's — sync its time before testing"
    yield make_reason("clock.skew", severity, msg, round(skew, 1), threshold)
