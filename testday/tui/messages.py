"""Provides the typed messages background work posts to the dashboard."""

from __future__ import annotations

from textual.message import Message


class HubClientEnded(Message):
    """The hub client's run() returned: it is meant to run until cancelled, so say so."""
