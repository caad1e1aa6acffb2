"""The soak benchmark: `python -m benchmarks.soak` (see __main__ for what one run does)."""
