"""The chaos run: many orders of every kind under injected faults, then the saga's invariants checked."""
