"""Tests the wait helper: it returns what the condition gave, and a timeout names the wait."""

from __future__ import annotations

import pytest

from tests.eventually import eventually, eventually_blocking


async def test_returns_the_first_truthy_value_of_a_sync_or_async_condition() -> None:
    """A sync condition is polled until truthy; a coroutine function's result is awaited."""
    polls = iter([0, None, "ready"])
    assert await eventually(lambda: next(polls), 5) == "ready"

    async def answer() -> int:
        return 42

    assert await eventually(answer, 5) == 42


async def test_a_timeout_says_what_was_awaited_and_what_was_last_seen() -> None:
    """The AssertionError names the wait and the condition's last value or ignored error."""
    with pytest.raises(AssertionError, match=r"^the report: not within 0.05 s \(last \[\]\)$"):
        await eventually(list, 0.05, what="the report")

    def refused() -> bool:
        raise ConnectionRefusedError("not yet")

    with pytest.raises(AssertionError, match=r"raised ConnectionRefusedError\('not yet'\)"):
        await eventually(refused, 0.05, ignore=(OSError,))


async def test_an_error_not_ignored_fails_at_once() -> None:
    """Only the listed exceptions mean "not yet"; any other is the test's failure."""
    with pytest.raises(KeyError):
        await eventually(lambda: {}["missing"], 60)


def test_the_blocking_twin_waits_the_same_way() -> None:
    """eventually_blocking polls in the calling thread and fails the same way."""
    polls = iter([False, True])
    assert eventually_blocking(lambda: next(polls), 5) is True
    with pytest.raises(AssertionError, match=r"^nothing: not within 0.05 s"):
        eventually_blocking(lambda: None, 0.05, what="nothing")
