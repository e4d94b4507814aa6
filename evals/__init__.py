"""Eval suites, metrics and the runner; scores any system with ingest() and ask()."""
