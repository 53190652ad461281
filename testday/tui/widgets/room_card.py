"""Provides RoomCard: one room at a glance — verdict counts, profile, session, worst problem."""

from __future__ import annotations

from datetime import tzinfo

from textual.app import ComposeResult
from textual.containers import Vertical

from testday.console_client.fleet_order import RoomSummary
from testday.console_client.session_clock import PauseWarning, clock_parts
from testday.console_protocol.desk_views import SessionView
from testday.core.presentation import VERDICTS, verdict_label
from testday.tui.formatting import css_class, short_title
from testday.tui.widgets.field import Field


class RoomCard(Vertical, can_focus=True):
    """Its classes (-offline, -not-ready, -warning, -ready, -empty, -stale) set its colour;
    -pause-warning and -pause-expired mark a session paused too long; -no-session hides the
    clock line; -net-warning and -net-problem colour the network line, which takes the profile's
    place (the profile moves to its tooltip) when the hub watches the room's network."""

    def __init__(self, room: str) -> None:
        super().__init__(classes="room-card")
        self.room = room
        self.border_title = room
        self._ready = Field(classes="ready")
        self._problems = Field(classes="problems")
        self._profile = Field(classes="profile")
        self._session = Field("no session", classes="session")
        self._clock = Field(classes="clock")
        self._worst = Field(classes="worst")
        self._status: str | None = None
        self._pause_level: str | None = None
        self._net_status: str | None = None
        self.session: SessionView | None = None

    def compose(self) -> ComposeResult:
        yield self._ready
        yield self._problems
        yield self._profile
        yield self._session
        yield self._clock
        yield self._worst

    def show(self, summary: RoomSummary, stale: bool) -> None:
        counts, status = summary.counts, summary.status
        total = summary.total
        self._ready.show(
            "all ready"
            if total and counts["ready"] == total
            else f"{counts['ready']}/{total} ready"
        )
        problems = [f"{counts[v]} {verdict_label(v)}" for v in VERDICTS[:-1] if counts[v]]
        self._problems.show(" · ".join(problems) or "no problems")
        self._show_network(summary)
        self.session = summary.session
        self._session.show(f"session {summary.session.title}" if summary.session else "no session")
        worst = summary.worst_device
        self._worst.show(f"{worst}: {short_title(summary.worst_reason)}" if worst else "")
        self._worst.tooltip = summary.worst_problem  # the whole sentence, on hover
        # Touch classes only on a change: each one restyles the card.
        if status != self._status:
            if self._status is not None:
                self.remove_class(css_class(self._status))
            self.add_class(css_class(status))
            self._status = status
            self.border_subtitle = verdict_label(status)
        if stale != self.has_class("-stale"):
            self.set_class(stale, "-stale")

    def _show_network(self, summary: RoomSummary) -> None:
        """The network line replaces the profile's: the card keeps its height."""
        profile = f"profile {summary.profile or '—'}"
        network = summary.network
        if network is None:
            self._profile.show(profile)
            tooltip = None
        else:
            line = f"net: {network.summary or network.status}"
            self._profile.show(line)
            tooltip = f"{line}\n{profile}"  # a narrow card cuts the line: whole here
        if self._profile.tooltip != tooltip:
            self._profile.tooltip = tooltip
        status = network.status if network else None
        if status != self._net_status:
            self.set_class(status == "warning", "-net-warning")
            self.set_class(status == "problem", "-net-problem")
            self._net_status = status

    def show_clock(self, now: float, tz: tzinfo | None, warning: PauseWarning | None) -> None:
        """Every tick: the session's clock moves even when nothing in the room changed."""
        session = self.session
        self.set_class(session is None, "-no-session")  # no clock line: nothing gapes
        if session is None:
            self._session.show("no session")
            self._clock.show("")
        else:
            # Two lines, so "resume by 10:52" is never the part cut off a narrow card.
            what, when = clock_parts(session, now, tz)
            self._session.show(f"{session.title} · {what}")
            self._clock.show(when)
        self._clock.tooltip = warning.message if warning else None
        level = warning.level if warning else None
        if level != self._pause_level:
            self.set_class(level == "warning", "-pause-warning")
            self.set_class(level == "expired", "-pause-expired")
            self._pause_level = level
