"""Provides the IF-MIB reader: counters every poll, names and speeds only when they may change.

Decoding answers is most of the poller's CPU (pysnmp costs ~0.08 ms per value), so a device's
reader remembers what it saw: which counter width each row has, how many rows, and the names and
speeds, which it walks again every 10th poll or when the rows or an oper status change (a port
renegotiating its speed goes down first).
"""

from __future__ import annotations

import asyncio

from testday.core.net_state import InterfaceSample, NetDevice
from testday.netwatch import oids
from testday.netwatch.snmp_client import SnmpClient, Value

__all__ = ["ALL_COLUMNS", "MAX_INTERFACES", "InterfaceReader", "as_int", "as_text"]

MAX_INTERFACES = 512  # a stacked chassis has a few hundred; a bound keeps a broken agent finite
REFRESH_EVERY = 10
COUNTERS = {
    "oper": oids.IF_OPER_STATUS,
    "in_errors": oids.IF_IN_ERRORS,
    "in_discards": oids.IF_IN_DISCARDS,
    "out_errors": oids.IF_OUT_ERRORS,
    "out_discards": oids.IF_OUT_DISCARDS,
}
HC = {"in64": oids.IF_HC_IN_OCTETS, "out64": oids.IF_HC_OUT_OCTETS}
C32 = {"in32": oids.IF_IN_OCTETS, "out32": oids.IF_OUT_OCTETS}
STATIC = {
    "descr": oids.IF_DESCR,
    "name": oids.IF_NAME,
    "speed": oids.IF_SPEED,
    "high_speed": oids.IF_HIGH_SPEED,
}
ALL_COLUMNS = COUNTERS | HC | C32 | STATIC
Rows = dict[int, dict[str, Value]]


def as_int(value: Value | None) -> int | None:
    return value if isinstance(value, int) else None


def as_text(value: Value | None) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else ""


def _has_hc(row: dict[str, Value]) -> bool:
    return as_int(row.get("in64")) is not None and as_int(row.get("out64")) is not None


def sample_of(index: int, row: dict[str, Value]) -> InterfaceSample:
    hc, high, oper = _has_hc(row), as_int(row.get("high_speed")), as_int(row.get("oper"))
    return InterfaceSample(
        index=index,
        name=as_text(row.get("name")) or as_text(row.get("descr")),
        oper_up=None if oper is None else oper == oids.IF_OPER_UP,
        # ifSpeed saturates at 4.29 Gbit/s; ifHighSpeed is 0 below 1 Mbit/s
        speed_bps=high * 1_000_000 if high else as_int(row.get("speed")),
        in_octets=as_int(row.get("in64" if hc else "in32")),
        out_octets=as_int(row.get("out64" if hc else "out32")),
        counter_bits=64 if hc else 32,
        in_errors=as_int(row.get("in_errors")),
        in_discards=as_int(row.get("in_discards")),
        out_errors=as_int(row.get("out_errors")),
        out_discards=as_int(row.get("out_discards")),
    )


class InterfaceReader:
    """One device's ifTable/ifXTable reads; keep one per device between polls."""

    def __init__(self) -> None:
        self.static: Rows = {}
        self.oper: dict[int, Value | None] = {}  # None: a row that gave no ifOperStatus
        self.rows = 0
        self.any_hc = self.any_32 = True  # until the first read says otherwise
        self.age: int | None = None  # polls since names and speeds were read; None: never

    async def _walk(self, client: SnmpClient, device: NetDevice, columns: dict[str, str]) -> Rows:
        walks = await asyncio.gather(
            *(client.walk(device, oid, MAX_INTERFACES, self.rows) for oid in columns.values())
        )
        rows: Rows = {}
        for (field, column), found in zip(columns.items(), walks, strict=True):
            for oid, value in found:
                if (index := oids.index_of(oid, column)) is not None:
                    rows.setdefault(index, {})[field] = value
        return rows

    async def read(self, client: SnmpClient, device: NetDevice) -> tuple[InterfaceSample, ...]:
        full = self.age is None or self.age + 1 >= REFRESH_EVERY
        columns = dict(COUNTERS)
        columns |= HC if full or self.any_hc else {}
        columns |= C32 if full or self.any_32 else {}
        rows = await self._walk(client, device, columns | (STATIC if full else {}))
        oper = {index: row.get("oper") for index, row in rows.items()}
        extra: dict[str, str] = {}
        if not full and (rows.keys() != self.static.keys() or oper != self.oper):
            extra |= STATIC  # new rows or a port went up or down: its name or speed may differ
        if "in32" not in columns and not all(_has_hc(row) for row in rows.values()):
            extra |= C32  # a row without 64-bit counters (new, or the agent dropped them)
        if extra:
            for index, found in (await self._walk(client, device, extra)).items():
                if index in rows:
                    rows[index] |= found
        if full or STATIC.keys() <= extra.keys():
            self.static = {i: {k: r[k] for k in STATIC if k in r} for i, r in rows.items()}
            self.age = 0
        else:
            for index, row in rows.items():
                row |= self.static.get(index, {})
            self.age = (self.age or 0) + 1
        self.oper, self.rows = oper, len(rows)
        self.any_hc = any(_has_hc(row) for row in rows.values())
        self.any_32 = not all(_has_hc(row) for row in rows.values())
        return tuple(sample_of(index, rows[index]) for index in sorted(rows)[:MAX_INTERFACES])
