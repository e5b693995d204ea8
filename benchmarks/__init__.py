"""Benchmarks: each module `bench_*.py` has a `main()` that prints its figures."""
