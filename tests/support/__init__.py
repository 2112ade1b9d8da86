"""Helpers shared by the tests (and the benchmarks) that run real servers."""
