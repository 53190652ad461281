"""Provides testday: the operations console for a school's online testing day."""

__version__ = "0.1.0"
