"""The ledger's benchmark suite: every figure against a baseline measured in the same run.

    .venv/bin/python -m benchmarks            # full run, writes BENCHMARKS.md (make bench)
    .venv/bin/python -m benchmarks --quick    # small sizes, var/bench/BENCHMARKS-quick.md

One module per figure group (a. ``rpc_latency`` ... j. ``backends``); ``synth`` and
``ledgers`` generate and cache the synthetic ledgers under ``var/bench/``; ``run`` drives a
run and ``report`` writes it up.
"""
