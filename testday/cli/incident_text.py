"""Provides how the incident commands print and read text: the list, show, the timeline file."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from testday.core.incident_fields import (
    FIELDS,
    AffectedStudent,
    DeviceRef,
    IncidentFieldError,
    OtherPerson,
    TimedLine,
    check_text,
)
from testday.core.incidents import STATUSES, Incident, IncidentEvent, IncidentLog
from testday.reports.json_export import incident_record

BRIEF = 60  # characters of a value shown in the history before it is cut


class TimelineFileError(ValueError):
    """A timeline file that cannot be read or has a line that does not parse; names the line."""


# -- timeline --


def read_timeline(path: str, current: Iterable[TimedLine]) -> tuple[TimedLine, ...]:
    """The sequence written in ``path`` ('-' for stdin), in time order.

    The text form keeps whole seconds and prints line breaks as spaces, so a line that still reads
    as printed keeps its stored line (and a same-second time its stored instant): re-reading an
    unedited file changes nothing.
    """
    name = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TimelineFileError(f"cannot read {name}: {exc}") from None
    stored = {(_second(line.at), flat(line.text)): line for line in current}
    instants = {_second(line.at): line.at for line in current}
    lines: list[TimedLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # The printed form separates with a TAB; an editor may have turned it into spaces.
        if "\t" in line:
            when_text, what = line.split("\t", 1)
        else:
            when_text, _, what = line.partition(" ")
        where = f"{name}, line {number}"
        try:
            when = datetime.fromisoformat(when_text.strip())
        except ValueError:
            raise TimelineFileError(
                f"{where}: {when_text.strip()!r} is not a time such as "
                f"{local_time(now(), 'T')} (then a TAB and the text)"
            ) from None
        when = when if when.tzinfo else when.astimezone()
        what = what.strip()
        if not what:
            raise TimelineFileError(f"{where}: no text after the time")
        try:
            check_text("text", what)
        except IncidentFieldError as exc:
            raise TimelineFileError(f"{where}: {exc}") from None
        key = (_second(when), what)
        lines.append(stored.get(key) or TimedLine(instants.get(key[0], when), what))
    if not lines:
        raise TimelineFileError(f"{name} has no lines; the sequence of events was left as it is")
    return tuple(sorted(lines, key=lambda line: line.at))


def _second(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def flat(text: str) -> str:
    return re.sub(r"\s*[\t\r\n]+\s*", " ", text).strip()


# -- list and show --


def list_incidents(args: argparse.Namespace, log: IncidentLog) -> int:
    chosen = [
        i
        for i in log.incidents()
        if (args.status is None or i.status == args.status)
        and (args.session is None or i.session_id == args.session)
    ]
    # Newest first, then a stable sort by status: open work on top, closed at the bottom.
    chosen.sort(key=lambda i: i.occurred_at or i.created_at, reverse=True)
    chosen.sort(key=lambda i: STATUSES.index(i.status))
    if args.json:
        print(json.dumps([incident_record(i) for i in chosen], ensure_ascii=False, indent=2))
        return 0
    if not chosen:
        print("no incidents")
        return 0
    header = ("ID", "OCCURRED", "ROOM", "CATEGORY", "SEVERITY", "STATUS", "STUDENTS", "SOURCE")
    rows = [header] + [_row(i) for i in chosen]
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _row(i: Incident) -> tuple[str, ...]:
    occurred = (i.occurred_at or i.created_at).astimezone().strftime("%Y-%m-%d %H:%M")
    category = "/".join(c for c in (i.category, i.subcategory) if c) or "-"
    return (i.id, occurred, i.room or "-", category, i.severity or "-", i.status,
            str(len(i.affected_students)), i.source or "-")  # fmt: skip


def show_incident(args: argparse.Namespace, log: IncidentLog) -> int:
    incident = log.incident(args.id)
    entries = [e for e in log.entries if e.event.incident_id == incident.id]
    if args.json:
        record = {"incident": incident_record(incident), "events": [e.as_record() for e in entries]}
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    print(f"{incident.id}: {incident.status}")
    shown = [f for f in dataclasses.fields(incident) if f.name not in ("id", "sequence", "notes")]
    width = max(len(f.name) for f in shown) + 1
    for f in shown:
        value = getattr(incident, f.name)
        if value is None or value == () or (isinstance(value, Mapping) and not value):
            continue
        text = _display(value).replace("\n", "\n" + " " * (width + 3))
        print(f"  {f.name + ':':<{width}} {text}")
    print("sequence of events:" if incident.sequence else "sequence of events: none")
    for line in incident.sequence:
        print(f"  {local_time(line.at)}  {flat(line.text)}")
    print("notes:" if incident.notes else "notes: none")
    for note in incident.notes:
        print(f"  {local_time(note.at)}  {note.actor}: {flat(note.text)}")
    print("history:")
    for entry in entries:
        event: IncidentEvent = entry.event
        head, *more = _detail(event) or [""]
        when = local_time(event.ts)
        print(f"  {entry.seq:>4}  {when}  {event.actor}  {event.kind}  {head}".rstrip())
        for detail in more:  # one line per changed field: a long row would hide which changed
            print(f"        {detail}")
    return 0


def _detail(event: IncidentEvent) -> list[str]:
    """What an event did, in lines; a field change has one line per field."""
    data = event.data
    if event.kind == "field_changed":
        return [
            f"{c['field']}: {_brief(c['field'], c['old'])} -> {_brief(c['field'], c['new'])}"
            for c in data["changes"]
        ]
    if event.kind == "status_changed":
        return [f"{data['from']} -> {data['to']}"]
    if event.kind == "note_added":
        return [_cut(flat(data["text"]))]
    if event.kind == "timeline_drafted":
        return [f"sequence: {_lines(data['lines'])}"]
    if event.kind == "created":
        fields = data["fields"]
        what = "/".join(fields[k] for k in ("category", "subcategory") if fields.get(k))
        return [", ".join(x for x in (what, fields.get("severity"), fields.get("source")) if x)]
    return []


def _lines(raw: Any) -> str:
    count = len(raw or ())
    return f"{count} line" if count == 1 else f"{count} lines"


def summary(event: IncidentEvent) -> str:
    if event.kind == "field_changed":
        names = [c["field"] for c in event.data["changes"]]
        if names == ["sequence"]:
            return f"sequence of events set, {_lines(event.data['changes'][0]['new'])}"
        return f"changed {', '.join(names)}"
    if event.kind == "status_changed":
        return f"{event.data['from']} -> {event.data['to']}"
    return "note added"


def _brief(name: str, raw: Any) -> str:
    """A field's stored (JSON) value as a short text for the history."""
    if raw is None or raw == []:
        return "-"
    if name == "sequence":
        return _lines(raw)
    return _cut(flat(_display(FIELDS[name].decode(raw))))


def _display(value: Any) -> str:
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, tuple):
        return ", ".join(_item(v) for v in value)
    return str(value)


def _item(value: Any) -> str:
    if isinstance(value, AffectedStudent):
        started = f" (started {local_time(value.started_at)})" if value.started_at else ""
        return value.state_id + started
    if isinstance(value, DeviceRef):
        return value.device_id + (f" [{value.asset_tag}]" if value.asset_tag else "")
    if isinstance(value, OtherPerson):
        return f"{value.name} ({value.role}{', statement taken' if value.statement_taken else ''})"
    return str(value)


def _cut(text: str) -> str:
    return text if len(text) <= BRIEF else text[: BRIEF - 1] + "…"


def local_time(when: datetime, sep: str = " ") -> str:
    # Reports are read locally: the stored offset may be the hub's or UTC.
    return when.astimezone().isoformat(sep=sep, timespec="seconds")


def now() -> datetime:
    return datetime.now().astimezone()
