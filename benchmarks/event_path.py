"""How much the contract checks cost per event: build, validate before publish, receive and validate.

First the candidate validators side by side, on one example event of every type and version
in the catalog plus a five-line order.placed, each checking envelope and data with the
formats our schemas use: the reference (python-jsonschema), fastjsonschema, and jsonschema-rs
with its own format checks and with the reference's (what saga_events uses). Then the event
library's own paths with the validator it ships.

    .venv/bin/python -m benchmarks.event_path [--write-docs]
"""

import argparse
import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas"))

import fastjsonschema
import jsonschema_rs
from saga_events import event_from_sqs_record, new_event
from saga_events.validation import FORMAT_CHECKS, validate_event

from benchmarks.report import write_section
from contracts import load_catalog, load_envelope_schema, load_event_schemas
from tests.harness.reference_validation import reference_refusal
from tools.examples import example_event

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
LINES = [{"sku": f"SKU-{n}", "quantity": 2, "unitPrice": {"amount": 1250, "currency": "EUR"}} for n in range(5)]
DATA = {
    "orderId": ORDER_ID,
    "customerId": "customer-ada",
    "lines": LINES,
    "total": {"amount": 12500, "currency": "EUR"},
    "paymentMethodToken": "tok_visa",
    "shippingAddress": {"recipient": "Ada", "line1": "1 Way", "city": "Berlin", "postalCode": "10115", "country": "DE"},
    "placedAt": "2026-01-01T00:00:00+00:00",
}
BUDGET_US = 20.0  # issue 12: validating an event may cost at most 20 µs on either path

Event = dict[str, Any]


def build() -> Event:
    return new_event("order.placed", DATA, source="saga.order", correlation_id=ORDER_ID, causation_id="request-1")


def example_events() -> list[Event]:
    """One example of every type and version the catalog lists, and a five-line order."""
    catalog, schemas = load_catalog(), load_event_schemas()
    return [*(example_event(catalog, c, schemas[c.dataschema]) for c in catalog.events), build()]


def fastjsonschema_candidate() -> Callable[[Event], None]:
    # fastjsonschema knows drafts 4, 6 and 7 only: the schemas are compiled as draft 7, which
    # means the same for the keywords they use today but would not for prefixItems, $defs, ...
    def compile_draft7(schema: dict[str, Any]) -> Callable[[Any], Any]:
        draft7 = {**schema, "$schema": "http://json-schema.org/draft-07/schema#"}
        return fastjsonschema.compile(draft7, formats=FORMAT_CHECKS)

    envelope = compile_draft7(load_envelope_schema())
    data = {uri: compile_draft7(schema) for uri, schema in load_event_schemas().items()}

    def validate(event: Event) -> None:
        envelope(event)
        data[event["dataschema"]](event["data"])

    return validate


def jsonschema_rs_native_formats_candidate() -> Callable[[Event], None]:
    # Built as saga_events builds its validators (one per type and version, the envelope's `data`
    # a `$ref` to the data schema), but with jsonschema-rs's own format checks.
    envelope, schemas = load_envelope_schema(), load_event_schemas()
    registry = jsonschema_rs.Registry([(envelope["$id"], envelope), *schemas.items()])
    validators = {
        uri: jsonschema_rs.validator_for(
            {"$ref": envelope["$id"], "properties": {"data": {"$ref": uri}}},
            validate_formats=True,
            registry=registry,
            offline=True,
        )
        for uri in schemas
    }

    def validate(event: Event) -> None:
        validators[event["dataschema"]].validate(event)

    return validate


def per_event_us(validate: Callable[[Event], Any], events: list[Event], rounds: int) -> float:
    def all_events() -> None:
        for event in events:
            validate(event)

    return min(timeit.repeat(all_events, number=rounds, repeat=5)) / (rounds * len(events)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-docs", action="store_true", help="rewrite its section of docs/performance.md")
    args = parser.parse_args()

    events = example_events()
    candidates: list[tuple[str, Callable[[Event], Any]]] = [
        ("jsonschema 4 (reference; the validator before)", reference_refusal),
        ("fastjsonschema, compiled (as draft 7)", fastjsonschema_candidate()),
        ("jsonschema-rs, its own format checks", jsonschema_rs_native_formats_candidate()),
        ("jsonschema-rs, the reference's format checks (ours)", validate_event),
    ]
    reference_us = per_event_us(reference_refusal, events, rounds=20)
    lines = [
        f"Validating envelope + data, per event, mean over {len(events)} events (every type and version, "
        "and a five-line order):",
        "",
        "| validator | µs/event | vs reference |",
        "|---|---:|---:|",
    ]
    for label, validate in candidates:
        us = reference_us if validate is reference_refusal else per_event_us(validate, events, rounds=400)
        lines.append(f"| {label} | {us:.1f} | {reference_us / us:.0f}x faster |")

    event = build()
    body = json.dumps({"detail-type": event["type"], "source": event["source"], "detail": event})
    lines += [
        "",
        "The event library's paths, a five-line order.placed:",
        "",
        "| path | µs/event | events/s on one core |",
        "|---|---:|---:|",
    ]
    for label, operation in (
        ("build a CloudEvent (cloudevents SDK)", build),
        ("validate envelope + data (publish path)", lambda: validate_event(event)),
        ("unwrap and validate an SQS body (receive path)", lambda: event_from_sqs_record(body)),
    ):
        us = min(timeit.repeat(operation, number=2000, repeat=5)) / 2000 * 1e6
        lines.append(f"| {label} | {us:.1f} | {1e6 / us:,.0f} |")
    print("\n".join(lines))
    if args.write_docs:
        section = "\n".join(
            [
                "## The event path: building and validating an event",
                "",
                *lines,
                "",
                f"Budget: {BUDGET_US:.0f} µs an event on the publish and on the receive path.",
                "",
                "Reproduce: `.venv/bin/python -m benchmarks.event_path --write-docs`.",
            ]
        )
        print(f"written to {write_section('event_path', section)}")


if __name__ == "__main__":
    main()
