"""Provides durable storage in SQLite: devices, events and report history."""
