"""Tests the incident deadline words the dashboard shows, run on the dashboard's clock."""

from __future__ import annotations

from datetime import UTC, datetime

from testday.tui.desk_text import deadline_text

DUE = datetime(2027, 4, 13, 10, 0, tzinfo=UTC).timestamp()  # a Tuesday
INCIDENT = {
    "id": "INC-1",
    "deadlines": [
        {"label": "notify", "due": DUE, "met": False},
        {"label": "file", "due": DUE + 13 * 86400, "met": True},
    ],
}


def test_due_then_overdue_and_met_clocks_read_plainly() -> None:
    before = deadline_text(INCIDENT, DUE - 3 * 3600, UTC)
    assert before == "notify: due in 3 h 0 min (Tue 10:00); file: met"
    after = deadline_text(INCIDENT, DUE + 45 * 60, UTC)
    assert after.startswith("notify: overdue by 45 min (Tue 10:00)")
    assert deadline_text({"id": "INC-2"}, DUE, UTC) == "—"
