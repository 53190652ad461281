"""Provides the numeric OIDs the network watch reads and the trap OIDs it understands.

Numeric on purpose: pysnmp ships few compiled MIBs, and lookupMib=False is faster (DOMAIN.md).
"""

from __future__ import annotations

# SNMPv2-MIB system group (RFC 3418)
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"  # TimeTicks: hundredths of a second

# IF-MIB ifTable (RFC 2863): columns, walked per column and indexed by ifIndex
IF_TABLE = "1.3.6.1.2.1.2.2.1"
IF_INDEX = f"{IF_TABLE}.1"
IF_DESCR = f"{IF_TABLE}.2"
IF_SPEED = f"{IF_TABLE}.5"  # Gauge32 bit/s, saturates at 4294967295
IF_OPER_STATUS = f"{IF_TABLE}.8"  # 1 up, 2 down, …
IF_IN_OCTETS = f"{IF_TABLE}.10"  # Counter32
IF_IN_DISCARDS = f"{IF_TABLE}.13"
IF_IN_ERRORS = f"{IF_TABLE}.14"
IF_OUT_OCTETS = f"{IF_TABLE}.16"  # Counter32
IF_OUT_DISCARDS = f"{IF_TABLE}.19"
IF_OUT_ERRORS = f"{IF_TABLE}.20"

# IF-MIB ifXTable: names and the 64-bit counters a 1 Gbit/s port needs (Counter32 wraps in 34 s)
IFX_TABLE = "1.3.6.1.2.1.31.1.1.1"
IF_NAME = f"{IFX_TABLE}.1"
IF_HC_IN_OCTETS = f"{IFX_TABLE}.6"  # Counter64
IF_HC_OUT_OCTETS = f"{IFX_TABLE}.10"  # Counter64
IF_HIGH_SPEED = f"{IFX_TABLE}.15"  # Gauge32 Mbit/s

IF_OPER_UP = 1

# UPS-MIB (RFC 1628) scalars
UPS_BATTERY_STATUS = "1.3.6.1.2.1.33.1.2.1.0"  # 1 unknown, 2 normal, 3 low, 4 depleted
UPS_MINUTES_REMAINING = "1.3.6.1.2.1.33.1.2.3.0"
UPS_CHARGE_REMAINING = "1.3.6.1.2.1.33.1.2.4.0"  # percent
UPS_OUTPUT_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"  # 3 normal, 4 bypass, 5 battery, …
UPS_SCALARS = (UPS_BATTERY_STATUS, UPS_MINUTES_REMAINING, UPS_CHARGE_REMAINING, UPS_OUTPUT_SOURCE)
UPS_SOURCE_BATTERY = 5

# Notifications (SNMPv2-MIB, IF-MIB, UPS-MIB)
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"  # varbind 2 of every v2c trap: which notification
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"  # added to a v1 trap converted to v2 (RFC 3584)
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"  # likewise: the v1 community
COLD_START = "1.3.6.1.6.3.1.1.5.1"
WARM_START = "1.3.6.1.6.3.1.1.5.2"
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"
AUTH_FAILURE = "1.3.6.1.6.3.1.1.5.5"
# RFC 1628 defines upsTrapOnBattery as { upsTraps 1 } with no .0 arc; some agents and tools
# send the SMIv1-style .33.2.0.1, so both mean the same.
UPS_TRAP_ON_BATTERY = "1.3.6.1.2.1.33.2.1"
UPS_TRAP_ON_BATTERY_V1 = "1.3.6.1.2.1.33.2.0.1"

TRAP_NAMES: dict[str, str] = {
    COLD_START: "coldStart",
    WARM_START: "warmStart",
    LINK_DOWN: "linkDown",
    LINK_UP: "linkUp",
    AUTH_FAILURE: "authenticationFailure",
    UPS_TRAP_ON_BATTERY: "upsOnBattery",
    UPS_TRAP_ON_BATTERY_V1: "upsOnBattery",
}
LINK_TRAPS = frozenset({LINK_DOWN, LINK_UP})


def index_of(oid: str, column: str) -> int | None:
    """``1.3.6.1.2.1.2.2.1.8.3`` under column ``…2.2.1.8`` → 3; None when not a single-arc row."""
    prefix = column + "."
    if not oid.startswith(prefix):
        return None
    rest = oid[len(prefix) :]
    return int(rest) if rest.isdigit() else None


def is_numeric_oid(text: str) -> bool:
    """A dotted numeric OID with at least two arcs, such as ``1.3.6.1.4.1.41112``."""
    parts = text.split(".")
    return len(parts) >= 2 and all(p.isdigit() for p in parts)
