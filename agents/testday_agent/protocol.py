"""Provides the testday wire protocol: versioned JSON frames between agent and hub."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

import msgspec

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024

# HTTP upgrade headers: credentials travel before any frame is exchanged.
DEVICE_HEADER = "X-Testday-Device"
AGENT_PATH = "/agent"


class ProtocolError(ValueError):
    """A frame that does not decode or validate; the message names the field at fault."""


# --- bounds: what a hub accepts from any agent ---------------------------------------------------
# Each value is bounded where it is decoded, so no report can make the hub parse, store or show
# something unbounded; a value out of range is refused naming its field ($.facts.system.os_version).
# Generous for honest devices (a DNS name is at most 253 characters, a version a few dozen).
_NO_CONTROLS = r"^[^\x00-\x1f\x7f-\x9f]*$"  # no terminal escapes in names shown to people
_NO_ESCAPES = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"  # longer text may keep tabs and newlines
Name = Annotated[str, msgspec.Meta(max_length=256, pattern=_NO_CONTROLS)]
Text = Annotated[str, msgspec.Meta(max_length=4096, pattern=_NO_ESCAPES)]
Output = Annotated[str, msgspec.Meta(max_length=32 * 1024, pattern=_NO_ESCAPES)]
# SQLite stores a signed 64-bit integer: a larger seq could never be written.
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**31)]
Port = Annotated[int, msgspec.Meta(ge=0, le=65_535)]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
MAX_ITEMS = 64  # apps, DNS answers, endpoints, errors in one report
MAX_REPLAYED = 10_000  # reports in one replay frame (the frame's size bounds it first)

# A family a profile names rules for; a device on any other one reports "other".
OsFamily = Literal["windows", "macos", "linux", "chromeos"]
ReportedOsFamily = Literal["windows", "macos", "linux", "chromeos", "other"]
InterfaceKind = Literal["wifi", "wired", "other"]


# --- facts ------------------------------------------------------------------------------------


class BatteryFacts(msgspec.Struct, omit_defaults=True):
    present: bool
    percent: Percent | None = None
    plugged: bool | None = None
    minutes_left: float | None = None


class AppFacts(msgspec.Struct, omit_defaults=True):
    name: Name
    installed: bool
    version: Name | None = None
    running: bool | None = None
    # where it was found (a path, a command), to help the technician check by hand
    source: Text | None = None


class DnsResult(msgspec.Struct, omit_defaults=True):
    host: Name
    ok: bool
    ms: float | None = None
    addresses: Annotated[list[Name], msgspec.Meta(max_length=MAX_ITEMS)] = []
    error: Text | None = None


class EndpointResult(msgspec.Struct, omit_defaults=True):
    name: Name
    host: Name
    port: Port
    ok: bool
    connect_ms: float | None = None
    error: Text | None = None


class NetworkFacts(msgspec.Struct, omit_defaults=True):
    interface: Name | None = None
    kind: InterfaceKind | None = None
    ipv4: Name | None = None
    gateway: Name | None = None
    wifi_signal_percent: Percent | None = None
    dns: Annotated[list[DnsResult], msgspec.Meta(max_length=MAX_ITEMS)] = []
    endpoints: Annotated[list[EndpointResult], msgspec.Meta(max_length=MAX_ITEMS)] = []


class SystemFacts(msgspec.Struct, omit_defaults=True):
    os_family: ReportedOsFamily
    os_version: Name
    hostname: Name
    uptime_s: float | None = None
    disk_path: Text | None = None
    disk_free_mb: float | None = None
    memory_total_mb: float | None = None
    memory_available_mb: float | None = None
    cpu_percent: float | None = None
    load1: float | None = None


class AgentFacts(msgspec.Struct, omit_defaults=True):
    version: Name
    rss_mb: float | None = None
    cpu_percent: float | None = None
    collect_ms: float | None = None
    spool_depth: Count = 0
    spool_dropped: Count = 0


class Facts(msgspec.Struct, omit_defaults=True):
    """One collection. A collector that failed leaves its part empty and its error in ``errors``."""

    battery: BatteryFacts | None = None
    apps: Annotated[list[AppFacts], msgspec.Meta(max_length=MAX_ITEMS)] = []
    network: NetworkFacts | None = None
    system: SystemFacts | None = None
    agent: AgentFacts | None = None
    errors: Annotated[dict[Name, Text], msgspec.Meta(max_length=MAX_ITEMS)] = {}


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
    device_id: Name
    agent_version: Name
    os_family: Name
    os_version: Name
    hostname: Name
    hardware_uuid: Name | None = None
    serial: Name | None = None
    asset_tag: Name | None = None
    room: Name | None = None


class Report(_Frame, tag="report"):
    seq: Seq
    sent_at: float  # agent's wall clock, seconds since the epoch; only used to measure skew
    facts: Facts
    collected_at: float | None = None


class Replay(_Frame, tag="replay"):
    """Reports made while the hub was unreachable: history, never alerts."""

    reports: Annotated[list[Report], msgspec.Meta(max_length=MAX_REPLAYED)]
    dropped: Count = 0  # spooled reports lost to the spool's bounds since the last replay


class Result(_Frame, tag="result"):
    command_id: Name
    ok: bool
    output: Output = ""


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
