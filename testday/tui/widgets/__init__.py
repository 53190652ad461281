"""Provides the dashboard's widgets: status line, room card, device table, filter bar, logs."""
