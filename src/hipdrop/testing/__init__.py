"""Fixtures for tests and benchmarks: scripted people as landmark streams with known truth."""
