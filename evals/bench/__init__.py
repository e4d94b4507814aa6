"""Benchmarks and the corpora they run on: ``citeqa bench`` (``corpus``: ingest throughput, ask
latency, memory), the HTTP load test (``http_load``), ingest speed against a peer pipeline
(``ingest`` with ``peer``, llama-index's plain starter), and synthetic corpora and scale indexes
(``synth``)."""
