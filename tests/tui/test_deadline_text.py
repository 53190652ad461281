"""Tests the incident deadline words the dashboard shows, run on the dashboard's clock."""

from __future__ import annotations

from datetime import UTC, datetime

from testday.console_protocol.desk_views import DeadlineView
from testday.tui.desk_text import deadline_text
from tests.tui.desk_data import make_incident

DUE = datetime(2027, 4, 13, 10, 0, tzinfo=UTC).timestamp()  # a Tuesday
INCIDENT = make_incident(
    "INC-1",
    deadlines=(
        DeadlineView(label="notify", due=DUE, met=False),
        DeadlineView(label="file", due=DUE + 13 * 86400, met=True),
    ),
)


def test_due_then_overdue_and_met_clocks_read_plainly() -> None:
    """One line per deadline: its time left (or overdue), its due time, or "met"."""
    before = deadline_text(INCIDENT, DUE - 3 * 3600, UTC)
    assert before == "notify: due in 3 h 0 min (Tue 10:00); file: met"
    after = deadline_text(INCIDENT, DUE + 45 * 60, UTC)
    assert after.startswith("notify: overdue by 45 min (Tue 10:00)")
    assert deadline_text(make_incident("INC-2"), DUE, UTC) == "—"
