"""Provides the one way tests wait: poll a condition until it holds, fail saying what never came."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


class _Poll:
    """One bounded wait: the deadline, what was last seen, and the failure that names it."""

    def __init__(
        self,
        predicate: Callable[[], Any],
        timeout: float,
        what: str | None,
        ignore: tuple[type[BaseException], ...],
    ) -> None:
        self.timeout = timeout
        self.what = what or getattr(predicate, "__qualname__", repr(predicate))
        self.ignore = ignore
        self.deadline = time.monotonic() + timeout
        self.last: Any = None
        self.raised: BaseException | None = None

    def seen(self, value: Any) -> Any:
        self.last, self.raised = value, None
        return value

    def failed(self, exc: BaseException) -> None:
        if not isinstance(exc, self.ignore):
            raise exc
        self.raised = exc

    def remaining(self) -> float:
        """Seconds left; raises the AssertionError naming the wait once there are none."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            last = f"raised {self.raised!r}" if self.raised else f"last {self.last!r}"[:300]
            raise AssertionError(f"{self.what}: not within {self.timeout:g} s ({last})")
        return left


async def eventually(
    predicate: Callable[[], Any],
    timeout: float,
    *,
    what: str | None = None,
    interval: float = 0.02,
    ignore: tuple[type[BaseException], ...] = (),
) -> Any:
    """Poll ``predicate`` (sync, or returning an awaitable) until truthy; return that value.

    ``timeout`` bounds the wait for a behaviour, it does not time it: a test that needs a figure
    belongs in benchmarks/. ``ignore`` lists exceptions that mean "not yet" (a peer still
    starting); any other one fails the test at once. On timeout an AssertionError says ``what``
    was awaited and what the predicate last gave.
    """
    poll = _Poll(predicate, timeout, what, ignore)
    while True:
        try:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if poll.seen(value):
                return value
        except Exception as exc:
            poll.failed(exc)
        await asyncio.sleep(min(interval, poll.remaining()))


def eventually_blocking(
    predicate: Callable[[], Any],
    timeout: float,
    *,
    what: str | None = None,
    interval: float = 0.05,
    ignore: tuple[type[BaseException], ...] = (),
) -> Any:
    """eventually() for sync tests that drive processes; it blocks the thread, so never in async."""
    poll = _Poll(predicate, timeout, what, ignore)
    while True:
        try:
            if poll.seen(predicate()):
                return poll.last
        except Exception as exc:
            poll.failed(exc)
        time.sleep(min(interval, poll.remaining()))
