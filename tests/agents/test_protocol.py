"""Tests the wire protocol: every frame round-trips, and bad frames name what is wrong."""

from __future__ import annotations

import json

import pytest
from testday_agent.protocol import (
    Ack,
    AgentConfig,
    AppFacts,
    BatteryFacts,
    Checks,
    Command,
    Endpoint,
    Error,
    Facts,
    Hello,
    ProtocolError,
    Replay,
    Report,
    Result,
    Welcome,
    decode_agent_message,
    decode_hub_message,
    encode,
)

FACTS = Facts(
    battery=BatteryFacts(present=True, percent=41.5, plugged=False, minutes_left=95),
    apps=[AppFacts(name="TestNav", installed=True, version="1.13.2", running=False)],
    errors={"network": "OSError: no route"},
)

AGENT_FRAMES = [
    Hello(
        device_id="dev-1",
        agent_version="0.1.0",
        os_family="linux",
        os_version="12",
        hostname="lab-01",
        room="112",
        asset_tag="A-7",
    ),
    Report(seq=3, sent_at=1_700_000_000.5, facts=FACTS),
    Replay(reports=[Report(seq=1, sent_at=1.0, facts=Facts())], dropped=4),
    Result(command_id="c1", ok=True, output="done"),
]
HUB_FRAMES = [
    Welcome(
        device_id="dev-1",
        device_key="k",
        hub_time=2.0,
        config=AgentConfig(
            interval_s=10,
            checks=Checks(
                profile="p", endpoints=[Endpoint(name="api", host="127.0.0.1", port=443)]
            ),
        ),
    ),
    Ack(seqs=[1, 2, 3]),
    Command(command_id="c2", action="collect_now"),
    Error(code="bad_frame", message="nope"),
]


@pytest.mark.parametrize("frame", AGENT_FRAMES, ids=lambda f: type(f).__name__)
def test_agent_frames_round_trip(frame: object) -> None:
    """Each agent frame decodes to an equal value, with the version and type on the wire."""
    data = encode(frame)  # type: ignore[arg-type]
    wire = json.loads(data)
    assert wire["v"] == 1 and wire["type"] == type(frame).__name__.lower()
    assert decode_agent_message(data) == frame
    assert decode_agent_message(data.decode()) == frame


@pytest.mark.parametrize("frame", HUB_FRAMES, ids=lambda f: type(f).__name__)
def test_hub_frames_round_trip(frame: object) -> None:
    """Each hub frame decodes to an equal value."""
    assert decode_hub_message(encode(frame)) == frame  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "Expected `object`, got `array`"),
        (b'{"type": "gossip"}', "Invalid value 'gossip' - at `$.type`"),
        (b'{"type": "hello"}', "missing required field `device_id`"),
        (b'{"type": "report", "seq": "7", "sent_at": 1, "facts": {}}', "at `$.seq`"),
        (b'{"type": "report", "v": 2, "seq": 7, "sent_at": 1, "facts": {}}', "at `$.v`"),
        (b'{"type": "report", "seq": 7, "sent_at": 1, "facts": {}, "x": 1}', "unknown field `x`"),
        (
            b'{"type": "report", "seq": 7, "sent_at": 1, "facts": {"battery": {"present": 1}}}',
            "at `$.facts.battery.present`",
        ),
        (b'{"type": "ack", "seqs": [1]}', "Invalid value 'ack' - at `$.type`"),
    ],
)
def test_bad_agent_frames_name_the_fault(raw: bytes, expected: str) -> None:
    """A bad frame raises ProtocolError whose message names the field or the fault."""
    with pytest.raises(ProtocolError) as error:
        decode_agent_message(raw)
    assert expected in str(error.value)


def test_hub_frame_is_not_accepted_from_an_agent() -> None:
    """An agent cannot send a hub-only frame such as welcome."""
    with pytest.raises(ProtocolError):
        decode_agent_message(encode(HUB_FRAMES[0]))


def test_unknown_fact_fields_are_tolerated_for_newer_agents() -> None:
    """Facts may grow: a newer agent's extra fact does not break an older hub."""
    raw = json.dumps(
        {
            "type": "report",
            "seq": 1,
            "sent_at": 1,
            "facts": {"battery": {"present": False, "health": 90}},
        }
    )
    report = decode_agent_message(raw)
    assert isinstance(report, Report) and report.facts.battery == BatteryFacts(present=False)
