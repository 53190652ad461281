"""Provides the PDF export: a printable report per session: timeline, incidents, signatures.

Layout: a cover block (site, generated at, number of incidents, the chain tip hash so the paper
can be matched to the data), then one section per testing session, starting on a new page, in
session id order; incidents without a session come last under "Unscheduled". A section holds the
session's timeline (every sequence-of-events line of its incidents, by time), each incident's
report fields as label/value rows, and signature lines for the test administrator and approver.

Text is set in DejaVu Sans when the system has it (any Unicode the font covers prints as is);
otherwise in the PDF core font Helvetica, which is latin-1 only, so other characters are replaced
by close ASCII (``—`` → ``-``, ``≤`` → ``<=``) or ``?``. Students appear by state ID only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from testday.core import hash_chain
from testday.core.incidents import Incident, IncidentLog
from testday.core.presentation import DAY_TIME, label, recorded_at
from testday.reports.files import Progress, report, write_private_bytes

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
UNSCHEDULED = "Unscheduled"
LABEL_WIDTH = 42  # mm: wide enough for "Affected students" in 9 pt bold
LINE = 5  # mm per text line at 9 pt

# Core fonts cannot encode these; close ASCII keeps a printed report readable.
_ASCII = str.maketrans({
    "—": "-", "–": "-", "‒": "-", "−": "-", "‐": "-", "‘": "'", "’": "'", "‚": ",", "“": '"',
    "”": '"', "„": '"', "…": "...", "≤": "<=", "≥": ">=", "≠": "!=", "→": "->", "←": "<-",
    "↔": "<->", "⇄": "<->", "•": "*", "·": "*", "✓": "v", "✗": "x", "\u00a0": " ", "\u2009": " ",
})  # fmt: skip


def _latin1(text: str) -> str:
    return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


def _as_is(text: str) -> str:
    return text


def group_by_session(incidents: Iterable[Incident]) -> list[tuple[str, list[Incident]]]:
    """(session id, its incidents) by session id; incidents with no session last, as Unscheduled."""
    groups: dict[str, list[Incident]] = {}
    loose: list[Incident] = []
    for incident in incidents:
        if incident.session_id:
            groups.setdefault(incident.session_id, []).append(incident)
        else:
            loose.append(incident)
    ordered = [(sid, groups[sid]) for sid in sorted(groups)]
    return ordered + ([(UNSCHEDULED, loose)] if loose else [])


def incident_rows(incident: Incident) -> list[tuple[str, str]]:
    """The label/value rows printed for one incident (empty values print as blank, not omitted)."""
    category = incident.category or ""
    if incident.subcategory:
        category = f"{category} / {incident.subcategory}"
    return [
        ("Category", category),
        ("Severity", incident.severity or ""),
        ("Room", incident.room or ""),
        ("Occurred at", recorded_at(incident.occurred_at)),
        ("Devices", ", ".join(d.device_id for d in incident.devices)),
        ("Affected students", ", ".join(s.state_id for s in incident.affected_students)),
        ("Action taken", incident.action_taken or ""),
        ("How completed", incident.how_completed or ""),
        ("Outcome", label(incident.requested_outcome or "none")),
        ("Status", label(incident.status)),
    ]


class _Report(FPDF):
    def __init__(self, tip: str) -> None:
        super().__init__(format="A4")
        self.tip = tip
        self.family = "Helvetica"
        self.safe: Callable[[str], str] = _latin1
        # The default "{nb}" reserves room for 3 digits; 10,000 incidents print ~2,600 pages.
        self.alias_nb_pages("{pages}")

    def use_dejavu(self, directory: Path) -> bool:
        regular, bold = directory / "DejaVuSans.ttf", directory / "DejaVuSans-Bold.ttf"
        if not (regular.is_file() and bold.is_file()):
            return False
        try:
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))
        except Exception:  # a damaged or unreadable font file: the core font still prints
            return False
        self.family, self.safe = "DejaVu", _as_is
        return True

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 7)
        text = f"Chain tip {self.tip[:16]}…   page {self.page_no()}/{{pages}}"
        self.cell(0, 4, self.safe(text), align="C")

    def heading(self, text: str, size: float = 12) -> None:
        self.set_font(self.family, "B", size)
        self.multi_cell(0, size * 0.5, self.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def row(self, label: str, value: str) -> None:
        self.set_font(self.family, "B", 9)
        self.cell(LABEL_WIDTH, LINE, self.safe(label))
        self.set_font(self.family, "", 9)
        text = self.safe(value)
        # Most values fit one line; cell() is several times cheaper than multi_cell's line breaking.
        if self.get_string_width(text) < self.epw - LABEL_WIDTH - 2 and "\n" not in text:
            self.cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _one(values: Iterable[str | None]) -> str:
    # A name is printed only when every incident agrees on it; otherwise the line is left to fill.
    found = {v for v in values if v}
    return found.pop() if len(found) == 1 else ""


def _timeline(pdf: _Report, incidents: Sequence[Incident]) -> None:
    pdf.heading("Timeline", 11)
    lines = [(line.at, i.id, line.text) for i in incidents for line in i.sequence]
    lines.sort(key=lambda item: item[0])  # stable: same-instant lines keep incident order
    if not lines:
        pdf.row("", "(no sequence of events recorded)")
    for at, incident_id, text in lines:
        pdf.row(recorded_at(at), f"{incident_id}: {text}")
    pdf.ln(3)


def _signatures(pdf: _Report, incidents: Sequence[Incident]) -> None:
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.ln(4)
    pdf.heading("Signatures", 11)
    people = (
        ("Test administrator", _one(i.test_administrator for i in incidents)),
        ("Approver", _one(i.reviewer for i in incidents)),
    )
    for role, name in people:
        pdf.set_font(pdf.family, "B", 9)
        pdf.cell(0, LINE, pdf.safe(role), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(pdf.family, "", 9)
        pdf.cell(20, 8, "Name")
        pdf.cell(60, 8, pdf.safe(name), border="B")
        pdf.cell(22, 8, "Signature", align="R")
        pdf.cell(50, 8, "", border="B")
        pdf.cell(12, 8, "Date", align="R")
        pdf.cell(0, 8, "", border="B", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)


def render_pdf(
    incidents: Sequence[Incident],
    tip: str,
    now: datetime,
    site: str | None = None,
    font_dir: Path | None = DEJAVU_DIR,
    progress: Progress | None = None,
) -> bytes:
    """The report as PDF bytes; ``font_dir=None`` forces the latin-1 core font."""
    pdf = _Report(tip)
    if font_dir is not None:
        pdf.use_dejavu(font_dir)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title("Testing irregularity report")
    pdf.add_page()
    pdf.heading("Testing irregularity report", 16)
    schools = sorted({i.school_name or i.school_code or "" for i in incidents} - {""})
    pdf.row("Site / school", site or ", ".join(schools) or "(not recorded)")
    pdf.row("Generated at", now.strftime(f"{DAY_TIME} %z"))
    pdf.row("Incidents", str(len(incidents)))
    pdf.row("Chain tip hash", tip)
    total, done = len(incidents), 0
    for session_id, group in group_by_session(incidents):
        pdf.add_page()
        title = session_id if session_id == UNSCHEDULED else f"Session {session_id}"
        pdf.heading(f"{title} ({len(group)} incident{'s' if len(group) != 1 else ''})", 14)
        _timeline(pdf, group)
        for incident in group:
            if pdf.will_page_break(30):
                pdf.add_page()
            pdf.heading(f"Incident {incident.id}", 11)
            for name, value in incident_rows(incident):
                pdf.row(name, value)
            pdf.ln(3)
            done += 1
            if done < total:  # the last call waits until the file is written
                report(progress, done, total)
        _signatures(pdf, group)
    return bytes(pdf.output())


def export_pdf(
    log: IncidentLog,
    path: Path,
    now: datetime,
    progress: Progress | None = None,
    select: Callable[[Incident], bool] | None = None,
    site: str | None = None,
    font_dir: Path | None = DEJAVU_DIR,
) -> int:
    """Write the report of the incidents ``select`` keeps (all by default) to ``path``
    (atomically, mode 0600); return the number of incidents. The chain tip printed is the whole
    log's, so a reader can check the report against the live chain or a JSON export."""
    incidents = [i for i in log.incidents() if select is None or select(i)]
    tip = log.entries[-1].hash if log.entries else hash_chain.GENESIS
    data = render_pdf(incidents, tip, now, site, font_dir, progress)
    write_private_bytes(path, data)
    if progress is not None:
        progress(len(incidents), len(incidents))
    return len(incidents)
