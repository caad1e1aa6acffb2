"""Delivering events a second time, as EventBridge's at-least-once delivery may, and proving that each
copy reached every consumer the catalog names before anyone asserts that nothing changed.

The consumers' workers are paused while the copies are put on the global bus, so each copy can be
seen waiting in its consumer's queue (EventBridge delivers asynchronously on AWS: the queues are
polled until a deadline, never read once). Resumed, each worker must take its copies: its queue
empties and none of them ends in its dead-letter queue.
"""

import contextlib
import functools
import json
from collections.abc import Sequence
from typing import Any

from contracts import load_catalog
from saga_client.operations import queue_depth, queue_messages
from saga_client.target import SagaTarget, eventually

CATALOG = load_catalog()


def consumers_of(event: dict[str, Any]) -> list[str]:
    version = int(event["dataschema"].rsplit("/v", 1)[1].removesuffix(".json"))
    return list(CATALOG.contract(event["type"], version).consumers)


def put_on_the_global_bus(saga: SagaTarget, event: dict[str, Any]) -> None:
    """PutEvents, and the bus's own word that it took the entry (it answers 200 even when it did not)."""
    response = saga.client("events").put_events(
        Entries=[
            {
                "EventBusName": saga.outputs["globalBusName"],
                "Source": event["source"],
                "DetailType": event["type"],
                "Detail": json.dumps(event),
            }
        ]
    )
    [entry] = response["Entries"]
    assert (response["FailedEntryCount"], "ErrorCode" in entry, bool(entry.get("EventId"))) == (0, False, True), (
        response
    )


def waiting(saga: SagaTarget, queue_url: str, expected: set[str], seen: set[str]) -> set[str] | None:
    """The expected event ids, once all have been seen waiting in the queue (peeked, not consumed)."""
    if queue_depth(saga, queue_url) > 0:
        seen |= {json.loads(m["Body"]).get("detail", {}).get("id") for m in queue_messages(saga, queue_url)}
    return expected if expected <= seen else None


def redeliver(saga: SagaTarget, events: Sequence[dict[str, Any]], patience: float) -> dict[str, set[str]]:
    """Put every event on the global bus again; return, per consuming context, the ids it took a second time."""
    expected: dict[str, set[str]] = {}
    for event in events:
        for context in consumers_of(event):
            expected.setdefault(context, set()).add(event["id"])
    with contextlib.ExitStack() as paused:
        for context in sorted(expected):
            paused.enter_context(saga.paused(context))
        for event in events:
            put_on_the_global_bus(saga, event)
        for context, ids in sorted(expected.items()):
            arrived = functools.partial(waiting, saga, saga.context(context)["queueUrl"], ids, set())
            arrived.__name__ = f"{len(ids)} redelivered event(s) in the {context} queue"
            eventually(arrived, timeout=patience, interval=0.5)
    for context, ids in sorted(expected.items()):
        queues = saga.context(context)

        def taken(queue: str = queues["queueUrl"]) -> bool | None:
            return True if queue_depth(saga, queue) == 0 else None

        taken.__name__ = f"the {context} worker to take its redelivered events"
        eventually(taken, timeout=patience, interval=0.5)
        dead = {
            json.loads(m["Body"]).get("detail", {}).get("id")
            for m in queue_messages(saga, queues["deadLetterQueueUrl"])
        }
        assert dead & ids == set(), f"{context} dead-lettered redelivered events {dead & ids}"
    return expected
