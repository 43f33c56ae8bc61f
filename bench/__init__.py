"""Benchmarks (run as modules: python -m bench.import_bench)."""
