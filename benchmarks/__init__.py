"""Benchmarks: scripts that print figures. Run with `.venv/bin/python -m benchmarks.<name>`."""
