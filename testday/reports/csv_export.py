"""Provides the CSV export: one row per affected student per incident, for a state's bulk upload.

The columns are :data:`COLUMNS`, in this order; they are a stable interface (a state's upload
template is mapped onto them once), so columns are only ever added at the end, never renamed.

======================  ===========================================================================
Column                  Content
======================  ===========================================================================
incident_id             the incident's id (repeated on each of its rows)
status                  open, reported, pending_approval, approved, rejected or closed
category                technical, security, accommodation, disruption, student_illness_leaving…
subcategory             e.g. device_lost, network_outage (see incident_fields.CATEGORIES)
severity                procedural or serious
student_state_id        the affected student's state ID; empty on an incident with no students
student_name            the student's name, only where the site turned names on; else empty
student_started_at      when that student started the affected test (ISO 8601), if known
occurred_at             when the irregularity happened (ISO 8601 with offset)
district_code           district code
school_code             school code
program                 testing program
test                    test name
content_area            content area
grade                   grade
session_id              testing session id
room                    room
devices                 affected device ids, separated by "; "
sequence_of_events      one line per event: "ISO time  text", lines separated by a newline
action_taken            action taken
how_completed           how testing was completed
requested_outcome       none, invalidate, reset, reopen, grace_period_extension or void
outcome_reason          reason for the requested outcome
outcome_comments        comments on the requested outcome
corrective_action       corrective action
submitter               who submits the report
reviewer                who reviews it
created_by              who logged the incident
created_at              when it was logged (ISO 8601)
updated_at              when its last event was appended (ISO 8601)
======================  ===========================================================================

Empty means "not recorded". Values are never altered to suit spreadsheets; quote rules are RFC 4180.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from testday.core.incident_fields import AffectedStudent
from testday.core.incidents import Incident
from testday.reports.files import Progress, private_atomic_writer, report

COLUMNS: tuple[str, ...] = (
    "incident_id", "status", "category", "subcategory", "severity",
    "student_state_id", "student_name", "student_started_at", "occurred_at",
    "district_code", "school_code", "program", "test", "content_area", "grade", "session_id",
    "room", "devices", "sequence_of_events", "action_taken", "how_completed",
    "requested_outcome", "outcome_reason", "outcome_comments", "corrective_action",
    "submitter", "reviewer", "created_by", "created_at", "updated_at",
)  # fmt: skip
_PLAIN = (
    "status", "category", "subcategory", "severity", "district_code", "school_code", "program",
    "test", "content_area", "grade", "session_id", "room", "action_taken", "how_completed",
    "requested_outcome", "outcome_reason", "outcome_comments", "corrective_action", "submitter",
    "reviewer", "created_by",
)  # fmt: skip


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# A spreadsheet runs a cell that starts with one of these as a formula: a room a device named
# "=HYPERLINK(…)" must arrive as text. The usual guard: a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(value: str) -> str:
    """``value`` as a spreadsheet will show it, never run it."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def incident_rows(incident: Incident) -> list[dict[str, str]]:
    """The CSV rows of one incident: one per affected student, or one with no student."""
    base = {name: _text(getattr(incident, name)) for name in _PLAIN}
    base.update(
        incident_id=incident.id,
        occurred_at=_text(incident.occurred_at),
        devices="; ".join(d.device_id for d in incident.devices),
        sequence_of_events="\n".join(
            f"{_text(line.at)}  {line.text}" for line in incident.sequence
        ),
        created_at=_text(incident.created_at),
        updated_at=_text(incident.updated_at),
    )
    names = incident.student_names or {}
    students: Iterable[AffectedStudent | None] = incident.affected_students or (None,)
    rows = []
    for student in students:
        row = dict(base)
        row["student_state_id"] = student.state_id if student else ""
        row["student_name"] = names.get(student.state_id, "") if student else ""
        row["student_started_at"] = _text(student.started_at) if student else ""
        rows.append({name: as_text_cell(row[name]) for name in COLUMNS})
    return rows


def export_csv(incidents: Iterable[Incident], path: Path, progress: Progress | None = None) -> int:
    """Write the incidents to ``path`` (atomically, mode 0600); return the number of rows."""
    items = list(incidents)
    rows = 0
    # newline="": the csv module writes its own CRLF line ends (RFC 4180).
    with private_atomic_writer(path, newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="raise")
        writer.writeheader()
        for done, incident in enumerate(items, start=1):
            for row in incident_rows(incident):
                writer.writerow(row)
                rows += 1
            report(progress, done, len(items))
    if progress is not None and not items:
        progress(0, 0)
    return rows
