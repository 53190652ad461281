"""Tests the /console frames and hub addresses: round trips and errors that name the fault."""

from __future__ import annotations

import json

import pytest
from testday_agent.protocol import BatteryFacts, Facts

from testday.console_client.remote import console_url
from testday.console_protocol import wire
from testday.console_protocol.desk_views import (
    IncidentView,
    RosterEntry,
    SequenceLine,
    SessionView,
    TransitionView,
)
from testday.console_protocol.device_views import (
    DeviceView,
    EventView,
    ReasonView,
    SiteRoom,
    SiteView,
)
from testday.console_protocol.messages import (
    DeskChanged,
    DevicesChanged,
    EventsAppended,
    NetworkChanged,
    Snapshot,
)
from testday.console_protocol.network_views import NetDeviceView, RoomNetworkView
from testday.console_protocol.requests import (
    Answer,
    HubRequest,
    IncidentAddRequest,
    SessionActionRequest,
)

DEVICE = DeviceView(
    id="dev-a",
    hostname="host-a",
    room="112",
    facts=Facts(battery=BatteryFacts(present=True, percent=55.0)),
    reasons=(ReasonView(code="battery.low", severity="warning", message="low", value=55.0),),
)
EVENT = EventView(ts=1.5, kind="device.connected", device_id="dev-a", room="112")
SESSION = SessionView(
    id="s1",
    name="Grade 8 ELA",
    profile="drc-insight",
    rooms=("112",),
    state="paused",
    scheduled_start=0.0,
    scheduled_end=3600.0,
    roster=(RosterEntry(student="1000001", device_id="dev-a"),),
    history=(
        TransitionView(ts=1.0, action="start", from_state="checking", to_state="in_progress"),
    ),
)
NET_DEVICE = NetDeviceView(name="ap-112", kind="access_point", address="10.0.0.2", rooms=("112",),
                           reachable=False)  # fmt: skip
NET_ROOM = RoomNetworkView(room="112", status="problem", summary="AP ap-112 unreachable")
INCIDENT = IncidentView(
    id="inc-1",
    status="open",
    source="detector",
    created_at=1.0,
    updated_at=1.0,
    room="112",
    sequence=(SequenceLine(at=1.0, text="x"),),
)


@pytest.mark.parametrize(
    "message",
    [
        Snapshot(
            devices=[DEVICE],
            events=[EVENT],
            hub_time=10.0,
            site=SiteView(name="Lincoln", rooms=(SiteRoom(room="112", profile="drc-insight"),)),
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
        wire.Reply(id=7, ok=True, answer=Answer(session=SESSION)),
        wire.Reply(id=8, ok=False, error="cannot pause session 's1': it is paused"),
    ],
)
def test_round_trip(message: object) -> None:
    """Every message the hub sends decodes to an equal message."""
    frame = wire.encode(message)  # type: ignore[arg-type]
    assert json.loads(frame)["v"] == 2
    assert wire.decode(frame) == message
    assert wire.decode(frame.decode()) == message


def test_frame_names_its_type() -> None:
    """Frames carry the type the design names: snapshot, devices, events."""
    types = [
        json.loads(wire.encode(m))["type"]
        for m in (
            Snapshot(devices=[], events=[], hub_time=0.0),
            DevicesChanged(devices=[], hub_time=0.0),
            EventsAppended(events=[]),
            DeskChanged(sessions=[], incidents=[], hub_time=0.0),
        )
    ]
    assert types == ["snapshot", "devices", "events", "desk"]


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        ("{not json", "not JSON"),
        ('{"type": "gossip", "v": 2}', "Invalid value 'gossip' - at `$.type`"),
        ('{"type": "events", "v": 1, "events": []}', "at `$.v`"),
        ('{"type": "devices", "v": 2, "hub_time": 1}', "missing required field `devices`"),
        (
            '{"type": "events", "v": 2, "events": [{"ts": "soon", "kind": "x", '
            '"device_id": null, "room": null, "data": {}}]}',
            "Expected `float`, got `str` - at `$.events[0].ts`",
        ),
        (
            '{"type": "devices", "v": 2, "hub_time": 1, "devices": [{"room": "1"}]}',
            "missing required field `id` - at `$.devices[0]`",
        ),
        ('{"type": "events", "v": 2, "events": [], "extra": 1}', "unknown field `extra`"),
        (
            '{"type": "desk", "v": 2, "hub_time": 1, "sessions": [{"name": "x"}], "incidents": []}',
            "missing required field `id` - at `$.sessions[0]`",
        ),
        ('{"type": "reply", "v": 2, "ok": true}', "missing required field `id`"),
        (
            '{"type": "network", "v": 2, "hub_time": 1, "devices": [], '
            '"rooms": [{"status": "ok"}]}',
            "missing required field `room` - at `$.rooms[0]`",
        ),
    ],
)
def test_bad_frame_is_a_clear_value_error(frame: str, says: str) -> None:
    """A frame that does not decode raises ValueError naming the fault, never a traceback."""
    with pytest.raises(ValueError, match="console frame") as error:
        wire.decode(frame)
    assert says in str(error.value)


def test_a_renamed_field_fails_with_its_path() -> None:
    """A hub whose device view lost a field the console needs is refused by name, at decode."""
    frame = wire.encode(DevicesChanged(devices=[DEVICE], hub_time=1.0)).replace(b'"id"', b'"ident"')
    with pytest.raises(wire.WireError, match=r"missing required field `id` - at `\$.devices\[0\]`"):
        wire.decode(frame)


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


@pytest.mark.parametrize(
    "ask",
    [
        SessionActionRequest(session_id="s1", action="pause", note="fire drill"),
        IncidentAddRequest(
            category="technical",
            subcategory="device_lost",
            severity="procedural",
            room="112",
            description="froze",
            devices=("dev-a",),
        ),
    ],
)
def test_request_round_trip(ask: HubRequest) -> None:
    """A dashboard's request decodes on the hub side to the same ask and actor."""
    request = wire.Request(id=3, actor="kim", ask=ask)
    frame = wire.encode(request)
    assert json.loads(frame)["type"] == "request"
    assert wire.decode_request(frame) == request


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        ("{not json", "request frame is not JSON"),
        ("[1, 2]", "Expected `object`, got `array`"),
        (
            '{"type": "request", "v": 2, "id": 1, '
            '"ask": {"op": "session.action", "session_id": "s1", "action": "start"}}',
            "missing required field `actor`",
        ),
        ('{"type": "request", "v": 2, "id": "one", "actor": "a", "ask": {}}', "$.id"),
        ('{"type": "snapshot", "v": 2}', "$.type"),
        (
            '{"type": "request", "v": 2, "id": 1, "actor": "a", "ask": {"op": "session.delete"}}',
            "Invalid value 'session.delete' - at `$.ask.op`",
        ),
        (
            '{"type": "request", "v": 2, "id": 1, "actor": "a", '
            '"ask": {"op": "session.action", "session_id": "s1", "action": "fly"}}',
            "$.ask.action",
        ),
    ],
)
def test_bad_request_names_the_fault(frame: str, says: str) -> None:
    with pytest.raises(wire.WireError) as error:
        wire.decode_request(frame)
    assert says in str(error.value)


def test_a_bad_request_keeps_its_id_when_it_has_one() -> None:
    """The hub answers an undecodable request to the id it carried, so no one waits for ever."""
    assert wire.request_id('{"type": "request", "id": 12, "ask": {"op": "x"}}') == 12
    assert wire.request_id("{not json") == 0
