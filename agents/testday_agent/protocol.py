"""Provides the testday wire protocol: versioned JSON frames between agent and hub."""

from __future__ import annotations

from typing import Literal, TypeVar

import msgspec

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024

# HTTP upgrade headers: credentials travel before any frame is exchanged.
DEVICE_HEADER = "X-Testday-Device"
AGENT_PATH = "/agent"


class ProtocolError(ValueError):
    """A frame that does not decode or validate; the message names the field at fault."""


# A family a profile names rules for; a device on any other one reports "other".
OsFamily = Literal["windows", "macos", "linux", "chromeos"]
ReportedOsFamily = Literal["windows", "macos", "linux", "chromeos", "other"]
InterfaceKind = Literal["wifi", "wired", "other"]


# --- facts ------------------------------------------------------------------------------------


class BatteryFacts(msgspec.Struct, omit_defaults=True):
    present: bool
    percent: float | None = None
    plugged: bool | None = None
    minutes_left: float | None = None


class AppFacts(msgspec.Struct, omit_defaults=True):
    name: str
    installed: bool
    version: str | None = None
    running: bool | None = None
    # where it was found (a path, a command), to help the technician check by hand
    source: str | None = None


class DnsResult(msgspec.Struct, omit_defaults=True):
    host: str
    ok: bool
    ms: float | None = None
    addresses: list[str] = []
    error: str | None = None


class EndpointResult(msgspec.Struct, omit_defaults=True):
    name: str
    host: str
    port: int
    ok: bool
    connect_ms: float | None = None
    error: str | None = None


class NetworkFacts(msgspec.Struct, omit_defaults=True):
    interface: str | None = None
    kind: InterfaceKind | None = None
    ipv4: str | None = None
    gateway: str | None = None
    wifi_signal_percent: float | None = None
    dns: list[DnsResult] = []
    endpoints: list[EndpointResult] = []


class SystemFacts(msgspec.Struct, omit_defaults=True):
    os_family: ReportedOsFamily
    os_version: str
    hostname: str
    uptime_s: float | None = None
    disk_path: str | None = None
    disk_free_mb: float | None = None
    memory_total_mb: float | None = None
    memory_available_mb: float | None = None
    cpu_percent: float | None = None
    load1: float | None = None


class AgentFacts(msgspec.Struct, omit_defaults=True):
    version: str
    rss_mb: float | None = None
    cpu_percent: float | None = None
    collect_ms: float | None = None
    spool_depth: int = 0
    spool_dropped: int = 0


class Facts(msgspec.Struct, omit_defaults=True):
    """One collection. A collector that failed leaves its part empty and its error in ``errors``."""

    battery: BatteryFacts | None = None
    apps: list[AppFacts] = []
    network: NetworkFacts | None = None
    system: SystemFacts | None = None
    agent: AgentFacts | None = None
    errors: dict[str, str] = {}


# --- checks the hub asks for (from the profile in force) ----------------------------------------


class AppRule(msgspec.Struct, omit_defaults=True):
    """How to find one kiosk / secure-browser app on one OS family."""

    name: str
    os_family: OsFamily
    paths: list[str] = []  # any existing path means installed
    bundle: str | None = None  # macOS .app bundle: version read from Contents/Info.plist
    version_file: str | None = None  # a file whose text holds the version
    version_command: list[str] = []  # argv whose output holds the version
    version_pattern: str = r"(\d+(?:\.\d+)+)"
    process_names: list[str] = []


class Endpoint(msgspec.Struct, omit_defaults=True):
    name: str
    host: str
    port: int = 443


class Checks(msgspec.Struct, omit_defaults=True):
    profile: str = ""
    apps: list[AppRule] = []
    hosts: list[str] = []  # DNS names to resolve
    endpoints: list[Endpoint] = []  # TCP connect probes
    connect_timeout_s: float = 2.0
    disk_path: str | None = None  # where the testing app saves responses


class AgentConfig(msgspec.Struct, omit_defaults=True):
    interval_s: float = 15.0
    checks: Checks = msgspec.field(default_factory=Checks)


# --- agent → hub --------------------------------------------------------------------------------


class _Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True):
    v: Literal[1] = 1


class Hello(_Frame, tag="hello"):
    device_id: str
    agent_version: str
    os_family: str
    os_version: str
    hostname: str
    hardware_uuid: str | None = None
    serial: str | None = None
    asset_tag: str | None = None
    room: str | None = None


class Report(_Frame, tag="report"):
    seq: int
    sent_at: float  # agent's wall clock, seconds since the epoch; only used to measure skew
    facts: Facts
    collected_at: float | None = None


class Replay(_Frame, tag="replay"):
    """Reports made while the hub was unreachable: history, never alerts."""

    reports: list[Report]
    dropped: int = 0  # spooled reports lost to the spool's bounds since the last replay


class Result(_Frame, tag="result"):
    command_id: str
    ok: bool
    output: str = ""


# --- hub → agent --------------------------------------------------------------------------------


class Welcome(_Frame, tag="welcome"):
    device_id: str
    config: AgentConfig
    device_key: str | None = None  # set when the agent enrolled with the site secret
    hub_time: float | None = None


class Ack(_Frame, tag="ack"):
    seqs: list[int]  # report seqs now durably stored by the hub


class Command(_Frame, tag="command"):
    command_id: str
    action: Literal["collect_now"]


class Error(_Frame, tag="error"):
    code: str
    message: str


AgentMessage = Hello | Report | Replay | Result
HubMessage = Welcome | Ack | Command | Error

_encoder = msgspec.json.Encoder()
_agent_decoder = msgspec.json.Decoder(AgentMessage)
_hub_decoder = msgspec.json.Decoder(HubMessage)


def encode(message: _Frame) -> bytes:
    return _encoder.encode(message)


_M = TypeVar("_M")


def _decode(decoder: msgspec.json.Decoder[_M], data: bytes | str) -> _M:
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"invalid frame: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"not JSON: {exc}") from None


def decode_agent_message(data: bytes | str) -> AgentMessage:
    """Decode a frame an agent sent; raises ProtocolError naming the bad field."""
    return _decode(_agent_decoder, data)


def decode_hub_message(data: bytes | str) -> HubMessage:
    """Decode a frame the hub sent; raises ProtocolError naming the bad field."""
    return _decode(_hub_decoder, data)


def to_builtins(value: object) -> object:
    """Plain dicts and lists, for JSON output and storage."""
    return msgspec.to_builtins(value)
