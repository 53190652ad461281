"""Provides testday-agent: the readiness reporter installed on each testing device."""

__version__ = "0.1.0"
