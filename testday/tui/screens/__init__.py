"""Provides the dashboard's screens: rooms, devices, device detail, incidents, sessions, help."""
