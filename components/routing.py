"""Event patterns derived from the catalog, so routing cannot drift from the contracts."""

import json

from contracts import Catalog


def consumed_events_pattern(catalog: Catalog, context: str, saga_style: str = "choreography") -> str:
    """The EventBridge pattern matching exactly the (type, major version)s routed to `context`: all it
    consumes, less, under orchestration, what the state machine's steps hand it instead.

    The dataschema URI names both the type and the major version, so a consumer that
    moved to v2 of an event stops receiving v1 while the producer publishes both.
    """
    contracts = catalog.routed_to(context, saga_style)
    if not contracts:
        raise ValueError(f"{context} consumes no events; it needs no forwarding rule")
    return json.dumps(
        {
            "detail-type": sorted({c.type for c in contracts}),
            "detail": {"dataschema": sorted(c.dataschema for c in contracts)},
        },
        sort_keys=True,
    )


def every_saga_event_pattern(catalog: Catalog) -> str:
    """Matches every event a context of the saga publishes: the event log's filter."""
    return json.dumps({"source": sorted(catalog.sources.values())}, sort_keys=True)
