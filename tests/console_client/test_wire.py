"""Tests the /console frames and hub addresses: round trips and errors that name the fault."""

from __future__ import annotations

import json

import pytest

from testday.console_client import wire
from testday.console_client.messages import (
    ConnectionState,
    DeskChanged,
    DevicesChanged,
    EventsAppended,
    NetworkChanged,
    Snapshot,
)
from testday.console_client.remote import console_url

DEVICE = {"id": "dev-a", "hostname": "host-a", "room": "112", "facts": {"battery": {"percent": 55}}}
EVENT = {"ts": 1.5, "kind": "device.connected", "device_id": "dev-a", "room": "112", "data": {}}
SESSION = {"id": "s1", "name": "Grade 8 ELA", "state": "paused", "rooms": ["112"]}
NET_DEVICE = {"name": "ap-112", "kind": "access_point", "rooms": ["112"], "reachable": False}
NET_ROOM = {"room": "112", "status": "problem", "summary": "AP ap-112 unreachable since 10:02"}
INCIDENT = {"id": "inc-1", "status": "open", "room": "112", "sequence": [{"at": 1.0, "text": "x"}]}


@pytest.mark.parametrize(
    "message",
    [
        Snapshot(
            devices=[DEVICE],
            events=[EVENT],
            hub_time=10.0,
            site={"name": "Lincoln", "rooms": {"112": "drc-insight"}},
            battery_history={"dev-a": [(1.0, 56.0, False), (2.0, 55.0, True)]},
        ),
        Snapshot(devices=[], events=[], hub_time=0.0),
        Snapshot(devices=[], events=[], hub_time=0.0, sessions=[SESSION], incidents=[INCIDENT]),
        DevicesChanged(devices=[DEVICE], hub_time=11.0),
        EventsAppended(events=[EVENT]),
        DeskChanged(sessions=[SESSION], incidents=[INCIDENT], hub_time=12.0),
        NetworkChanged(devices=[NET_DEVICE], rooms=[NET_ROOM], hub_time=13.0),
        Snapshot(
            devices=[],
            events=[],
            hub_time=0.0,
            network_devices=[NET_DEVICE],
            network_rooms=[NET_ROOM],
        ),
        wire.Reply(id=7, ok=True, result={"session": SESSION}),
        wire.Reply(id=8, ok=False, error="cannot pause session 's1': it is paused"),
    ],
)
def test_round_trip(message: object) -> None:
    """Every message the hub sends decodes to an equal message."""
    reply = isinstance(message, wire.Reply)
    frame = wire.encode_frame(message) if reply else wire.encode(message)  # type: ignore[arg-type]
    assert json.loads(frame)["v"] == 1
    assert wire.decode(frame) == message
    assert wire.decode(frame.decode()) == message


def test_frame_names_its_type() -> None:
    """Frames carry the type the design names: snapshot, devices, events."""
    types = [
        json.loads(wire.encode(m))["type"]
        for m in (
            Snapshot([], [], 0.0),
            DevicesChanged([], 0.0),
            EventsAppended([]),
            DeskChanged([], [], 0.0),
        )
    ]
    assert types == ["snapshot", "devices", "events", "desk"]


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        ("{not json", "not JSON"),
        ('{"type": "gossip", "v": 1}', "Invalid value 'gossip' - at `$.type`"),
        ('{"type": "events", "v": 2, "events": []}', "at `$.v`"),
        ('{"type": "devices", "v": 1, "hub_time": 1}', "missing required field `devices`"),
        (
            '{"type": "events", "v": 1, "events": [{"ts": "soon", "kind": "x", '
            '"device_id": null, "room": null, "data": {}}]}',
            "Expected `float`, got `str` - at `$.events[0].ts`",
        ),
        (
            '{"type": "devices", "v": 1, "hub_time": 1, "devices": [{"room": "1"}]}',
            "$.devices[0].id",
        ),
        ('{"type": "events", "v": 1, "events": [], "extra": 1}', "unknown field `extra`"),
        (
            '{"type": "desk", "v": 1, "hub_time": 1, "sessions": [{"name": "x"}], "incidents": []}',
            "$.sessions[0].id",
        ),
        ('{"type": "reply", "v": 1, "ok": true}', "missing required field `id`"),
        (
            '{"type": "network", "v": 1, "hub_time": 1, "devices": [], '
            '"rooms": [{"status": "ok"}]}',
            "$.rooms[0].room",
        ),
    ],
)
def test_bad_frame_is_a_clear_value_error(frame: str, says: str) -> None:
    """A frame that does not decode raises ValueError naming the fault, never a traceback."""
    with pytest.raises(ValueError, match="console frame") as error:
        wire.decode(frame)
    assert says in str(error.value)


def test_connection_state_is_not_a_frame() -> None:
    """ConnectionState belongs to the client; encoding it is a mistake."""
    with pytest.raises(ValueError, match="not sent over the wire"):
        wire.encode(ConnectionState(True, "connected"))


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("ws://10.0.0.5:8765", "ws://10.0.0.5:8765/console"),
        ("wss://hub.school.example", "wss://hub.school.example/console"),
        ("http://10.0.0.5:9000/", "ws://10.0.0.5:9000/console"),
        ("https://hub:443", "wss://hub:443/console"),
        ("10.0.0.5:8765", "ws://10.0.0.5:8765/console"),
        ("hub.local", "ws://hub.local:8765/console"),
        ("ws://127.0.0.1:1/console", "ws://127.0.0.1:1/console"),
    ],
)
def test_console_url(address: str, url: str) -> None:
    """A hub address in any usual form becomes its /console websocket URL."""
    assert console_url(address) == url


def test_console_url_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="not a hub address"):
        console_url("ftp://hub")


def test_request_round_trip() -> None:
    """A dashboard's request decodes on the hub side to the same op, args and actor."""
    request = wire.Request(id=3, op="session.action", args={"session_id": "s1"}, actor="kim")
    frame = wire.encode_frame(request)
    assert json.loads(frame)["type"] == "request"
    assert wire.decode_request(frame) == request


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        ("{not json", "request frame is not JSON"),
        ("[1, 2]", "Expected `object`, got `array`"),
        ('{"type": "request", "v": 1, "id": 1, "op": "x"}', "missing required field `actor`"),
        ('{"type": "request", "v": 1, "id": "one", "op": "x", "actor": "a"}', "$.id"),
        ('{"type": "snapshot", "v": 1}', "$.type"),
    ],
)
def test_bad_request_names_the_fault(frame: str, says: str) -> None:
    with pytest.raises(wire.WireError) as error:
        wire.decode_request(frame)
    assert says in str(error.value)
