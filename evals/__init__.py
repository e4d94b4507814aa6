"""Eval suites, metrics, the runner and its reports; scores any system with ingest() and ask().
Benchmarks and their corpora are in ``evals/bench/``."""
