"""Provides the one way a dashboard talks to a hub: a snapshot, then a stream of changes."""
