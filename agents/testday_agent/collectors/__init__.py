"""Provides the agent's collectors: battery, kiosk apps, network, system, its own footprint."""
