"""Provides the simulated fleet used by the demo and the benchmarks."""
