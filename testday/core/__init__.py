"""Provides the I/O-free core: readiness, fleet state and the rules over them."""
