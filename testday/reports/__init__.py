"""Provides incident exports (CSV, JSON) and the verifier for JSON exports."""
