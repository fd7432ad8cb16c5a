"""Benchmarks: each script builds a synthetic company and prints figures (see README)."""
