"""Provides the hub: agent and console endpoints, HTTP API, and the live fleet."""
