"""API Gateway HTTP APIs (payload format 2.0) in front of the local functions."""
