"""Provides the testday command line."""
