"""Provides the hub ↔ console contract: typed views, the messages, requests and the wire codec."""
