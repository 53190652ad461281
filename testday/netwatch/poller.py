"""Provides the network poller: one PollSample per device per interval, failures as data."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from testday.core.net_state import NetDevice, PollSample, UpsSample
from testday.netwatch import oids
from testday.netwatch.ap_vendors import ApVendor, load_vendors
from testday.netwatch.interfaces import InterfaceReader, as_int, as_text
from testday.netwatch.snmp_client import SnmpClient, SnmpFailure

__all__ = ["NetworkPoller", "poll_once"]

log = logging.getLogger(__name__)

MAX_CLIENT_ROWS = 8192  # a controller's station table: one row per client
WITH_INTERFACES = frozenset({"switch", "access_point", "wireless_controller"})
WITH_CLIENTS = frozenset({"access_point", "wireless_controller"})


async def read_ups(client: SnmpClient, device: NetDevice) -> UpsSample:
    got = await client.get(device, oids.UPS_SCALARS)
    source = as_int(got.get(oids.UPS_OUTPUT_SOURCE))
    return UpsSample(
        on_battery=None if source is None else source == oids.UPS_SOURCE_BATTERY,
        battery_status=as_int(got.get(oids.UPS_BATTERY_STATUS)),
        charge_percent=as_int(got.get(oids.UPS_CHARGE_REMAINING)),
        minutes_left=as_int(got.get(oids.UPS_MINUTES_REMAINING)),
    )


async def read_clients(client: SnmpClient, device: NetDevice, vendor: ApVendor) -> int | None:
    if vendor.how == "get":
        return as_int((await client.get(device, [vendor.clients_oid])).get(vendor.clients_oid))
    rows = await client.walk(device, vendor.clients_oid, MAX_CLIENT_ROWS)
    if vendor.how == "count_rows":
        return len(rows)
    return sum(v for _, v in rows if isinstance(v, int)) if rows else None


async def _read(
    client: SnmpClient,
    device: NetDevice,
    vendors: Mapping[str, ApVendor],
    interfaces: InterfaceReader,
) -> dict[str, Any]:
    # The system GET first: a dead device then costs one timeout, not one per table walk.
    system = await client.get(device, (oids.SYS_UPTIME, oids.SYS_DESCR))
    uptime = as_int(system.get(oids.SYS_UPTIME))
    fields: dict[str, Any] = {
        "uptime_s": None if uptime is None else uptime / 100,
        "description": as_text(system.get(oids.SYS_DESCR)) or None,
    }
    vendor = vendors.get(device.vendor) if device.vendor else None
    try:
        async with asyncio.TaskGroup() as group:
            ifs = (
                group.create_task(interfaces.read(client, device))
                if device.kind in WITH_INTERFACES
                else None
            )
            ups = group.create_task(read_ups(client, device)) if device.kind == "ups" else None
            clients = (
                group.create_task(read_clients(client, device, vendor))
                if vendor and device.kind in WITH_CLIENTS
                else None
            )
    except* SnmpFailure as group_error:  # the first failure cancels the other reads
        raise group_error.exceptions[0] from None
    if ifs is not None:
        fields["interfaces"] = ifs.result()
    if ups is not None:
        fields["ups"] = ups.result()
    if clients is not None:
        fields["ap_clients"] = clients.result()
    return fields


async def poll_once(
    client: SnmpClient,
    device: NetDevice,
    vendors: Mapping[str, ApVendor],
    interfaces: InterfaceReader | None = None,
) -> PollSample:
    """Everything ``device``'s kind calls for; never raises: a failure is in the sample.

    ``interfaces``: the device's reader from the last poll (a fresh one reads every column).
    """
    try:
        fields = await _read(client, device, vendors, interfaces or InterfaceReader())
    except SnmpFailure as failed:
        return PollSample(device.name, time.time(), failure=failed.failure, detail=failed.detail)
    except Exception as exc:  # an odd agent or a pysnmp bug must not stop the poller
        log.exception("polling %s failed", device.name)
        detail = f"{type(exc).__name__}: {exc}"
        return PollSample(device.name, time.time(), failure="error", detail=detail)
    return PollSample(device.name, time.time(), **fields)


class NetworkPoller:
    """Polls each device every its ``poll_interval_s``, staggered, at most ``max_concurrent`` at
    once; an unreachable device holds one slot for its own timeout and nothing else."""

    def __init__(
        self,
        devices: Iterable[NetDevice],
        on_sample: Callable[[PollSample], None],
        client: SnmpClient | None = None,
        vendors: Mapping[str, ApVendor] | None = None,
        max_concurrent: int = 32,
    ) -> None:
        self.devices = tuple(devices)
        self.on_sample = on_sample
        self._own_client = client is None
        self.client = client or SnmpClient()
        self.vendors = load_vendors() if vendors is None else vendors
        self.max_concurrent = max_concurrent
        self.durations: deque[float] = deque(maxlen=10_000)  # seconds per poll, for health
        self._readers = {device.name: InterfaceReader() for device in self.devices}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start polling; call from the running loop that will own the SNMP engine."""
        slots = asyncio.Semaphore(self.max_concurrent)
        count = len(self.devices)
        for i, device in enumerate(self.devices):
            # Spread first polls over one interval so 200 devices do not all start at once.
            offset = device.poll_interval_s * i / count
            task = asyncio.create_task(self._run(device, offset, slots), name=f"poll {device.name}")
            self._tasks.append(task)

    async def poll_now(self, device: NetDevice) -> PollSample:
        """One poll outside the schedule (after a trap, say), with the device's reader."""
        reader = self._readers.setdefault(device.name, InterfaceReader())
        return await poll_once(self.client, device, self.vendors, reader)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._own_client:
            await self.client.close()

    async def _run(self, device: NetDevice, offset: float, slots: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        interval = device.poll_interval_s
        due = loop.time() + offset
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            async with slots:
                started = loop.time()
                reader = self._readers[device.name]
                sample = await poll_once(self.client, device, self.vendors, reader)
                self.durations.append(loop.time() - started)
            try:
                self.on_sample(sample)
            except Exception:
                log.exception("on_sample failed for %s", device.name)
            due += interval
            if due < loop.time():  # overran: skip missed slots but keep the phase
                due += ((loop.time() - due) // interval + 1) * interval
