"""Provides fixtures for the store tests: a fresh database file per test."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from testday.store.database import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hub" / "testday.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(db_path)
    yield s
    await s.close()
