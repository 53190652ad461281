"""Provides the verifier for JSON exports and the live chain: hash links, then folded states.

An export passes when its chain verifies (up to its recorded ``tip_hash``), the events fold into
incidents without error, and every exported incident's state and event list equal that fold. The
first problem is named by chain seq and, where it concerns one incident, by incident id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testday.core import hash_chain
from testday.core.hash_chain import ChainEntry
from testday.core.incidents import IncidentEvent, IncidentLog
from testday.reports.json_export import FORMAT, event_seqs, incident_record


@dataclass(frozen=True)
class Check:
    """The outcome: ``ok``, or the first bad entry's seq and/or incident id and why."""

    ok: bool
    seq: int | None = None
    incident_id: str | None = None
    reason: str = ""
    entries: int = 0
    incidents: int = 0

    def describe(self) -> str:
        if self.ok:
            return f"chain OK: {self.entries} entries, {self.incidents} incidents"
        where = [f"seq {self.seq}"] if self.seq is not None else []
        where += [f"incident {self.incident_id}"] if self.incident_id else []
        return f"first bad entry: {', '.join(where) or 'file'}: {self.reason}"


def verify_entries(entries: Sequence[ChainEntry], tip_hash: str | None = None) -> Check:
    """Check the links, then that the events replay into incidents without error."""
    return _verify(entries, tip_hash)[1]


def _verify(
    entries: Sequence[ChainEntry], tip_hash: str | None
) -> tuple[IncidentLog | None, Check]:
    result = hash_chain.verify(entries, tip_hash)
    if not result.ok:
        seq = result.first_bad_seq
        return None, Check(False, seq, _incident_of(entries, seq), result.reason)
    log, check = _fold(entries)
    if log is None:
        return None, check
    return log, Check(True, entries=len(entries), incidents=len(log.incidents()))


def _fold(entries: Sequence[ChainEntry]) -> tuple[IncidentLog | None, Check]:
    # names_allowed: whether names belong in the file is the site's policy, not the verifier's.
    log = IncidentLog(names_allowed=True)
    for entry in entries:
        try:
            log.append(IncidentEvent.from_record(entry.event))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            why = f"event does not apply to its incident: {exc}"
            return None, Check(False, entry.seq, _incident_of(entries, entry.seq), why)
    return log, Check(True)


def _incident_of(entries: Sequence[ChainEntry], seq: int | None) -> str | None:
    if seq is None or not 1 <= seq <= len(entries):
        return None
    event = entries[seq - 1].event
    found = event.get("incident_id") if isinstance(event, Mapping) else None
    return found if isinstance(found, str) else None


def verify_export(path: Path) -> Check:
    """Verify a JSON export written by :func:`testday.reports.json_export.export_json`."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return Check(False, reason=f"cannot read {path} as JSON: {exc}")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return Check(False, reason=f"not a testday incident export (format is not {FORMAT!r})")
    chain = doc.get("chain")
    if not isinstance(chain, list):
        return Check(False, reason="the export has no chain list")
    entries = []
    for position, raw in enumerate(chain, start=1):
        try:
            entries.append(ChainEntry(raw["seq"], raw["prev_hash"], raw["hash"], raw["event"]))
        except (TypeError, KeyError) as exc:
            return Check(False, position, reason=f"chain entry is malformed: missing {exc}")
    if doc.get("count") != len(entries):
        return Check(False, len(entries) + 1, reason=f"export says {doc.get('count')} entries, "
                     f"holds {len(entries)}")  # fmt: skip
    log, check = _verify(entries, doc.get("tip_hash", hash_chain.GENESIS))
    if log is None:
        return check
    return _compare_incidents(doc.get("incidents"), log, len(entries))


def _compare_incidents(exported: Any, log: IncidentLog, count: int) -> Check:
    if not isinstance(exported, list):
        return Check(False, reason="the export has no incidents list")
    seqs = event_seqs(log)
    seen: set[str] = set()
    for item in exported:
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str) or item_id not in seqs:
            return Check(
                False, incident_id=str(item_id), reason="incident has no events in the chain"
            )
        last = seqs[item_id][-1]
        if item_id in seen:
            return Check(False, last, item_id, "incident is listed twice")
        seen.add(item_id)
        if item.get("event_seqs") != seqs[item_id]:
            return Check(False, last, item_id, "its event list does not match the chain")
        state, folded = item.get("state"), incident_record(log.incident(item_id))
        if state != folded:
            fields = sorted(
                k for k in set(folded) | set(state or {})
                if not isinstance(state, dict) or state.get(k) != folded.get(k)
            )  # fmt: skip
            why = f"state does not equal the fold of its events (fields: {', '.join(fields)})"
            return Check(False, last, item_id, why)
    missing = sorted(set(seqs) - seen)
    if missing:
        return Check(False, seqs[missing[0]][0], missing[0], "incident is missing from the export")
    return Check(True, entries=count, incidents=len(seen))
