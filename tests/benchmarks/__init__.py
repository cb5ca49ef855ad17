"""Benchmarks: ingest, answer latency, memory, start-up and UI responsiveness (issue 7).

``python -m tests.benchmarks`` (what ``python3 dev.py bench`` runs) measures every
figure next to a baseline taken in the same run and prints the ratio, because shared
machines are noisy. The measured paths run in child processes of their own; the parent
hosts the load source (the simulator's load mode) and collects the results.
"""
