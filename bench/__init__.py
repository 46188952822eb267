"""Benchmarks of codelake against a plain read-and-hash baseline (see bench/README.md)."""
