"""Tests reading an event's data through the view of its kind, whatever the hub wrote."""

from __future__ import annotations

from typing import Any

import pytest

from testday.console_protocol.device_views import EventView
from testday.console_protocol.event_views import (
    CommandResult,
    Disconnected,
    NetworkNoted,
    VerdictChanged,
    event_data,
)


def event(kind: str, **data: Any) -> EventView:
    return EventView(ts=1.0, kind=kind, device_id="dev-a", room="112", data=data)


def test_each_known_kind_reads_as_its_view() -> None:
    """The fields the hub writes for a kind come back typed."""
    changed = event_data(event("verdict.changed", status="not_ready", was="ready",
                               reasons=["battery.low"]))  # fmt: skip
    assert changed == VerdictChanged(status="not_ready", was="ready", reasons=("battery.low",))
    assert event_data(event("device.disconnected", peer="10.0.0.9:5", why="ping timeout")) == (
        Disconnected(peer="10.0.0.9:5", why="ping timeout")
    )
    assert event_data(event("command.result", command_id="c1", ok=True, output="done")) == (
        CommandResult(command_id="c1", ok=True, output="done")
    )


def test_every_network_kind_reads_as_a_network_note() -> None:
    noted = event_data(event("net.link_down", text="sw-1 port 12 down", rooms=["112"], if_index=12))
    assert noted == NetworkNoted(text="sw-1 port 12 down", rooms=("112",))


@pytest.mark.parametrize(
    "unreadable",
    [
        event("session.teleported", where="mars"),  # a kind of a newer hub
        event("verdict.changed", status="sideways"),  # not a verdict
        event("verdict.changed"),  # its status missing
    ],
)
def test_an_unknown_kind_or_a_misshapen_one_is_none(unreadable: EventView) -> None:
    """A console shows the kind's name rather than a half-read event."""
    assert event_data(unreadable) is None
