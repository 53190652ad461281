"""Provides the network watch's data: devices to poll, what one poll saw, and what it means now.

Pure data shared by the SNMP shell (which produces PollSample), the core (which folds samples into
NetDeviceState and judges rooms) and the hub (which serves the states to dashboards).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["access_point", "switch", "wireless_controller", "ups"]
KINDS: tuple[Kind, ...] = ("access_point", "switch", "wireless_controller", "ups")
# Why a poll failed. A wrong v2c community and a dead device look the same on the wire (no
# answer), so "timeout" must say both; a wrong v3 key or user is told apart by the agent.
Failure = Literal["timeout", "auth", "unknown_user", "decrypt", "error"]


@dataclass(frozen=True)
class SnmpV3User:
    user: str
    auth_protocol: Literal["SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"] = "SHA"
    auth_key: str = ""
    priv_protocol: Literal["AES", "AES192", "AES256", "DES", "none"] = "AES"
    priv_key: str = ""


@dataclass(frozen=True)
class NetDevice:
    """One network device the site lists (site.toml [[network.devices]])."""

    name: str
    address: str  # host or IP
    kind: Kind
    port: int = 161
    community: str | None = None  # SNMP v2c; exactly one of community and v3 is set
    v3: SnmpV3User | None = None
    rooms: tuple[str, ...] = ()  # an access point's room(s); a UPS's or switch's served rooms
    # A switch port (ifIndex) → the room it feeds: its uplink utilisation is that room's.
    ports: dict[int, str] = field(default_factory=dict)
    capacity: int = 30  # testing devices an access point carries well (DOMAIN.md: 20–40)
    vendor: str | None = None  # key into the AP vendor OID table, for client counts
    poll_interval_s: float = 30.0
    timeout_s: float = 2.0
    retries: int = 1


@dataclass(frozen=True)
class InterfaceSample:
    """One IF-MIB row as read: raw counters, not yet rates."""

    index: int
    name: str = ""  # ifName, else ifDescr
    oper_up: bool | None = None  # ifOperStatus == up(1)
    speed_bps: int | None = None  # ifHighSpeed × 10^6, else ifSpeed
    in_octets: int | None = None
    out_octets: int | None = None
    counter_bits: Literal[32, 64] = 64  # 64 when read from ifHC*, 32 from ifIn/OutOctets
    in_errors: int | None = None
    in_discards: int | None = None
    out_errors: int | None = None
    out_discards: int | None = None


@dataclass(frozen=True)
class UpsSample:
    """UPS-MIB (RFC 1628)."""

    on_battery: bool | None = None  # upsOutputSource == battery(5)
    battery_status: int | None = None  # upsBatteryStatus: 2 normal, 3 low, 4 depleted
    charge_percent: int | None = None  # upsEstimatedChargeRemaining
    minutes_left: int | None = None  # upsEstimatedMinutesRemaining


@dataclass(frozen=True)
class PollSample:
    """What one poll of one device returned; ``failure`` set means it did not answer usefully."""

    device: str  # NetDevice.name
    ts: float  # when the poll finished (hub clock)
    failure: Failure | None = None
    detail: str = ""  # the failure in plain words, e.g. "no answer within 2 s (2 tries)"
    uptime_s: float | None = None  # sysUpTime / 100
    description: str | None = None  # sysDescr
    interfaces: tuple[InterfaceSample, ...] = ()
    ups: UpsSample | None = None
    ap_clients: int | None = None


@dataclass(frozen=True)
class InterfaceState:
    index: int
    name: str
    up: bool | None
    speed_bps: int | None
    in_bps: float | None  # None until two samples exist (or right after a wrap-less reset)
    out_bps: float | None
    errors_per_s: float | None  # in + out errors and discards
    utilisation: float | None  # max(in, out) / speed, 0..1


@dataclass(frozen=True)
class NetDeviceState:
    """A device as the network watch knows it now."""

    name: str
    kind: Kind
    rooms: tuple[str, ...]
    reachable: bool | None  # None: never polled yet
    unreachable_since: float | None = None
    failure: Failure | None = None
    detail: str = ""
    last_poll: float | None = None
    last_answer: float | None = None
    uptime_s: float | None = None
    rebooted_at: float | None = None  # set when uptime went backwards between two polls
    description: str | None = None
    interfaces: tuple[InterfaceState, ...] = ()
    ups: UpsSample | None = None
    ap_clients: int | None = None
    # The raw counters of the last answer, so the next sample's rates can be computed.
    last_sample: PollSample | None = None


@dataclass(frozen=True)
class NetEvent:
    """Something the network watch noticed, for the hub's event log (kind e.g. "net.unreachable",
    "net.reachable", "net.rebooted", "net.link_down", "net.link_up", "net.ups_on_battery",
    "net.ups_on_mains", "net.trap")."""

    ts: float
    kind: str
    device: str  # NetDevice.name
    rooms: tuple[str, ...]
    data: dict[str, object] = field(default_factory=dict)
