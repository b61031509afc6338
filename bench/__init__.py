"""The performance harness: `make bench` (bench/run.py). See docs/performance.md."""
