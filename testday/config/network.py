"""Provides the network watch's config: the ``[network]`` part of ``site.toml``.

```toml
[network]
poll_interval_s = 30          # default for every device
trap_port = 10162             # where the trap receiver listens (default 0: no receiver)
trap_communities = ["public"] # default: the devices' own v2c communities

[[network.devices]]
name = "ap-112"
address = "10.0.12.2"
kind = "access_point"         # access_point | switch | wireless_controller | ups
community = "public"          # SNMP v2c, or a v3 user:
# v3 = { user = "watch", auth_protocol = "SHA", auth_key = "env:SNMP_AUTH", priv_key = "…" }
rooms = ["112"]
capacity = 30                 # testing devices the AP carries well (DOMAIN.md: 20–40)
vendor = "ubiquiti-unifi"
# a switch: ports = { "12" = "112", "13" = "114" }   (ifIndex → the room it feeds)
```

A secret (community, v3 keys, trap communities) written ``"env:NAME"`` is read from the
environment variable NAME, so site.toml can be shared without them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

from testday.core.net_state import Kind, NetDevice, SnmpV3User
from testday.core.strict_toml import ConfigError, convert, join, load_toml

__all__ = ["NetworkConfig", "NetworkError", "load_network", "parse_network"]

# RFC 3414: a USM password shorter than 8 characters is rejected by agents.
MIN_KEY_CHARS = 8


class NetworkError(ConfigError):
    """A [network] table that does not decode or does not make sense."""


# Subclasses say frozen=True again: msgspec inherits it, type checkers see it only where written.
class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class _V3(_Strict, frozen=True, kw_only=True):
    user: str
    auth_protocol: Literal["SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"] = "SHA"
    auth_key: str
    priv_protocol: Literal["AES", "AES192", "AES256", "DES", "none"] = "AES"
    priv_key: str = ""


class _Device(_Strict, frozen=True):
    name: str
    address: str
    kind: Kind
    port: int = 161
    community: str | None = None
    v3: _V3 | None = None
    rooms: list[str] = []
    ports: dict[str, str] = {}
    capacity: int = 30
    vendor: str | None = None
    poll_interval_s: float | None = None  # None: the [network] default
    timeout_s: float = 2.0
    retries: int = 1


class _Head(_Strict, frozen=True):
    poll_interval_s: float = 30.0
    trap_port: int = 0
    trap_host: str = "0.0.0.0"
    trap_communities: list[str] = []


@dataclass(frozen=True)
class NetworkConfig:
    poll_interval_s: float = 30.0
    # 0: no trap receiver; the hub starts no SNMP engine when there are no devices either.
    trap_port: int = 0
    trap_host: str = "0.0.0.0"
    trap_communities: tuple[str, ...] = ()
    devices: tuple[NetDevice, ...] = ()


class _Reader:
    """Checks one file's values, naming the file and field in every error."""

    def __init__(self, source: str, environ: Mapping[str, str]) -> None:
        self.source, self.environ = source, environ

    def fail(self, field: str, problem: str) -> NetworkError:
        return NetworkError(self.source, field, problem)

    def secret(self, value: str, field: str) -> str:
        if not value.startswith("env:"):
            return value
        name = value[4:].strip()
        if name not in self.environ:
            raise self.fail(field, f"environment variable {name or '(empty)'} is not set")
        return self.environ[name]

    def positive(self, value: float, field: str, least: float = 0, inclusive: bool = False) -> None:
        if value < least or (value == least and not inclusive):
            bound = f"at least {least:g}" if inclusive else f"more than {least:g}"
            raise self.fail(field, f"must be {bound}, got {value:g}")

    def v3(self, raw: _V3, at: str) -> SnmpV3User:
        if not raw.user.strip():
            raise self.fail(f"{at}.user", "is empty")
        keys = {"auth_key": self.secret(raw.auth_key, f"{at}.auth_key")}
        if raw.priv_protocol != "none":
            keys["priv_key"] = self.secret(raw.priv_key, f"{at}.priv_key")
        elif raw.priv_key:
            raise self.fail(f"{at}.priv_key", 'given, but priv_protocol is "none"')
        for name, key in keys.items():
            if len(key) < MIN_KEY_CHARS:
                problem = f"SNMPv3 keys must be at least {MIN_KEY_CHARS} characters, got {len(key)}"
                raise self.fail(f"{at}.{name}", problem)
        return SnmpV3User(
            raw.user,
            raw.auth_protocol,
            keys["auth_key"],
            raw.priv_protocol,
            keys.get("priv_key", ""),
        )

    def ports(self, raw: dict[str, str], at: str) -> dict[int, str]:
        ports: dict[int, str] = {}
        for key, room in raw.items():
            field = join(f"{at}.ports", key)
            if not key.strip().isdigit() or int(key) < 1:
                raise self.fail(field, f'port keys are ifIndex numbers such as "12", got {key!r}')
            if not room.strip():
                raise self.fail(field, "names no room")
            ports[int(key)] = room.strip()
        return ports

    def device(self, raw: Any, i: int, default_interval: float) -> NetDevice:
        at = f"network.devices[{i}]"
        entry = convert(raw, self.source, _Device, NetworkError, at=at)
        for name in ("name", "address"):
            if not getattr(entry, name).strip():
                raise self.fail(f"{at}.{name}", "is empty")
        if (entry.community is None) == (entry.v3 is None):
            both = "not both" if entry.v3 is not None else "one is required"
            problem = f"give either community (SNMP v2c) or a v3 table (SNMP v3), {both}"
            raise self.fail(f"{at}.community", problem)
        community = None
        if entry.community is not None:
            community = self.secret(entry.community, f"{at}.community")
            if not community:
                raise self.fail(f"{at}.community", "is empty")
        if not all(r.strip() for r in entry.rooms):
            raise self.fail(f"{at}.rooms", "a room name is empty")
        if not 0 < entry.port < 65536:
            raise self.fail(f"{at}.port", f"must be a UDP port (1–65535), got {entry.port}")
        self.positive(entry.capacity, f"{at}.capacity")
        interval = entry.poll_interval_s if entry.poll_interval_s is not None else default_interval
        self.positive(interval, f"{at}.poll_interval_s")
        self.positive(entry.timeout_s, f"{at}.timeout_s")
        # DOMAIN.md: retries ≥ 1, so one lost UDP datagram does not read as a dead device.
        self.positive(entry.retries, f"{at}.retries", 1, inclusive=True)
        return NetDevice(
            name=entry.name.strip(),
            address=entry.address.strip(),
            kind=entry.kind,
            port=entry.port,
            community=community,
            v3=self.v3(entry.v3, f"{at}.v3") if entry.v3 is not None else None,
            rooms=tuple(r.strip() for r in entry.rooms),
            ports=self.ports(entry.ports, at),
            capacity=entry.capacity,
            vendor=entry.vendor,
            poll_interval_s=interval,
            timeout_s=entry.timeout_s,
            retries=entry.retries,
        )


def parse_network(
    text: str, source: str, environ: Mapping[str, str] | None = None
) -> NetworkConfig:
    """The ``[network]`` table of a site file (none: no devices); other tables are left alone.

    Raises NetworkError naming ``source`` and the field (``network.devices[2].kind``).
    """
    data = load_toml(text, source, NetworkError).get("network", {})
    if not isinstance(data, dict):
        raise NetworkError(source, "network", "expected a [network] table")
    data = dict(data)
    raw_devices = data.pop("devices", [])
    if not isinstance(raw_devices, list):
        raise NetworkError(source, "network.devices", "expected [[network.devices]] tables")
    reader = _Reader(source, os.environ if environ is None else environ)
    head = convert(data, source, _Head, NetworkError, at="network")
    reader.positive(head.poll_interval_s, "network.poll_interval_s")
    if not 0 <= head.trap_port < 65536:
        problem = f"must be a UDP port (1–65535), or 0 for no trap receiver; got {head.trap_port}"
        raise NetworkError(source, "network.trap_port", problem)
    devices: list[NetDevice] = []
    first: dict[str, int] = {}
    for i, raw in enumerate(raw_devices):
        device = reader.device(raw, i, head.poll_interval_s)
        key = device.name.casefold()  # "AP-112" and "ap-112" would read as one on a screen
        if key in first:
            problem = f"duplicate device name {device.name!r} (also network.devices[{first[key]}])"
            raise NetworkError(source, f"network.devices[{i}].name", problem)
        first[key] = i
        devices.append(device)
    communities = tuple(
        reader.secret(c, f"network.trap_communities[{i}]")
        for i, c in enumerate(head.trap_communities)
    )
    if not communities:  # devices send traps with the community they are polled with
        communities = tuple(dict.fromkeys(d.community for d in devices if d.community))
    return NetworkConfig(
        poll_interval_s=head.poll_interval_s,
        trap_port=head.trap_port,
        trap_host=head.trap_host,
        trap_communities=communities,
        devices=tuple(devices),
    )


def load_network(path: Path | str, environ: Mapping[str, str] | None = None) -> NetworkConfig:
    """Read the ``[network]`` table of ``site.toml``; a missing file means no devices to watch."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return NetworkConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise NetworkError(str(path), "(file)", f"cannot read: {exc}") from None
    return parse_network(text, str(path), environ)
