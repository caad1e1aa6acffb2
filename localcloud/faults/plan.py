"""What a chaos run injects, and how often: plain data, shared by the emulator and the function host."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from localcloud.emulator.identity import DUMMY_CREDENTIALS

# Faults hit the system under test only: requests signed with the credentials localcloud
# gives its functions and event source mappings. An observer (a chaos run's checks, a test)
# signs with any other key and sees the emulator as it is.
SYSTEM_ACCESS_KEY = DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"]


@dataclass(frozen=True)
class FaultPlan:
    """Each rate is the chance that one eligible request (or, for kills, one second) gets the fault."""

    seed: int = 0
    # SQS: a message the consumer deleted is delivered again (at-least-once delivery).
    duplicate_delivery: float = 0.0
    # SQS: a message sent to a queue is held back 1..max_delay_seconds, so events overtake each other.
    delivery_delay: float = 0.0
    max_delay_seconds: int = 3
    # EventBridge PutEvents: an entry is refused with InternalFailure (FailedEntryCount > 0).
    put_events_failure: float = 0.0
    # DynamoDB: a data-plane request answers ProvisionedThroughputExceededException.
    dynamodb_throttling: float = 0.0
    # Function host: per second, the chance that a busy instance is killed mid-batch and replaced.
    instance_kill: float = 0.0

    @property
    def emulator_faults(self) -> bool:
        return any((self.duplicate_delivery, self.delivery_delay, self.put_events_failure, self.dynamodb_throttling))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultPlan:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        plan = cls(**data)
        for name in ("duplicate_delivery", "delivery_delay", "put_events_failure", "dynamodb_throttling"):
            if not 0.0 <= getattr(plan, name) <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1")
        return plan


# Names the chaos report and the emulator's counters share.
FAULT_KINDS = (
    "duplicate_delivery",
    "delivery_delay",
    "put_events_failure",
    "dynamodb_throttling",
    "instance_kill",
)
