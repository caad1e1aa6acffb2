"""Reading a handler's partial batch response the way Lambda does."""

from __future__ import annotations

from typing import Any


class InvalidBatchResponseError(ValueError):
    pass


def failed_identifiers(result: Any, valid_ids: list[str]) -> list[str]:
    """Identifiers the handler reported as failed; an invalid response fails the whole batch."""
    if result is None:
        return []
    if not isinstance(result, dict):
        raise InvalidBatchResponseError(f"response is not an object: {result!r}")
    failures = result.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        raise InvalidBatchResponseError("batchItemFailures is not a list")
    identifiers = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in valid_ids:
            raise InvalidBatchResponseError(f"invalid batch item failure {failure!r}")
        identifiers.append(identifier)
    return identifiers
