"""Shared test harness: Lambda event shapes, the deployed program's functions, handlers on moto."""
