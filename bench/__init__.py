"""Benchmarks against hand-written numpy and PyTorch: ``python -m bench.run``."""
