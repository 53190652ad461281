"""Provides the JSON export: every incident's current state, its events, and the hash chain.

Layout (``format`` names it, ``version`` changes only when a reader would misread it)::

    {"format": "testday-incidents", "version": 1, "exported_at": ISO time,
     "count": number of chain entries, "tip_hash": hash of the last entry (GENESIS if none),
     "chain": [{"seq", "prev_hash", "hash", "event"}, ...],           # every event, in order
     "incidents": [{"id", "event_seqs": [seq, ...], "state": {...}}]}  # folded current state

Each event appears once, in ``chain``; an incident lists the seqs of its events. ``tip_hash`` lets
the verifier notice entries cut from the end, which would otherwise leave a valid shorter chain.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from testday.core import hash_chain
from testday.core.incident_fields import FIELDS
from testday.core.incidents import Incident, IncidentLog
from testday.reports.files import Progress, private_atomic_writer, report

FORMAT = "testday-incidents"
VERSION = 1


def incident_record(incident: Incident) -> dict[str, Any]:
    """An incident's state as JSON-ready data, each report field in its stored (event) form."""
    record: dict[str, Any] = {}
    for f in dataclasses.fields(incident):
        value = getattr(incident, f.name)
        if f.name in FIELDS:
            record[f.name] = None if value is None else FIELDS[f.name].encode(value)
        elif f.name == "notes":
            record[f.name] = [
                {"at": n.at.isoformat(), "actor": n.actor, "text": n.text} for n in value
            ]
        elif isinstance(value, datetime):
            record[f.name] = value.isoformat()
        else:
            record[f.name] = value
    # Tuples become lists, as they would after a JSON round trip; comparisons then hold.
    round_tripped: dict[str, Any] = json.loads(_dumps(record))
    return round_tripped


def event_seqs(log: IncidentLog) -> dict[str, list[int]]:
    """Incident id → the seqs of its chain entries, in order."""
    seqs: dict[str, list[int]] = {}
    for entry in log.entries:
        seqs.setdefault(entry.event.incident_id, []).append(entry.seq)
    return seqs


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)


def export_json(
    log: IncidentLog, path: Path, now: datetime, progress: Progress | None = None
) -> int:
    """Write ``log`` to ``path`` (atomically, mode 0600); return the number of incidents."""
    entries = log.entries
    incidents = log.incidents()
    seqs = event_seqs(log)
    total = len(entries) + len(incidents)
    done = 0
    tip = entries[-1].hash if entries else hash_chain.GENESIS
    with private_atomic_writer(path) as out:
        # Written piece by piece so a 10,000-incident export never builds one giant string.
        out.write(f'{{"format": "{FORMAT}", "version": {VERSION}, ')
        out.write(f'"exported_at": {_dumps(now.isoformat())}, "count": {len(entries)}, ')
        out.write(f'"tip_hash": "{tip}",\n "chain": [')
        for i, entry in enumerate(entries):
            out.write(("," if i else "") + "\n  " + _dumps(entry.as_record()))
            done += 1
            report(progress, done, total)
        out.write('\n ],\n "incidents": [')
        for i, incident in enumerate(incidents):
            item = {
                "id": incident.id,
                "event_seqs": seqs.get(incident.id, []),
                "state": incident_record(incident),
            }
            out.write(("," if i else "") + "\n  " + _dumps(item))
            done += 1
            report(progress, done, total)
        out.write("\n ]\n}\n")
    if progress is not None and total == 0:
        progress(0, 0)
    return len(incidents)
