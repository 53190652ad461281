"""Tests that no value an agent sends can stall, poison or fool the hub: each is bounded."""

from __future__ import annotations

import json

from testday_agent.protocol import Ack, Error, encode

from testday.hub.hub import Hub
from tests.hub.test_agent_endpoint import greet, recv_message, report

HUGE_VERSION = "1" * 5000  # past int()'s 4,300 digits
SLOW_VERSION = "x" * 30_000  # once made a version search run for seconds on the hub's loop


def with_system(seq: int, os_version: str, hostname: str = "host-a") -> str:
    """A report whose system facts carry ``os_version`` (built as raw JSON: no schema applies)."""
    frame = json.loads(encode(report(seq)))
    frame["facts"]["system"] = {"os_family": "linux", "os_version": os_version,
                                "hostname": hostname}  # fmt: skip
    return json.dumps(frame)


async def test_out_of_range_values_are_refused_by_name_and_the_device_goes_on(hub: Hub) -> None:
    """A huge or slow version, an escape in a hostname, a seq SQLite cannot store, a negative
    drop count: each is refused naming its field, and the next honest report is stored."""
    hostile = [
        (with_system(1, HUGE_VERSION), "$.facts.system.os_version"),
        (with_system(2, SLOW_VERSION), "$.facts.system.os_version"),
        (with_system(3, "14.2", hostname="lab\x1b]0;pwned\x07"), "$.facts.system.hostname"),
        (json.dumps({**json.loads(encode(report(4))), "seq": 2**63}), "$.seq"),
        ('{"type": "replay", "v": 1, "reports": [], "dropped": -5}', "$.dropped"),
    ]
    for n, (frame, field) in enumerate(hostile):
        ws, _ = await greet(hub, f"dev-{n}")  # one device each: five bad frames close a link
        await ws.send(frame)
        error = await recv_message(ws, Error)
        assert error.code == "bad_frame" and field in error.message, error.message
        await ws.send(encode(report(10)))  # the same device, honest again
        assert isinstance(await recv_message(ws, Ack), Ack)  # stored: the device is not stuck
        assert hub.fleet.devices[f"dev-{n}"].last_seq == 10
        await ws.close()
    assert hub.metrics.spool_drops_reported == 0


async def test_a_device_with_the_longest_allowed_values_is_judged(hub: Hub) -> None:
    """At the bounds (a 256-character version), a report is judged, not refused."""
    ws, _ = await greet(hub, "dev-b")
    await ws.send(with_system(1, "9" * 256))
    assert isinstance(await recv_message(ws, Ack), Ack)
    device = hub.fleet.devices["dev-b"]
    assert device.facts is not None and device.facts.system is not None
    assert device.verdict is not None and device.last_seq == 1
    await ws.close()
