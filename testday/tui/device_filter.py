"""Provides DeviceFilter: which devices the Devices screen shows (room, verdict, free text)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from testday.console_client.fleet_order import room_of
from testday.console_protocol.device_views import DeviceView
from testday.tui.formatting import searchable

# (label, verdicts shown); None shows every verdict. "problems" is the one a technician lives in.
VERDICT_CHOICES: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("all", None),
    ("problems", frozenset({"offline", "not_ready", "warning"})),
    ("offline", frozenset({"offline"})),
    ("not ready", frozenset({"not_ready"})),
    ("warning", frozenset({"warning"})),
    ("ready", frozenset({"ready"})),
)


@dataclass(frozen=True)
class DeviceFilter:
    room: str | None = None  # None: every room
    verdict_choice: int = 0  # index into VERDICT_CHOICES
    text: str = ""  # case-insensitive; every word must appear somewhere in the device

    def matches(self, device: DeviceView) -> bool:
        if self.room is not None and room_of(device) != self.room:
            return False
        verdicts = VERDICT_CHOICES[self.verdict_choice][1]
        if verdicts is not None and device.verdict not in verdicts:
            return False
        if self.text:
            haystack = searchable(device)
            return all(word in haystack for word in self.text.lower().split())
        return True

    @property
    def verdict_label(self) -> str:
        return VERDICT_CHOICES[self.verdict_choice][0]

    @property
    def active(self) -> bool:
        return self != DeviceFilter()

    def next_verdict(self) -> DeviceFilter:
        return replace(self, verdict_choice=(self.verdict_choice + 1) % len(VERDICT_CHOICES))

    def next_room(self, rooms: list[str]) -> DeviceFilter:
        """all → first room → … → last room → all."""
        choices: list[str | None] = [None, *rooms]
        index = choices.index(self.room) if self.room in choices else 0
        return replace(self, room=choices[(index + 1) % len(choices)])

    def describe(self) -> str:
        text = f'"{self.text}"' if self.text else "—"
        return f"room {self.room or 'all'} · verdict {self.verdict_label} · text {text}"
